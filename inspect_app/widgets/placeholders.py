"""The grey hint inside an empty form field: what kind of value goes there, in words.

A hint that looks like a value (`13812345678`, `1200`, `0`) reads as data already filled in on a
dim laptop screen outdoors, so every hint names the unit or the format first.
"""

from __future__ import annotations

from forms.i18n import t

HINT_OF_FIELD = {
    "lease_start": "date", "lease_end": "date", "safety_agreement_date": "date", "deadline": "date",
    "rented_area_m2": "area", "headcount": "headcount",
    "contact_phone": "phone", "responsible_phone": "phone",
    "funds_yuan": "funds",
}


def placeholder(field: str) -> str:
    hint = HINT_OF_FIELD.get(field)
    return t(f"tui.placeholder.{hint}") if hint else ""
