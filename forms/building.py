"""What a person may type for a building (楼栋) of a park: the figures the county's rules read.

A building is named as the ledger names it ("3号楼"): tenants whose ledger building is that name
belong to it (inspect_app/services/rules.py links them), so the name is required and one per park.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

from forms import fields
from forms.catalogues import FIRE_HAZARD_CLASSES, FIRE_RESISTANCE_GRADES
from forms.tenant import MAX_AREA_M2, MAX_FLOOR, _choice

Name = Annotated[str, BeforeValidator(lambda v: fields.required_text(v, max_length=40))]
Manager = Annotated[str | None, BeforeValidator(lambda v: fields.optional_text(v, max_length=100))]
Floors = Annotated[int | None, BeforeValidator(
    lambda v: _whole(fields.number(v, minimum=Decimal(1), maximum=Decimal(MAX_FLOOR), strictly_positive=True,
                                   integer=True)))]
Area = Annotated[float | None, BeforeValidator(
    lambda v: _float(fields.number(v, minimum=None, maximum=MAX_AREA_M2, strictly_positive=True)))]
YesNo = Annotated[bool, BeforeValidator(fields.yes_no)]


def _whole(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class BuildingInput(BaseModel):
    """Every field of a building as typed; `model_validate` refuses bad values field by field."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: Name
    floors: Floors = None
    floor_area_m2: Area = None
    design_hazard_class: Annotated[
        str | None, _choice("fire_hazard_class", FIRE_HAZARD_CLASSES, required=False)] = None
    fire_resistance_grade: Annotated[
        str | None, _choice("fire_resistance_grade", FIRE_RESISTANCE_GRADES, required=False)] = None
    sprinklers: YesNo = False
    fire_alarm: YesNo = False
    manager_name: Manager = None


BUILDING_FIELDS = tuple(BuildingInput.model_fields)
