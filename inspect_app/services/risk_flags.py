"""Risk flags on tenants: declining, suspected zombie, overdue hazards, ledger mismatch.

The rules are small pure functions over plain data (`declining_flag`, `zombie_flag`,
`overdue_flag`, `ledger_mismatch_flag`), so that tests can put a figure exactly at a threshold;
`load_flags` reads what they need for one park or for every park in four SQL statements and
applies them. Thresholds are the bureau's: `[risk_flags]` in config.toml
(`[risk_flags]` of config.toml, read into `Settings.risk_flags`, defaults 30% / 1 万元 / 5% / 2 quarters).

The rules, for a quarter Q (the overview's quarter) and a day `today`:

- declining: output in Q is at least `decline_pct` percent below output in the same quarter a
  year earlier: (before − now) × 100 / before ≥ decline_pct. Missing quarters: both reports must
  exist with an output, and the earlier output must be above 0 — a quarter with no report is not
  evidence of a decline (a tenant that stopped reporting is a data problem, not a trend), and a
  tenant with no output a year ago (it had just moved in) has nothing to decline from.
- suspected zombie: in each of the `zombie_quarters` consecutive quarters ending with Q, output is
  below `zombie_output_wan` 万元 and electricity is below `zombie_power_pct` percent of the
  tenant's own average over the four quarters before that run (the same baseline for every quarter
  of the run: its usual power before it went quiet). Every quarter of the run needs a report with
  output and electricity, and the baseline at least one of its four quarters with electricity
  (a new tenant has no "usual" to compare with); otherwise no flag. A tenant idle for longer than
  the run plus four quarters has an idle baseline and loses the flag: by then it is a known case.
- overdue hazards: the tenant has an open rectification item of an open hazard past its
  deadline (overdue from the day after the deadline: db/hazard_rules.py, as everywhere).
- ledger mismatch: the tenant's latest finished inspection with a ledger-verification template
  (kind "ledger_verification", e.g. forms/templates/ledger_verification.toml) has failed items;
  the flag names them, with the value observed on site when the inspector recorded one.

Flags are for current tenants (db/tenant_rules.py); one who left needs none. Each flag
carries its figures (`facts`) and says itself in words with them (`explanation()`), in the
current language through the `risk_flags.*` catalogue keys.

Public API: Quarter, QuarterFigures, OpenItem, FailedCheck, LedgerCheck, Flag, FLAG_KINDS,
declining_flag, zombie_flag, overdue_flag, ledger_mismatch_flag, tenant_flags, load_flags,
declined_pct, zombie_baseline,
county_flagged, ledger_template_ids, window_start, format_figure.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from db.hazard_rules import is_overdue
from db.risk_flag_queries import (
    declining_candidates,
    idle_windows,
    latest_ledger_checks,
    mismatched_tenants,
    overdue_items,
    overdue_tenants,
    quarter_reports,
)
from forms import china_time
from forms.checklist import load_templates
from forms.i18n import t
from forms.risk_flag_thresholds import RiskFlagThresholds

FLAG_KINDS = ("declining", "zombie", "overdue_hazards", "ledger_mismatch")


# --- quarters -----------------------------------------------------------------------------------

_QUARTER_TEXT = re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*[Qq]\s*([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int  # 1..4

    @property
    def index(self) -> int:
        """Quarters since year 0: consecutive quarters have consecutive indexes (SQL uses the same)."""
        return self.year * 4 + self.quarter - 1

    @classmethod
    def from_index(cls, index: int) -> Quarter:
        return _quarter_at(index)

    def shift(self, quarters: int) -> Quarter:
        return _quarter_at(self.year * 4 + self.quarter - 1 + quarters)

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def last_complete(cls, today: date) -> Quarter:
        """The quarter before the one `today` is in."""
        return cls.containing(today).shift(-1)

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """'2026Q3', '2026-Q3', '2026 q3'; ValueError otherwise."""
        match = _QUARTER_TEXT.match(text or "")
        if not match:
            raise ValueError(f"not a quarter: {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def label(self, lang: str | None = None) -> str:
        """'2026年第三季度' / '2026 Q3'."""
        return t(f"risk_flags.quarter.q{self.quarter}", lang=lang, year=self.year)

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter}"


@lru_cache(maxsize=256)
def _quarter_at(index: int) -> Quarter:
    """One Quarter object per index: the rules shift quarters tens of thousands of times per county."""
    return Quarter(index // 4, index % 4 + 1)


def window_start(quarter: Quarter, thresholds: RiskFlagThresholds) -> Quarter:
    """The earliest quarter the rules look at for `quarter`: the zombie baseline's first quarter,
    or the declining rule's year-earlier quarter, whichever is earlier."""
    return quarter.shift(-max(thresholds.zombie_quarters + 3, 4))


# --- plain data the rules read ------------------------------------------------------------------


@dataclass(frozen=True)
class QuarterFigures:
    output_wan: float | None
    electricity_kwh: float | None


@dataclass(frozen=True)
class OpenItem:
    """A rectification item of a hazard of the tenant's."""

    severity: str  # general | major
    deadline: date | None
    status: str = "open"
    hazard_status: str = "open"


@dataclass(frozen=True)
class FailedCheck:
    code: str
    text: str
    observed: str | None = None


@dataclass(frozen=True)
class LedgerCheck:
    """The tenant's latest finished ledger-verification inspection and its failed items."""

    inspected_on: date
    failed: tuple[FailedCheck, ...] = ()


# --- flags --------------------------------------------------------------------------------------


def format_figure(value: float, decimals: int = 1) -> str:
    """1234.5 -> '1,234.5', 180.0 -> '180', 0.25 -> '0.3' (decimals=1): how figures read in a flag."""
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Flag:
    kind: str  # one of FLAG_KINDS
    facts: Mapping[str, object] = field(default_factory=dict)

    def label(self, lang: str | None = None) -> str:
        """The flag's short name: 产值下滑 / Declining."""
        return t(f"risk_flags.label.{self.kind}", lang=lang)

    def short(self, lang: str | None = None) -> str:
        """One character for narrow tables: 降 / D."""
        return t(f"risk_flags.short.{self.kind}", lang=lang)

    def explanation(self, lang: str | None = None) -> str:
        """The flag in words with its figures."""
        facts = self.facts
        if self.kind == "declining":
            return t("risk_flags.explain.declining", lang=lang,
                     drop=format_figure(facts["drop_pct"]),
                     previous=facts["previous"].label(lang), previous_output=format_figure(facts["previous_output"]),
                     current=facts["current"].label(lang), current_output=format_figure(facts["current_output"]))
        if self.kind == "zombie":
            return t("risk_flags.explain.zombie", lang=lang,
                     quarters=facts["quarters"], output_limit=format_figure(facts["output_limit"], 2),
                     power_pct=format_figure(facts["power_pct"]), latest=facts["latest"].label(lang),
                     output=format_figure(facts["output"], 2), electricity=format_figure(facts["electricity"], 0),
                     baseline=format_figure(facts["baseline_kwh"], 0))
        if self.kind == "overdue_hazards":
            key = "risk_flags.explain.overdue_major" if facts["major"] else "risk_flags.explain.overdue"
            return t(key, lang=lang, count=facts["count"], major=facts["major"],
                     earliest=facts["earliest"].isoformat())
        if self.kind == "ledger_mismatch":
            items = t("risk_flags.list_separator", lang=lang).join(
                t("risk_flags.explain.mismatch_item_observed", lang=lang, code=item.code, text=item.text,
                  observed=item.observed)
                if item.observed else t("risk_flags.explain.mismatch_item", lang=lang, code=item.code, text=item.text)
                for item in facts["items"])
            return t("risk_flags.explain.ledger_mismatch", lang=lang, date=facts["inspected_on"].isoformat(),
                     items=items)
        raise ValueError(f"unknown flag kind {self.kind!r}")

    def as_json(self, lang: str | None = None) -> dict:
        return {"kind": self.kind, "label": self.label(lang), "explanation": self.explanation(lang)}


def declined_pct(previous_output: float | None, current_output: float | None,
                 thresholds: RiskFlagThresholds) -> float | None:
    """The declining rule on the two outputs: the drop in percent when it reaches the threshold,
    else None (`declining_flag` with its facts; the county's counts without them)."""
    if current_output is None or previous_output is None:
        return None  # a missing quarter is not evidence of a decline
    if previous_output <= 0:
        return None  # nothing to decline from
    # Multiply before dividing and round away float noise, so 100 -> 70 is exactly a 30% drop.
    drop_pct = round((previous_output - current_output) * 100 / previous_output, 9)
    return drop_pct if drop_pct >= thresholds.decline_pct else None


def declining_flag(reports: Mapping[Quarter, QuarterFigures], quarter: Quarter,
                   thresholds: RiskFlagThresholds) -> Flag | None:
    current, previous = reports.get(quarter), reports.get(quarter.shift(-4))
    if current is None or previous is None:
        return None  # a missing quarter is not evidence of a decline
    drop_pct = declined_pct(previous.output_wan, current.output_wan, thresholds)
    if drop_pct is None:
        return None
    return Flag("declining", {"drop_pct": drop_pct, "previous": quarter.shift(-4), "current": quarter,
                              "previous_output": previous.output_wan, "current_output": current.output_wan})


def zombie_baseline(run: Sequence[tuple[float | None, float | None] | None],
                    baseline_power: Sequence[float | None], thresholds: RiskFlagThresholds) -> float | None:
    """The zombie rule on plain figures: `run` the (output, electricity) of each quarter of the run
    (None: no report), `baseline_power` the electricity of the four quarters before it. The
    baseline when the rule is met, else None (`zombie_flag` with its facts; the county's counts)."""
    if any(report is None or report[0] is None or report[1] is None for report in run):
        return None  # a quarter without figures is not evidence of idleness
    if not all(report[0] < thresholds.zombie_output_wan for report in run):
        return None
    baseline_values = [power for power in baseline_power if power is not None]
    if not baseline_values:
        return None  # no usual power to compare with (a new tenant, or no reports)
    baseline = sum(baseline_values) / len(baseline_values)
    if not all(report[1] * 100 < baseline * thresholds.zombie_power_pct for report in run):
        return None
    return baseline


def zombie_flag(reports: Mapping[Quarter, QuarterFigures], quarter: Quarter,
                thresholds: RiskFlagThresholds) -> Flag | None:
    run = [reports.get(quarter.shift(-k)) for k in range(thresholds.zombie_quarters)]
    before = [reports.get(quarter.shift(-thresholds.zombie_quarters - k)) for k in range(4)]
    baseline = zombie_baseline([(r.output_wan, r.electricity_kwh) if r is not None else None for r in run],
                               [r.electricity_kwh if r is not None else None for r in before], thresholds)
    if baseline is None:
        return None
    latest = reports[quarter]
    return Flag("zombie", {"quarters": thresholds.zombie_quarters, "output_limit": thresholds.zombie_output_wan,
                           "power_pct": thresholds.zombie_power_pct, "latest": quarter,
                           "output": latest.output_wan, "electricity": latest.electricity_kwh,
                           "baseline_kwh": baseline})


def overdue_flag(items: Iterable[OpenItem], today: date) -> Flag | None:
    overdue = [item for item in items if is_overdue(item.hazard_status, item.status, item.deadline, today)]
    if not overdue:
        return None
    return Flag("overdue_hazards", {"count": len(overdue),
                                    "major": sum(item.severity == "major" for item in overdue),
                                    "earliest": min(item.deadline for item in overdue)})


def ledger_mismatch_flag(check: LedgerCheck | None) -> Flag | None:
    if check is None or not check.failed:
        return None
    return Flag("ledger_mismatch", {"inspected_on": check.inspected_on, "items": check.failed})


def tenant_flags(*, reports: Mapping[Quarter, QuarterFigures], quarter: Quarter, today: date,
                 thresholds: RiskFlagThresholds, open_items: Iterable[OpenItem] = (),
                 ledger_check: LedgerCheck | None = None) -> tuple[Flag, ...]:
    """Every flag of one tenant, in FLAG_KINDS order."""
    flags = (
        declining_flag(reports, quarter, thresholds),
        zombie_flag(reports, quarter, thresholds),
        overdue_flag(open_items, today),
        ledger_mismatch_flag(ledger_check),
    )
    return tuple(flag for flag in flags if flag is not None)


# --- loading ------------------------------------------------------------------------------------


def ledger_template_ids() -> tuple[str, ...]:
    """Ids of the checklist templates (built-in and local) whose kind is ledger verification."""
    ids = {template.id for template in load_templates().templates.values() if template.kind == "ledger_verification"}
    return tuple(sorted(ids | {"ledger_verification"}))


def _local_date(stored_utc: str) -> date:
    """The day, where the app runs, of a UTC time as the store keeps it ('2026-09-12 02:15:00.000000')."""
    return china_time.local_date(datetime.fromisoformat(stored_utc))


def _reports(conn: sqlite3.Connection, quarter: Quarter, thresholds: RiskFlagThresholds,
             park_id: str | None) -> dict[str, dict[Quarter, QuarterFigures]]:
    """The quarterly figures the output rules read, of the tenants that may meet one."""
    reports: dict[str, dict[Quarter, QuarterFigures]] = {}
    params = {"year": quarter.year, "quarter": quarter.quarter, "zombie_output": thresholds.zombie_output_wan,
              "decline_pct": thresholds.decline_pct, "first": window_start(quarter, thresholds).index,
              "last": quarter.index, "park_id": park_id}
    for tenant_id, year, number, output, electricity in quarter_reports(conn, **params):
        reports.setdefault(tenant_id, {})[Quarter(year, number)] = QuarterFigures(output, electricity)
    return reports


def county_flagged(conn: sqlite3.Connection, *, quarter: Quarter, today: date,
                   thresholds: RiskFlagThresholds) -> dict[str, dict[str, str]]:
    """Which tenants of the county carry each flag: kind -> {tenant id: park id}.

    What the county overview counts, without making each flag and its facts (`load_flags` does,
    for a park's table): at 300,000 tenants some 50,000 carry a flag. The output rules run on
    the few tenants that may meet them, as in `load_flags` (`declined_pct` on each candidate's
    fact row, `zombie_baseline` on an idle one's window); a tenant has the overdue flag when its
    earliest deadline of an open item of an open hazard is before today (the rule of
    db/hazard_rules.py, read as a range of the deadlines `tenant_fact` keeps), the ledger mismatch
    flag when its latest ledger verification has failed items (`ledger_fact`) — what
    `overdue_flag` and `ledger_mismatch_flag` say of the same rows."""
    declining: dict[str, str] = {}
    idle: dict[str, str] = {}
    for tenant_id, park_id, output, output_before in declining_candidates(
            conn, quarter_index=quarter.index, zombie_output=thresholds.zombie_output_wan,
            decline_pct=thresholds.decline_pct):
        # The declining rule reads this quarter's output and the year-before one: both in the row.
        if declined_pct(output_before, output, thresholds) is not None:
            declining[tenant_id] = park_id
    # The idle candidates with their window's figures by quarter index (some 30,000 facts at
    # 300,000 tenants: plain tuples, not a Quarter and a QuarterFigures each), Q's among them.
    last, run_length = quarter.index, thresholds.zombie_quarters
    windows: dict[str, dict[int, tuple[float | None, float | None]]] = {}
    idle_parks: dict[str, str] = {}
    latest: dict[str, tuple[float | None, float | None]] = {}  # Q's output and the year-before one
    for tenant_id, park_id, index, output, electricity, output_before in idle_windows(
            conn, first=window_start(quarter, thresholds).index, last=last,
            zombie_output=thresholds.zombie_output_wan):
        figures = windows.get(tenant_id)
        if figures is None:
            figures = windows[tenant_id] = {}
            idle_parks[tenant_id] = park_id
        figures[index] = (output, electricity)
        if index == last:
            latest[tenant_id] = (output_before, output)
    for tenant_id, park_id in idle_parks.items():
        if declined_pct(*latest[tenant_id], thresholds) is not None:
            declining[tenant_id] = park_id
        figures = windows[tenant_id]
        run = [figures.get(last - k) for k in range(run_length)]
        before = [figures.get(last - run_length - k, (None, None))[1] for k in range(4)]
        if zombie_baseline(run, before, thresholds) is not None:
            idle[tenant_id] = park_id
    return {"declining": declining, "zombie": idle,
            "overdue_hazards": overdue_tenants(conn, today=today),
            "ledger_mismatch": mismatched_tenants(conn, template_ids=ledger_template_ids())}


def load_flags(conn: sqlite3.Connection, *, quarter: Quarter, today: date, thresholds: RiskFlagThresholds,
               park_id: str | None = None) -> dict[str, tuple[Flag, ...]]:
    """Flags of every tenant in the park (or in every park) that has any: tenant id -> flags."""
    reports = _reports(conn, quarter, thresholds, park_id)

    open_items: dict[str, list[OpenItem]] = {}
    for tenant_id, severity, deadline, status, hazard_status in overdue_items(conn, today=today, park_id=park_id):
        open_items.setdefault(tenant_id, []).append(
            OpenItem(severity, date.fromisoformat(deadline), status, hazard_status))

    ledger: dict[str, LedgerCheck] = {}
    for tenant_id, done, code, text, observed in latest_ledger_checks(conn, template_ids=ledger_template_ids(),
                                                                      park_id=park_id):
        check = ledger.get(tenant_id) or LedgerCheck(_local_date(done))
        if code is not None:
            check = LedgerCheck(check.inspected_on, (*check.failed, FailedCheck(code, text, observed or None)))
        ledger[tenant_id] = check

    flags = {}
    for tenant_id in reports.keys() | open_items.keys() | ledger.keys():
        found = tenant_flags(reports=reports.get(tenant_id, {}), quarter=quarter, today=today,
                             thresholds=thresholds, open_items=open_items.get(tenant_id, ()),
                             ledger_check=ledger.get(tenant_id))
        if found:
            flags[tenant_id] = found
    return flags
