"""What a person may type when recording the service (送达) of an issued document.

Checked here, in either language: the method (a code of `catalogues.SERVICE_METHODS`, its label,
or the short words `direct`, `left`, `post`, 直接送达, 留置送达, 邮寄), who received it, the date
(the day it was served in China time: not in the future, not before the document was issued),
and a witness whenever the recipient refused to sign or the document was left at the premises
(留置送达 is lawful only before a witness). The dates to check against come as validation context:
`ServiceInput.model_validate(values, context={"issued_on": date, "today": date})`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo, field_validator

from forms import fields
from forms.catalogues import SERVICE_METHODS, code_for_label

MAX_NAME = 40
MAX_NOTE = 500
# Words an inspector types for a method, besides the codes and the catalogue labels.
METHOD_WORDS = {"left": "left_at_premises", "留置": "left_at_premises", "直接": "direct",
                "邮寄": "post", "邮寄送达": "post", "mail": "post", "by_post": "post"}


def parse_method(value: object) -> str:
    text = fields.clean_text(value)
    if not text:
        raise fields.error("required")
    code = METHOD_WORDS.get(text.lower()) or code_for_label("service_method", text)
    if code is None:
        raise fields.error("choice", value=text, list="service_method")
    return code


class ServiceInput(BaseModel):
    method: Annotated[Literal[SERVICE_METHODS], BeforeValidator(parse_method)]  # type: ignore[valid-type]
    recipient: Annotated[str, BeforeValidator(lambda v: fields.required_text(v, max_length=MAX_NAME))]
    served_on: Annotated[date | None, BeforeValidator(fields.parse_date)]
    refused: Annotated[bool, BeforeValidator(fields.yes_no)] = False
    witness: Annotated[str | None, BeforeValidator(lambda v: fields.optional_text(v, max_length=MAX_NAME))] = Field(
        default=None, validate_default=True)
    note: Annotated[str | None, BeforeValidator(lambda v: fields.optional_text(v, max_length=MAX_NOTE))] = None

    @field_validator("served_on")
    @classmethod
    def _a_day_it_could_be_served(cls, served_on: date | None, info: ValidationInfo) -> date:
        if served_on is None:
            raise fields.error("required")
        context = info.context or {}
        today, issued_on = context.get("today"), context.get("issued_on")
        if today is not None and served_on > today:
            raise fields.error("date_in_future")
        if issued_on is not None and served_on < issued_on:
            raise fields.error("service_before_issue", issued=issued_on.isoformat())
        return served_on

    @field_validator("witness")
    @classmethod
    def _witness_when_refused_or_left(cls, witness: str | None, info: ValidationInfo) -> str | None:
        refused, method = info.data.get("refused"), info.data.get("method")
        if not witness and (refused or method == "left_at_premises"):
            raise fields.error("witness_required")
        return witness
