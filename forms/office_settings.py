"""What the settings screen may write into config.toml: the issuing agency (`[agency]`) and the
risk-flag thresholds (`[risk_flags]`), checked field by field like any other form.

Every text is printed on the office's documents, so one line each, no control or invisible
characters. The short name starts every document number (`{short}{kind word}〔{year}〕第…号`,
inspect_app/services/notices.py): no spaces, brackets or digits, which would make a number that
reads as another, the same characters the kind words may not hold (`KIND_WORD_PATTERN` there).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator

from forms import fields

SHORT_PATTERN = re.compile(r"[^\s〔〕\[\]【】()（）0-9０-９]{1,10}")
MAX_BASIS_LINES = 20


def _short(value: object) -> str | None:
    text = fields.single_line_text(value, max_length=10)
    if text is not None and not SHORT_PATTERN.fullmatch(text):
        raise fields.error("agency_short_format")
    return text


def _basis(value: object) -> tuple[str, ...]:
    """One legal basis a line; blank lines dropped."""
    lines = [line.strip() for line in fields.plain_text(value).splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > MAX_BASIS_LINES:
        raise fields.error("too_many_lines", max=MAX_BASIS_LINES)
    return tuple(fields.single_line_text(line, max_length=200) for line in lines)


def _line(max_length: int):
    return BeforeValidator(lambda v: fields.single_line_text(v, max_length=max_length))


def _threshold(*, minimum: str | None, maximum: str, strictly_positive: bool, integer: bool = False):
    def check(value: object) -> Decimal | None:
        parsed = fields.number(value, minimum=Decimal(minimum) if minimum is not None else None,
                               maximum=Decimal(maximum), strictly_positive=strictly_positive, integer=integer)
        if parsed is None:
            raise fields.error("required")
        return parsed

    return BeforeValidator(check)


class AgencySettingsInput(BaseModel):
    """`[agency]` as the settings screen edits it; an empty text means "not configured"."""

    name: Annotated[str | None, _line(60)] = None
    short: Annotated[str | None, BeforeValidator(_short)] = None
    region: Annotated[str | None, _line(30)] = None  # the county in the quarterly report's title
    basis: Annotated[tuple[str, ...], BeforeValidator(_basis)] = ()
    contact_address: Annotated[str | None, _line(100)] = None
    contact_phone: Annotated[str | None, BeforeValidator(fields.phone)] = None
    contact_person: Annotated[str | None, _line(30)] = None
    review_body: Annotated[str | None, _line(60)] = None
    court: Annotated[str | None, _line(60)] = None
    administrative_organ: bool = True


class RiskFlagInput(BaseModel):
    """`[risk_flags]`: the same bounds `risk_flag_thresholds` in inspect_app/config.py accepts."""

    decline_pct: Annotated[Decimal, _threshold(minimum=None, maximum="100", strictly_positive=True)]
    zombie_output_wan: Annotated[Decimal, _threshold(minimum="0", maximum="1000000", strictly_positive=False)]
    zombie_power_pct: Annotated[Decimal, _threshold(minimum=None, maximum="100", strictly_positive=True)]
    # At most 4: the overview reads eight quarters, four idle ones plus the four before them.
    zombie_quarters: Annotated[Decimal, _threshold(minimum="1", maximum="4", strictly_positive=True, integer=True)]
