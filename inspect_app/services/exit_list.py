"""The exit list of a quarter (腾退名单): the park's tenants a decision is due on, each with the
evidence, and the park's decision (keep / talk / exit) with who made it.

A tenant in the park is listed for a quarter Q on any of four grounds, each with its evidence in
words and figures:
- `zombie`: the suspected-zombie risk flag for Q (inspect_app/services/risk_flags.py, the
  bureau's `[risk_flags]` thresholds);
- `class_d`: the stored 亩均 class (`tenant.efficiency_class`, however it was set) is D and has
  been D since on or before the first day of the quarter seven before Q, so every one of the eight
  quarters ending with Q: two years running. Since when comes from the audit trail (the latest
  change of the field; none: the tenant was created with it, db/exit_queries.py);
- `repeat_findings`: hazards found by the end of Q that repeat an item closed before (回头看's
  rule, db/lookback.py);
- `major_unrectified`: major hazards found by the end of Q that are still not closed.

A decision is a row of `exit_decision` (synced, append-only, audited on insert: who, when,
which grounds as shown); the latest of a tenant and quarter counts, the earlier stay as history.
The office gets the list as .xlsx (exports/tabular.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from db.errors import UserError
from db.exit_queries import (
    ExitTenant,
    HazardEvidence,
    LatestDecision,
    exit_tenants,
    hazard_evidence,
    latest_decisions,
)
from db.models import ExitDecision, Tenant
from db.store import Store
from exports.tabular import write_xlsx
from forms import china_time
from forms.i18n import t
from forms.risk_flag_thresholds import RiskFlagThresholds
from inspect_app.services.risk_flags import Quarter, load_flags

GROUNDS = ("zombie", "class_d", "repeat_findings", "major_unrectified")
DECISIONS = ("keep", "talk", "exit")
CLASS_D_QUARTERS = 8  # two years running


@dataclass(frozen=True)
class Ground:
    kind: str  # one of GROUNDS
    evidence: str  # in words, with its figures

    def label(self, lang: str | None = None) -> str:
        return t(f"exit.ground.{self.kind}", lang=lang)

    def as_record(self) -> dict:
        return {"kind": self.kind, "evidence": self.evidence}


@dataclass(frozen=True)
class ExitCandidate:
    tenant_id: str
    name: str
    credit_code: str
    grounds: list[Ground] = field(default_factory=list)
    decision: LatestDecision | None = None


def parse_quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError:
        raise UserError("exit.bad_quarter", value=text) from None


def quarter_start(quarter: Quarter) -> date:
    return date(quarter.year, (quarter.quarter - 1) * 3 + 1, 1)


def quarter_end(quarter: Quarter) -> date:
    return quarter_start(quarter.shift(1)) - timedelta(days=1)


def _class_d(tenant: ExitTenant, quarter: Quarter, lang: str | None) -> Ground | None:
    """D for the eight quarters ending with `quarter`: D since the first day of the first of them."""
    first = quarter.shift(-(CLASS_D_QUARTERS - 1))
    if tenant.efficiency_class != "D" or tenant.class_since is None or tenant.class_since > quarter_start(first):
        return None
    return Ground("class_d", t("exit.evidence.class_d", lang=lang, since=tenant.class_since.isoformat(),
                               first=first.label(lang), last=quarter.label(lang), quarters=CLASS_D_QUARTERS))


def _zombie_evidence(explanation: str, lang: str | None) -> str:
    """The risk flag's explanation without the name it opens with ("疑似僵尸企业：…"): the screen,
    the sheet's column and the CLI put the ground's name beside its evidence already."""
    name = t("exit.ground.zombie", lang=lang)
    for separator in ("：", ": "):
        if explanation.startswith(name + separator):
            return explanation[len(name) + len(separator):]
    return explanation


def _hazard_grounds(found: list[HazardEvidence], lang: str | None) -> list[Ground]:
    grounds = []
    repeats = [h for h in found if h.earlier]
    if repeats:
        items = t("exit.evidence.separator", lang=lang).join(
            t("exit.evidence.repeat_item", lang=lang, code=h.item_code, number=h.earlier + 1,
              found=h.found_on.isoformat(), text=h.description[:40]) for h in repeats)
        grounds.append(Ground("repeat_findings", t("exit.evidence.repeats", lang=lang, count=len(repeats),
                                                   items=items)))
    majors = [h for h in found if h.major_unclosed]
    if majors:
        items = t("exit.evidence.separator", lang=lang).join(
            t("exit.evidence.major_item", lang=lang, found=h.found_on.isoformat(), text=h.description[:40],
              deadline=h.deadline.isoformat() if h.deadline else "—") for h in majors)
        grounds.append(Ground("major_unrectified", t("exit.evidence.majors", lang=lang, count=len(majors),
                                                     items=items)))
    return grounds


def exit_list(store: Store, park_id: str, quarter: Quarter, *, today: date | None = None,
              thresholds: RiskFlagThresholds | None = None, lang: str | None = None) -> list[ExitCandidate]:
    """The park's tenants listed for `quarter`, by name, each with its grounds and latest decision.
    `thresholds`: the office's risk-flag thresholds (Settings.risk_flags); None is the built-in ones."""
    today = today or china_time.today()
    thresholds = thresholds or RiskFlagThresholds()
    with store.read_connection() as conn:
        tenants = exit_tenants(conn, park_id)
        flags = load_flags(conn, quarter=quarter, today=today, thresholds=thresholds, park_id=park_id)
        hazards = hazard_evidence(conn, park_id, quarter_end(quarter))
        decided = latest_decisions(conn, park_id, str(quarter))
    listed = []
    for tenant in tenants:
        grounds = [Ground("zombie", _zombie_evidence(flag.explanation(lang), lang))
                   for flag in flags.get(tenant.id, ()) if flag.kind == "zombie"]
        class_d = _class_d(tenant, quarter, lang)
        if class_d:
            grounds.append(class_d)
        grounds += _hazard_grounds(hazards.get(tenant.id, []), lang)
        if grounds:
            listed.append(ExitCandidate(tenant.id, tenant.name, tenant.credit_code, grounds, decided.get(tenant.id)))
    return listed


def decide(store: Store, park_id: str, tenant_id: str, quarter: Quarter, decision: str, *,
           note: str | None = None, today: date | None = None, thresholds: RiskFlagThresholds | None = None) -> str:
    """Record keep / talk / exit for a listed tenant of the quarter, with the grounds as shown now.
    A tenant not on the quarter's list is refused: a decision needs its evidence."""
    if decision not in DECISIONS:
        raise UserError("exit.bad_decision", value=decision, choices=", ".join(DECISIONS))
    if note is not None and len(note) > 500:
        raise UserError("entry.note_too_long", max=500)
    listed = {c.tenant_id: c for c in exit_list(store, park_id, quarter, today=today, thresholds=thresholds)}
    candidate = listed.get(tenant_id)
    if candidate is None:
        raise UserError("exit.not_listed", quarter=str(quarter))
    with store.transaction() as session:
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or tenant.deleted or tenant.park_id != park_id:
            raise UserError("errors.tenant_missing")
        row = ExitDecision(park_id=park_id, tenant_id=tenant_id, quarter=str(quarter), decision=decision,
                           grounds=[g.as_record() for g in candidate.grounds], note=note or None,
                           decided_by=store.actor_id)
        session.add(row)
        session.flush()
        return row.id


# --- the office's sheet --------------------------------------------------------------------------


def sheet(candidates: list[ExitCandidate], quarter: Quarter, lang: str | None = None) -> tuple[list[str], list[list]]:
    headers = [t(f"exit.sheet.{key}", lang=lang) for key in ("tenant", "credit_code", *GROUNDS, "decision",
                                                               "decided_by", "decided_at", "note")]
    rows = []
    for c in candidates:
        by_kind = {g.kind: g.evidence for g in c.grounds}
        d = c.decision
        rows.append([c.name, c.credit_code, *(by_kind.get(kind) for kind in GROUNDS),
                     t(f"exit.decision.{d.decision}", lang=lang) if d else None,
                     d.decided_by if d else None,
                     china_time.local(d.decided_at).strftime("%Y-%m-%d %H:%M") if d else None,
                     d.note if d else None])
    return headers, rows


def export_exit_list(store: Store, park_id: str, quarter: Quarter, path: Path, *, today: date | None = None,
                     lang: str | None = None, thresholds: RiskFlagThresholds | None = None) -> list[ExitCandidate]:
    if Path(path).suffix.lower() != ".xlsx":
        raise UserError("exit.bad_suffix")
    candidates = exit_list(store, park_id, quarter, today=today, lang=lang, thresholds=thresholds)
    headers, rows = sheet(candidates, quarter, lang)
    write_xlsx(Path(path), headers, rows, t("exit.sheet.title", lang=lang, quarter=str(quarter)))
    return candidates
