"""What a person may type for a park (小微企业园)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator

from forms import fields
from forms.catalogues import PARK_DEVELOPER_TYPES, PARK_FUNCTION_TYPES, STAR_RATINGS
from forms.tenant import YesNo, _choice, _required


def _star(value: object) -> int:
    text = fields.clean_text(value).replace("星", "").replace("三", "3").replace("四", "4").replace("五", "5")
    if text in ("", "无", "none"):
        return 0
    if text.isdigit() and len(text) == 1 and int(text) in STAR_RATINGS:  # int() refuses 4300+ digits
        return int(text)
    raise fields.error("choice", value=fields.clean_text(value), options=STAR_RATINGS)


def _park_code(value: object) -> str:
    text = fields.required_text(value, max_length=20).upper()
    if not all(c.isalnum() or c == "-" for c in text):
        raise fields.error("park_code_format")
    return text


class ParkInput(BaseModel):
    code: Annotated[str, BeforeValidator(_park_code)]
    name: Annotated[str, BeforeValidator(lambda v: fields.required_text(v, max_length=100))]
    district: Annotated[str, BeforeValidator(lambda v: fields.required_text(v, max_length=40))]
    street: Annotated[str, BeforeValidator(lambda v: fields.required_text(v, max_length=40))]
    function_type: Annotated[str, _choice("park_function", PARK_FUNCTION_TYPES, required=True)]
    developer_type: Annotated[str, _choice("park_developer", PARK_DEVELOPER_TYPES, required=True)]
    star_rating: Annotated[int, BeforeValidator(_star)] = 0
    provincially_certified: YesNo = False
    land_area_mu: Annotated[Decimal, BeforeValidator(lambda v: _required(fields.number(v, minimum=None, maximum=Decimal(100_000), strictly_positive=True)))]
    floor_area_m2: Annotated[Decimal, BeforeValidator(lambda v: _required(fields.number(v, minimum=None, maximum=Decimal(10_000_000), strictly_positive=True)))]
    property_company: Annotated[str | None, BeforeValidator(lambda v: fields.optional_text(v, max_length=100))] = None
