"""What a person may type for a hazard (隐患) and its rectification (五落实).

A rectification item may be saved incomplete while it is being agreed on site, but a notice
cannot be issued until all five implementations are there: `missing_implementations` names the
ones still missing, in the order the notice lists them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo, field_validator

from forms import fields

FIVE_IMPLEMENTATIONS = ("responsibility", "measures", "funds", "deadline", "contingency_plan")
MAX_FUNDS_YUAN = Decimal(100_000_000)


def _text(max_length: int):
    return BeforeValidator(lambda v: fields.optional_text(v, max_length=max_length))


def _severity(value: object) -> str:
    text = fields.clean_text(value)
    mapping = {"general": "general", "一般": "general", "一般隐患": "general",
               "major": "major", "重大": "major", "重大火灾隐患": "major"}
    if text not in mapping:
        raise fields.error("choice", value=text, list="severity") if text else fields.error("required")
    return mapping[text]


class HazardInput(BaseModel):
    location: Annotated[str, BeforeValidator(lambda v: fields.required_text(v, max_length=200))]
    description: Annotated[str, BeforeValidator(lambda v: fields.required_text(v, max_length=1000))]
    severity: Annotated[Literal["general", "major"], BeforeValidator(_severity)]


class RectificationInput(BaseModel):
    """The five implementations as typed; every one may still be empty (see `missing`)."""

    responsible_person: Annotated[str | None, _text(40)] = None
    responsible_phone: Annotated[str | None, BeforeValidator(fields.phone)] = None
    measures: Annotated[str | None, _text(1000)] = None
    funds_yuan: Annotated[Decimal | None, BeforeValidator(
        lambda v: fields.number(v, minimum=Decimal(0), maximum=MAX_FUNDS_YUAN, strictly_positive=False))] = None
    funds_reason: Annotated[str | None, _text(200)] = Field(default=None, validate_default=True)
    deadline: Annotated[date | None, BeforeValidator(fields.parse_date)] = None
    contingency_plan: Annotated[str | None, _text(1000)] = None

    @field_validator("funds_reason")
    @classmethod
    def _zero_funds_need_a_reason(cls, reason: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("funds_yuan") == 0 and not reason:
            raise fields.error("funds_reason_required")
        return reason

    def missing(self) -> list[str]:
        return missing_implementations(
            responsible_person=self.responsible_person, responsible_phone=self.responsible_phone,
            measures=self.measures, funds_yuan=self.funds_yuan, funds_reason=self.funds_reason,
            deadline=self.deadline, contingency_plan=self.contingency_plan)


def missing_implementations(*, responsible_person: str | None, responsible_phone: str | None,
                            measures: str | None, funds_yuan: Decimal | float | None, funds_reason: str | None,
                            deadline: date | None, contingency_plan: str | None) -> list[str]:
    """Which of the five are missing, as codes of FIVE_IMPLEMENTATIONS (labels: `five.<code>`)."""
    missing = []
    if not (responsible_person and responsible_phone):
        missing.append("responsibility")
    if not measures:
        missing.append("measures")
    if funds_yuan is None or (funds_yuan == 0 and not funds_reason):
        missing.append("funds")
    if deadline is None:
        missing.append("deadline")
    if not contingency_plan:
        missing.append("contingency_plan")
    return missing
