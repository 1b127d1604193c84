"""The office's settings as the settings screen shows and saves them: the issuing agency
(config.toml `[agency]`) and the risk-flag thresholds (`[risk_flags]`).

Saving checks every field first (forms/office_settings.py) and writes nothing when one is refused;
then only the keys the screen edits change (inspect_app/config_writer.py), so the agency's other
keys (reinspection_note, consequence, number_words), other tables and comments stay as written.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from forms.errors import field_messages
from forms.office_settings import AgencySettingsInput, RiskFlagInput
from inspect_app import config
from inspect_app.config_writer import REMOVE, update_config

AGENCY_FIELDS = ("name", "short", "region", "basis", "contact_address", "contact_phone", "contact_person",
                 "review_body", "court")
THRESHOLD_FIELDS = ("decline_pct", "zombie_output_wan", "zombie_power_pct", "zombie_quarters")
CONTACT_KEYS = {"contact_address": "address", "contact_phone": "phone", "contact_person": "person"}


class SettingsRefused(Exception):
    """Some fields were refused: `messages` maps each to its message; nothing was written."""

    def __init__(self, messages: dict[str, str]):
        super().__init__(messages)
        self.messages = messages


def current_values() -> dict[str, object]:
    """What the screen shows: texts as configured (basis one a line), the organ flag, and the
    thresholds in force (the defaults where the file sets none)."""
    agency = config.agency_config()
    contact = agency.get("contact") if isinstance(agency.get("contact"), dict) else {}
    basis = agency.get("basis")

    def text(value: object) -> str:
        return str(value) if isinstance(value, str | int | float) and not isinstance(value, bool) else ""

    values: dict[str, object] = {key: text(agency.get(key)) for key in ("name", "short", "region", "review_body", "court")}
    values["basis"] = "\n".join(str(b) for b in basis) if isinstance(basis, list) else ""
    for field, key in CONTACT_KEYS.items():
        values[field] = text(contact.get(key))
    organ = agency.get("administrative_organ")
    values["administrative_organ"] = organ if isinstance(organ, bool) else True
    thresholds = config.risk_flag_thresholds()
    for key in THRESHOLD_FIELDS:
        values[key] = _plain_number(getattr(thresholds, key))
    return values


def save(values: dict[str, object]) -> None:
    """Check every field, then write `[agency]` and `[risk_flags]`; SettingsRefused (nothing
    written) when a field is refused, UserError when the file cannot be read or written."""
    messages: dict[str, str] = {}
    agency = thresholds = None
    try:
        agency = AgencySettingsInput.model_validate({k: values.get(k) for k in (*AGENCY_FIELDS,
                                                                                 "administrative_organ")})
    except ValidationError as exc:
        messages.update(field_messages(exc))
    try:
        thresholds = RiskFlagInput.model_validate({k: values.get(k) for k in THRESHOLD_FIELDS})
    except ValidationError as exc:
        messages.update(field_messages(exc))
    if messages:
        raise SettingsRefused(messages)
    update_config(config.config_path(), {"agency": _agency_table(agency),
                                         "risk_flags": _thresholds_table(thresholds)})


def _agency_table(agency: AgencySettingsInput) -> dict[str, object]:
    written = config.agency_config()
    table: dict[str, object] = {key: getattr(agency, key) or REMOVE
                                for key in ("name", "short", "region", "review_body", "court")}
    table["basis"] = list(agency.basis) or REMOVE
    table["contact"] = {key: getattr(agency, field) or REMOVE for field, key in CONTACT_KEYS.items()}
    # True is the default: written only when the file already says something about it.
    organ = agency.administrative_organ
    table["administrative_organ"] = organ if (not organ or "administrative_organ" in written) else REMOVE
    return table


def _thresholds_table(thresholds: RiskFlagInput) -> dict[str, object]:
    """A threshold equal to its default is left out unless the file already sets it."""
    written = config.risk_flags_config()
    defaults = config.RiskFlagThresholds()
    table: dict[str, object] = {}
    for key in THRESHOLD_FIELDS:
        value: Decimal = getattr(thresholds, key)
        typed = int(value) if key == "zombie_quarters" else _toml_number(value)
        table[key] = typed if (key in written or typed != getattr(defaults, key)) else REMOVE
    return table


def _toml_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _plain_number(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)

