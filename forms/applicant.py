"""What an applicant for a place in a park (入园申请) may say about itself, as typed or read from a
TOML / JSON file: checked field by field with the same words as the tenant form (forms/tenant.py,
forms/errors.py), so a value refused here is refused there too.

The screening fields are the ones the entry rules read (forms/entry_rules.py): name, credit code,
industry code (GB/T 4754, a letter and two to four digits: C2929), process, fire-hazard class,
planned area and headcount, and the committed 亩均税收 (万元/亩). The tenant an admission makes
also needs its lease use and scale; a file that leaves them out gets 生产 and 规下, the park's
usual new tenant (`TENANT_DEFAULTS`).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

from forms import fields
from forms.catalogues import FIRE_HAZARD_CLASSES, LEASE_USES, SCALES
from forms.tenant import (
    MAX_AREA_M2,
    MAX_HEADCOUNT,
    Area,
    CreditCode,
    Headcount,
    Name,
    OptionalText,
    Phone,
    _choice,
)

INDUSTRY_CODE = re.compile(r"[A-T](\d{2}|\d{3}|\d{4})")
MAX_COMMITMENT = Decimal(10_000)  # 万元/亩: far above any county's best
TENANT_DEFAULTS = {"lease_use": "production", "scale": "below"}


def _industry_code(value: object) -> str:
    text = fields.clean_text(value).upper().replace(" ", "")
    if not text:
        raise fields.error("required")
    if not INDUSTRY_CODE.fullmatch(text):
        raise fields.error("industry_code", value=text)
    return text


def _commitment(value: object) -> float:
    parsed = fields.number(value, minimum=Decimal(0), maximum=MAX_COMMITMENT, strictly_positive=False)
    if parsed is None:
        raise fields.error("required")
    return float(parsed)


class Applicant(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: Name
    credit_code: CreditCode
    industry_code: Annotated[str, BeforeValidator(_industry_code)]
    process: Annotated[str, BeforeValidator(lambda v: fields.required_text(v, max_length=200))]
    fire_hazard_class: Annotated[str, _choice("fire_hazard_class", FIRE_HAZARD_CLASSES, required=True)]
    planned_area_m2: Area
    planned_headcount: Headcount
    commitment_tax_wan_per_mu: Annotated[float, BeforeValidator(_commitment)]
    contact_name: OptionalText = None
    contact_phone: Phone = None
    building: OptionalText = None
    unit_no: OptionalText = None
    lease_use: Annotated[str, _choice("lease_use", LEASE_USES, required=True)] = TENANT_DEFAULTS["lease_use"]
    scale: Annotated[str, _choice("scale", SCALES, required=True)] = TENANT_DEFAULTS["scale"]

    @property
    def area(self) -> float:
        return float(self.planned_area_m2)

    def tenant_values(self) -> dict[str, object]:
        """The ledger row an admission makes, as the tenant form would take it (forms/tenant.py)."""
        return {"name": self.name, "credit_code": self.credit_code, "contact_name": self.contact_name,
                "contact_phone": self.contact_phone, "building": self.building, "unit_no": self.unit_no,
                "rented_area_m2": self.planned_area_m2, "headcount": self.planned_headcount,
                "scale": self.scale, "lease_use": self.lease_use, "status": "in_park",
                "fire_hazard_class": self.fire_hazard_class, "process_or_goods": self.process}


APPLICANT_FIELDS = tuple(Applicant.model_fields)
__all__ = ["APPLICANT_FIELDS", "INDUSTRY_CODE", "MAX_AREA_M2", "MAX_HEADCOUNT", "Applicant", "TENANT_DEFAULTS"]
