"""The inspector profile asked for on first run (name, ID number, agency, phone)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator

from forms import fields


def _id_number(value: object) -> str:
    """执法证/工作证 numbers vary by agency: letters, digits and dashes, 4-30 characters."""
    text = fields.required_text(value, max_length=30).upper()
    if len(text) < 4 or not all((c.isascii() and c.isalnum()) or c == "-" for c in text):
        raise fields.error("id_number_format")
    return text


class InspectorInput(BaseModel):
    name: Annotated[str, BeforeValidator(lambda v: fields.required_text(v, max_length=40))]
    id_number: Annotated[str, BeforeValidator(_id_number)]
    agency: Annotated[str, BeforeValidator(lambda v: fields.required_text(v, max_length=100))]
    phone: Annotated[str | None, BeforeValidator(fields.phone)] = None
