"""What a person may type for a tenant (承租单位) ledger row.

The same model validates the TUI form and, later, every imported spreadsheet row, so a value
refused in one place is refused everywhere with the same message.
"""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)

from forms import china_time, fields
from forms.catalogues import (
    FIRE_HAZARD_CLASSES,
    LEASE_USES,
    SCALES,
    TENANT_STATUSES,
    parse_choice,
)

MAX_AREA_M2 = Decimal(1_000_000)
MAX_HEADCOUNT = 20_000
# Floors as a ledger writes them: 1 = ground floor, -1 = first basement; no park building has more.
MIN_FLOOR, MAX_FLOOR = -5, 100
FLOOR_SUFFIXES = ("层", "楼", "f", "F")


def _choice(list_name: str, allowed: tuple[str, ...], *, required: bool):
    def parse(value: object) -> str | None:
        text = fields.clean_text(value)
        if not text:
            if required:
                raise fields.error("required")
            return None
        code = parse_choice(list_name, text)
        if code is None or code not in allowed:
            raise fields.error("choice", value=text, list=list_name)
        return code

    return BeforeValidator(parse)


def _risk_points(value: object) -> list[str]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, (list, tuple)) else fields.clean_text(value).replace("，", ",").replace("、", ",").split(",")
    codes: list[str] = []
    for item in items:
        text = fields.clean_text(item)
        if not text:
            continue
        code = parse_choice("risk_point", text)
        if code is None:
            raise fields.error("choice", value=text, list="risk_point")
        if code not in codes:
            codes.append(code)
    return codes


Name = Annotated[str, BeforeValidator(lambda v: fields.required_text(v, max_length=100))]
OptionalText = Annotated[str | None, BeforeValidator(lambda v: fields.optional_text(v, max_length=200))]
LongText = Annotated[str | None, BeforeValidator(lambda v: fields.optional_text(v, max_length=1000))]
CreditCode = Annotated[str, BeforeValidator(fields.credit_code)]
Phone = Annotated[str | None, BeforeValidator(fields.phone)]
Area = Annotated[Decimal, BeforeValidator(lambda v: _required(fields.number(v, minimum=None, maximum=MAX_AREA_M2, strictly_positive=True)))]
Headcount = Annotated[int, BeforeValidator(lambda v: int(_required(fields.number(v, minimum=Decimal(0), maximum=Decimal(MAX_HEADCOUNT), strictly_positive=False, integer=True))))]
OptionalDate = Annotated[date | None, BeforeValidator(fields.parse_date)]
YesNo = Annotated[bool, BeforeValidator(fields.yes_no)]


def floor_number(value: object) -> int | None:
    """A floor as typed: "3", "3层", "3F", "-1"; 0 is no floor (ground floor is 1)."""
    text = fields.clean_text(value)  # an int too: through Decimal, whatever its size (str() stops at 4,300 digits)
    for suffix in FLOOR_SUFFIXES:
        if text.endswith(suffix):
            text = text[: -len(suffix)].strip()
            break
    parsed = fields.number(text, minimum=Decimal(MIN_FLOOR), maximum=Decimal(MAX_FLOOR),
                           strictly_positive=False, integer=True)
    if parsed is None:
        return None
    if parsed == 0:
        raise fields.error("floor_zero")
    return int(parsed)


Floor = Annotated[int | None, BeforeValidator(floor_number)]


def _required(value):
    if value is None:
        raise fields.error("required")
    return value


class TenantInput(BaseModel):
    """Every field of a ledger row as typed; `model_validate` refuses bad values field by field."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: Name
    credit_code: CreditCode
    contact_name: OptionalText = None
    contact_phone: Phone = None
    building: OptionalText = None
    unit_no: OptionalText = None
    rented_area_m2: Area
    headcount: Headcount
    scale: Annotated[Literal["above", "below"], _choice("scale", SCALES, required=True)]
    lease_use: Annotated[str, _choice("lease_use", LEASE_USES, required=True)]
    risk_points: Annotated[list[str], BeforeValidator(_risk_points)] = []
    lease_start: OptionalDate = None
    lease_end: OptionalDate = None
    status: Annotated[str, _choice("tenant_status", TENANT_STATUSES, required=True)] = "in_park"
    fire_hazard_class: Annotated[str | None, _choice("fire_hazard_class", FIRE_HAZARD_CLASSES, required=False)] = None
    process_or_goods: OptionalText = None
    safety_agreement_signed: YesNo = False
    safety_agreement_date: OptionalDate = None
    sublet: YesNo = False
    # validate_default: the sublet rule must run when the sub-tenant is left out altogether.
    subtenant_name: OptionalText = Field(default=None, validate_default=True)
    people_living_on_site: YesNo = False
    floor: Floor = None
    three_party_agreement: YesNo = False
    # agreed that the park certifies its operating figures to a bank (inspect_app/services/certificate.py)
    bank_consent: YesNo = False
    notes: LongText = None

    @field_validator("lease_end")
    @classmethod
    def _end_after_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("lease_start")
        if end and start and end <= start:
            raise fields.error("lease_end_before_start", start=start.isoformat())
        return end

    @field_validator("safety_agreement_date")
    @classmethod
    def _agreement_date_needs_signature(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value and not info.data.get("safety_agreement_signed"):
            raise fields.error("agreement_date_without_signature")
        if value and value > china_time.today():
            raise fields.error("date_in_future")
        return value

    @field_validator("subtenant_name")
    @classmethod
    def _subtenant_when_sublet(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("sublet") and not value:
            raise fields.error("subtenant_required")
        return value

    def location(self) -> str:
        return " ".join(p for p in (self.building, self.unit_no) if p)


TENANT_FIELDS = tuple(TenantInput.model_fields)

# What a new tenant has before anyone types: the add-tenant form opens with these, and a ledger
# import fills them for a column its file does not have (and says so). One definition for both.
NEW_TENANT_DEFAULTS: dict[str, str] = {"status": "in_park", "scale": "below"}

# The fields whose values come from a closed list of forms.catalogues, and that list's name.
CHOICE_FIELDS: dict[str, str] = {"scale": "scale", "lease_use": "lease_use", "status": "tenant_status",
                                 "fire_hazard_class": "fire_hazard_class", "risk_points": "risk_point"}


@functools.cache
def _field_adapter(name: str) -> TypeAdapter:
    info = TenantInput.model_fields[name]
    return TypeAdapter(Annotated[(info.annotation, *info.metadata)])


def check_field(name: str, value: object) -> object:
    """One field's value checked alone, as the form checks it (rules across fields, such as the
    lease's end after its start, wait for the whole row). Raises ValidationError."""
    return _field_adapter(name).validate_python(value)
