"""What a person may type for one tenant's quarterly operating data (季度经营数据, 动态监管).

Values come from a grid cell or a spreadsheet cell as people write them: "1,200", full-width
digits, "35万元", "12000kWh", "1.2万度"; a blank (or a dash) means "not reported". Refused
(errors): negatives, words, absurd magnitudes. Accepted with a warning (`quarter_warnings`):
figures that are possible but look like a slip — output per m² or per head far above the usual,
power but no output, a tenfold jump from the previous quarter. Warnings never block a save.

The same model checks the TUI grid and every imported row, so both say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

from forms import fields
from forms.i18n import t

NUMBER_FIELDS = ("output_value_wan", "electricity_kwh", "water_t", "tax_wan")
QUARTERLY_FIELDS = (*NUMBER_FIELDS, "difficulties")

# Beyond these a value is a slip, not a figure (per tenant and quarter): refused.
MAXIMA = {
    "output_value_wan": Decimal(10_000_000),  # 1,000 亿元 a quarter
    "electricity_kwh": Decimal(1_000_000_000),
    "water_t": Decimal(100_000_000),
    "tax_wan": Decimal(1_000_000),
}

# Units a person may write after the number, per field, with the factor to the stored unit.
# Matched on the NFKC-normalised, lower-cased text; longer suffixes first.
WAN = Decimal(10_000)
UNITS: dict[str, tuple[tuple[str, Decimal], ...]] = {
    "output_value_wan": (("万元", Decimal(1)), ("万", Decimal(1)), ("元", 1 / WAN)),
    "tax_wan": (("万元", Decimal(1)), ("万", Decimal(1)), ("元", 1 / WAN)),
    "electricity_kwh": (("万千瓦时", WAN), ("万kwh", WAN), ("万度", WAN), ("千瓦时", Decimal(1)),
                        ("kwh", Decimal(1)), ("度", Decimal(1))),
    "water_t": (("万吨", WAN), ("万立方米", WAN), ("万方", WAN), ("立方米", Decimal(1)), ("吨", Decimal(1)),
                ("m³", Decimal(1)), ("m3", Decimal(1)), ("方", Decimal(1)), ("t", Decimal(1))),
}
# What spreadsheets put in a cell that has no figure.
TYPED_NUMBER = re.compile(r"[-+]?(?=[\d.])\d*(?:,\d+)*(?:\.\d*)?", re.ASCII)
LEADING_NUMBER = re.compile(r"[-+]?\d[\d,.]*[^\d,.]", re.ASCII)
WRONG_UNIT = {"output_value_wan": "unit_wan", "tax_wan": "unit_wan", "electricity_kwh": "unit_kwh", "water_t": "unit_t"}
NOT_REPORTED = frozenset({"-", "--", "—", "——", "/", "无数据", "未报", "未填报"})

# Plausibility, per quarter (warnings only). A micro-park manufacturer makes roughly 0.05–1 万元
# of output per m² and some 5–50 万元 per head a quarter; these bounds are ten times the highest
# the demo's county produces, so they catch a value typed in 元 instead of 万元, not a good year.
OUTPUT_PER_M2_HIGH = 10.0  # 万元 per m² rented
OUTPUT_PER_HEAD_HIGH = 1000.0  # 万元 per person
POWER_PER_M2_HIGH = 3000.0  # kWh per m² rented
WATER_PER_HEAD_HIGH = 1000.0  # t per person
JUMP_FACTOR = 10.0  # quarter on quarter, either way


def _number(name: str):
    def parse(value: object) -> float | None:
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            text = fields.clean_text(value)
        else:
            text = fields.clean_text(value).replace(" ", "")
        if not text or text in NOT_REPORTED:
            return None
        factor = Decimal(1)
        if not isinstance(value, (int, float, Decimal)):
            lowered = text.lower()
            for suffix, unit_factor in UNITS[name]:
                if lowered.endswith(suffix) and len(lowered) > len(suffix):
                    text, factor = text[: -len(suffix)], unit_factor
                    break
            if LEADING_NUMBER.match(text) and not TYPED_NUMBER.fullmatch(text):  # "35万元" for power
                raise fields.error(WRONG_UNIT[name], value=fields.clean_text(value))
            if not TYPED_NUMBER.fullmatch(text):
                raise fields.error("number_format", value=fields.clean_text(value))
        parsed = fields.number(text, minimum=None, maximum=Decimal("Infinity"), strictly_positive=False)
        if parsed is None:
            raise fields.error("number_format", value=fields.clean_text(value))
        if parsed < 0:
            raise fields.error("negative")
        scaled = parsed * factor
        if scaled > MAXIMA[name]:
            raise fields.error("too_large", max=f"{MAXIMA[name]:,}")
        return float(scaled)

    return BeforeValidator(parse)


class QuarterlyInput(BaseModel):
    """One tenant's figures for one quarter as typed; `model_validate` refuses bad values per field."""

    model_config = ConfigDict(str_strip_whitespace=True)

    output_value_wan: Annotated[float | None, _number("output_value_wan")] = None
    electricity_kwh: Annotated[float | None, _number("electricity_kwh")] = None
    water_t: Annotated[float | None, _number("water_t")] = None
    tax_wan: Annotated[float | None, _number("tax_wan")] = None
    difficulties: Annotated[str | None, BeforeValidator(lambda v: fields.optional_text(v, max_length=1000))] = None

    def is_blank(self) -> bool:
        return all(getattr(self, name) is None for name in QUARTERLY_FIELDS)


# --- warnings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarterWarning:
    """A figure that is accepted but looks wrong; `kind` is a catalogue key under `warnings.quarterly.`."""

    field: str
    kind: str
    context: dict[str, str] = field(default_factory=dict)

    def message(self, lang: str | None = None) -> str:
        return t(f"warnings.quarterly.{self.kind}", lang=lang, **self.context)


def _figure(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def quarter_warnings(data: QuarterlyInput, *, rented_area_m2: float | None = None, headcount: int | None = None,
                     previous: QuarterlyInput | None = None) -> list[QuarterWarning]:
    """What looks implausible in `data`, given the tenant's size and its previous quarter."""
    found: list[QuarterWarning] = []
    output, power, water, tax = data.output_value_wan, data.electricity_kwh, data.water_t, data.tax_wan
    if output is not None and rented_area_m2 and output / rented_area_m2 > OUTPUT_PER_M2_HIGH:
        found.append(QuarterWarning("output_value_wan", "output_per_m2",
                                    {"value": _figure(output / rented_area_m2), "limit": _figure(OUTPUT_PER_M2_HIGH)}))
    if output is not None and headcount and output / headcount > OUTPUT_PER_HEAD_HIGH:
        found.append(QuarterWarning("output_value_wan", "output_per_head",
                                    {"value": _figure(output / headcount), "limit": _figure(OUTPUT_PER_HEAD_HIGH)}))
    if output == 0 and power:
        found.append(QuarterWarning("output_value_wan", "power_without_output", {"power": _figure(power)}))
    if power == 0 and output:
        found.append(QuarterWarning("electricity_kwh", "output_without_power", {"output": _figure(output)}))
    if power is not None and rented_area_m2 and power / rented_area_m2 > POWER_PER_M2_HIGH:
        found.append(QuarterWarning("electricity_kwh", "power_per_m2",
                                    {"value": _figure(power / rented_area_m2), "limit": _figure(POWER_PER_M2_HIGH)}))
    if water is not None and headcount and water / headcount > WATER_PER_HEAD_HIGH:
        found.append(QuarterWarning("water_t", "water_per_head",
                                    {"value": _figure(water / headcount), "limit": _figure(WATER_PER_HEAD_HIGH)}))
    if tax is not None and output is not None and tax > output > 0:
        found.append(QuarterWarning("tax_wan", "tax_above_output", {"output": _figure(output)}))
    if previous is not None:
        for name in NUMBER_FIELDS:
            now, before = getattr(data, name), getattr(previous, name)
            if not now or not before:
                continue
            if now >= before * JUMP_FACTOR:
                found.append(QuarterWarning(name, "jump_up", {"previous": _figure(before), "times": _figure(now / before)}))
            elif now * JUMP_FACTOR <= before:
                found.append(QuarterWarning(name, "jump_down", {"previous": _figure(before), "times": _figure(before / now)}))
    return found


def warnings_by_field(warnings: list[QuarterWarning], lang: str | None = None) -> dict[str, str]:
    """First warning per field, translated (for showing beside a field, like `field_messages`)."""
    result: dict[str, str] = {}
    for warning in warnings:
        result.setdefault(warning.field, warning.message(lang))
    return result


# --- quarters -----------------------------------------------------------------------------------

Quarter = tuple[int, int]  # (year, 1..4)
MIN_YEAR, MAX_YEAR = 2000, 2100
CHINESE_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
PERIOD = re.compile(
    r"^(?:(?P<year>\d{4})\s*(?:年度?)?\s*[-_/.]?\s*)?"
    r"(?:q(?P<q>[1-4])|第?(?P<cn>[一二三四1-4])季度?|(?P<bare>[1-4]))$",
    re.IGNORECASE,
)


def quarter_of(day: date) -> Quarter:
    return day.year, (day.month - 1) // 3 + 1


def previous_quarter(quarter: Quarter) -> Quarter:
    year, q = quarter
    return (year, q - 1) if q > 1 else (year - 1, 4)


def next_quarter(quarter: Quarter) -> Quarter:
    year, q = quarter
    return (year, q + 1) if q < 4 else (year + 1, 1)


def same_quarter_last_year(quarter: Quarter) -> Quarter:
    return quarter[0] - 1, quarter[1]


def last_complete_quarter(today: date) -> Quarter:
    """The quarter whose figures are being collected on `today`: the one before today's."""
    return previous_quarter(quarter_of(today))


def parse_period(value: object) -> tuple[int | None, int]:
    """'2026Q3', '2026年第三季度', '2026-3', 'Q3', '三季度', '3' -> (year or None, quarter).

    Raises a field error (kind `quarter_format` / `year_range`) for anything else.
    """
    text = fields.clean_text(value).replace(" ", "")
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    match = PERIOD.match(text)
    if not match:
        raise fields.error("quarter_format", value=text)
    quarter = CHINESE_NUMERALS[match["q"] or match["cn"] or match["bare"]]
    year = int(match["year"]) if match["year"] else None
    if year is not None:
        check_year(year)
    return year, quarter


def parse_year(value: object) -> int:
    text = fields.clean_text(value).removesuffix("年度").removesuffix("年")
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if not text.isascii() or not text.isdigit():
        raise fields.error("year_format", value=fields.clean_text(value))
    if len(text) > 4:  # int() refuses a string of over 4300 digits, and no year has more than 4
        raise fields.error("year_range", min=MIN_YEAR, max=MAX_YEAR)
    return check_year(int(text))


def check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise fields.error("year_range", min=MIN_YEAR, max=MAX_YEAR)
    return year


def quarter_code(quarter: Quarter) -> str:
    """(2026, 3) -> '2026Q3': how files and the CLI write a quarter."""
    return f"{quarter[0]}Q{quarter[1]}"


def quarter_label(quarter: Quarter, lang: str | None = None) -> str:
    """(2026, 3) -> '2026年第三季度' / '2026 Q3'."""
    return t("quarterly.quarter_label", lang=lang, year=quarter[0],
             quarter=t(f"quarterly.quarter_names.q{quarter[1]}", lang=lang))
