"""双随机 inspection plans on the office's device: create a plan, declare recusals, draw, verify.

Only the office plans: a device the hub enrolled for every park, or one in the office's role
(profile, or `parkinspect --office`) that the hub has not limited (services/office_role.py); the
hub refuses the same rows from a park-limited device (`office_only`, docs/SYNC.md "Rules").

The draw (`draw_plan`) builds the register from the ledger — the plan's parks' tenants in the
park, without the ones a 复查 is due for by the window's end (re-inspections follow their own
deadlines and are never drawn), each with the risk factors of `plan_draw.FACTORS` — runs
`plan_draw.run_draw` and keeps, in one transaction, the append-only `plan_draw` row (seed,
register, its sha256, parameters, pairing inputs, result) and one `inspection_task` per drawn
tenant. A second draw of a plan is refused, and so is an edit of a drawn plan. `verify_draw`
re-runs the draw from the kept register and inputs and says whether it gives the kept result.

Tasks on the laptops, their status and the completion figures are in services/plan_tasks.py.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import select

from db.errors import UserError
from db.models import InspectionPlan, InspectionTask, Inspector, Park, PlanDraw, PlanRecusal, Tenant
from db.plan_register_queries import register_facts
from db.store import Store
from forms import china_time
from forms.risk_flag_thresholds import RiskFlagThresholds
from inspect_app.services import office_role, plan_draw
from inspect_app.services.plan_draw import FACTORS, Candidate, DrawError, Pairing, Parameters
from inspect_app.services.risk_flags import Quarter, load_flags

COUNT_CAP = plan_draw.COUNT_CAP
MAX_NAME = 100


@dataclass(frozen=True)
class PlanInput:
    name: str
    period: str
    park_codes: list[str]
    ratio: float | None = None
    count: int | None = None
    weights: dict | None = None
    inspectors: list[str] | None = None  # ids or names; None = every inspector
    per_task: int = 2
    recuse_own_street: bool = False
    window_start: date | None = None  # default: the period's first day
    complete_by: date | None = None  # default: the period's last day


@dataclass(frozen=True)
class DrawOutcome:
    plan: InspectionPlan
    seed: str
    register_sha256: str
    candidates: int
    excluded_reinspection: int
    drawn: list[plan_draw.Drawn]


@dataclass(frozen=True)
class VerifyOutcome:
    matches: bool
    register_ok: bool  # the kept register still has the kept sha256
    register_sha256: str
    seed: str
    drawn: int


def require_office(store: Store) -> None:
    office_role.require_office(store, "plans")


def period_window(period: str) -> tuple[date, date]:
    """2027Q1 -> (2027-01-01, 2027-03-31); UserError for anything else."""
    try:
        quarter = Quarter.parse(period)
    except ValueError:
        raise UserError("plans.bad_period", value=period) from None
    start = date(quarter.year, quarter.quarter * 3 - 2, 1)
    following = quarter.shift(1)
    return start, date(following.year, following.quarter * 3 - 2, 1) - timedelta(days=1)


def create_plan(store: Store, data: PlanInput) -> InspectionPlan:
    require_office(store)
    name = (data.name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise UserError("plans.bad_name", max=MAX_NAME)
    period = (data.period or "").strip().upper()
    default_start, default_end = period_window(period)
    start, end = data.window_start or default_start, data.complete_by or default_end
    if end < start:
        raise UserError("plans.bad_window", start=start, end=end)
    if (data.ratio is None) == (data.count is None):
        raise UserError("plans.ratio_or_count")
    if data.ratio is not None and not 0 < data.ratio <= 1:
        raise UserError("plans.bad_ratio", value=data.ratio)
    if data.count is not None and data.count < 1:
        raise UserError("plans.bad_count", value=data.count)
    if data.per_task < plan_draw.MIN_PER_TASK:
        raise UserError("plans.per_task_too_small", minimum=plan_draw.MIN_PER_TASK)
    try:
        weights = plan_draw.validate_weights(data.weights or {})
    except DrawError as error:
        raise UserError(error.key, **error.values) from None
    with store.transaction() as session:
        if session.exec(select(InspectionPlan.id).where(InspectionPlan.name == name)).first():
            raise UserError("plans.name_taken", name=name)
        park_ids = []
        for code in dict.fromkeys(data.park_codes):
            park = session.exec(select(Park).where(Park.code == code, Park.deleted == False)).first()  # noqa: E712
            if park is None:
                raise UserError("plans.unknown_park", code=code)
            park_ids.append(park.id)
        if not park_ids:
            raise UserError("plans.no_parks")
        inspector_ids = _resolve_inspectors(session, data.inspectors)
        if len(inspector_ids) < data.per_task:
            raise UserError("plans.too_few_available", count=len(inspector_ids), needed=data.per_task)
        plan = InspectionPlan(name=name, period=period, park_ids=park_ids, draw_ratio=data.ratio,
                              draw_count=data.count, weights=weights, inspector_ids=inspector_ids,
                              inspectors_per_task=data.per_task, recuse_own_street=data.recuse_own_street,
                              window_start=start, complete_by=end, created_by=store.actor_id)
        session.add(plan)
        session.flush()
        session.expunge(plan)
    return plan


def _resolve_inspectors(session, given: list[str] | None) -> list[str]:
    live = session.exec(select(Inspector).where(Inspector.deleted == False)).all()  # noqa: E712
    if given is None:
        return sorted(i.id for i in live)
    found = []
    for word in given:
        matches = [i for i in live if i.id == word] or [i for i in live if i.name == word]
        if not matches:
            raise UserError("plans.unknown_inspector", value=word)
        if len(matches) > 1:
            raise UserError("plans.ambiguous_inspector", value=word, ids=", ".join(i.id for i in matches))
        found.append(matches[0].id)
    return sorted(set(found))


def find_plan(session, name: str) -> InspectionPlan:
    plan = session.exec(select(InspectionPlan).where(InspectionPlan.name == name,
                                                     InspectionPlan.deleted == False)).first()  # noqa: E712
    if plan is None:
        raise UserError("plans.unknown_plan", name=name)
    return plan


def plan_draw_row(session, plan_id: str) -> PlanDraw | None:
    return session.exec(select(PlanDraw).where(PlanDraw.plan_id == plan_id)).first()


def update_plan(store: Store, name: str, **fields) -> None:
    """Change a plan before its draw (its weights, count, inspectors…); a drawn plan is refused."""
    require_office(store)
    with store.transaction() as session:
        plan = find_plan(session, name)
        if plan_draw_row(session, plan.id) is not None:
            raise UserError("plans.already_drawn", name=name)
        if "weights" in fields:
            try:
                fields["weights"] = plan_draw.validate_weights(fields["weights"])
            except DrawError as error:
                raise UserError(error.key, **error.values) from None
        for key, value in fields.items():
            setattr(plan, key, value)


def add_recusal(store: Store, *, inspector: str, reason: str, credit_code: str | None = None,
                street: str | None = None) -> list[PlanRecusal]:
    """A declared conflict (inspector ↔ tenant by credit code: each live tenant row holding it) or the
    inspector's home street; the rows kept."""
    require_office(store)
    reason = (reason or "").strip()
    if not reason:
        raise UserError("plans.recusal_reason")
    if (credit_code is None) == (street is None):
        raise UserError("plans.recusal_what")
    with store.transaction() as session:
        inspector_id = _resolve_inspectors(session, [inspector])[0]
        if credit_code is not None:
            tenants = session.exec(select(Tenant).where(Tenant.credit_code == credit_code.strip().upper(),
                                                        Tenant.deleted == False)).all()  # noqa: E712
            if not tenants:
                raise UserError("plans.unknown_tenant", code=credit_code)
            rows = [PlanRecusal(inspector_id=inspector_id, tenant_id=t.id, reason=reason) for t in tenants]
        else:
            rows = [PlanRecusal(inspector_id=inspector_id, street=street.strip(), reason=reason)]
        session.add_all(rows)
        session.flush()
        for row in rows:
            session.expunge(row)
    return rows


# --- the register ---------------------------------------------------------------------------------


def build_register(store: Store, plan: InspectionPlan, *, today: date,
                   thresholds: RiskFlagThresholds | None = None) -> tuple[list[Candidate], int]:
    """The plan's candidates with their risk factors, and how many tenants a 复查 left out.
    `thresholds`: the office's (Settings.risk_flags); None is the built-in ones."""
    with store.read_connection() as conn:
        facts = register_facts(conn, plan.park_ids, plan.complete_by)
        flags = load_flags(conn, quarter=Quarter.last_complete(today), today=today,
                           thresholds=thresholds or RiskFlagThresholds())
    candidates = []
    excluded = 0
    for tenant_id, park_id, street, fire_class, living in facts.tenants:
        if tenant_id in facts.reinspection_due:
            excluded += 1
            continue
        kinds = {f.kind for f in flags.get(tenant_id, ())}
        factors = {"class_a": fire_class == "A", "class_b": fire_class == "B", "people_living": bool(living),
                   "open_hazards": min(facts.open_hazards.get(tenant_id, 0), COUNT_CAP),
                   "overdue_hazards": "overdue_hazards" in kinds,
                   "repeat_findings": min(facts.repeats.get(tenant_id, 0), COUNT_CAP),
                   "never_inspected": tenant_id not in facts.inspected, "zombie": "zombie" in kinds,
                   "declining": "declining" in kinds}
        candidates.append(Candidate(tenant_id, park_id, street or "", tuple(int(factors[f]) for f in FACTORS)))
    return candidates, excluded


def _parameters(plan: InspectionPlan) -> Parameters:
    return Parameters(weights=dict(plan.weights), count=plan.draw_count, ratio=plan.draw_ratio,
                      per_task=plan.inspectors_per_task, recuse_own_street=plan.recuse_own_street)


def _pairing(session, plan: InspectionPlan) -> Pairing:
    recusals = session.exec(select(PlanRecusal).where(PlanRecusal.deleted == False)).all()  # noqa: E712
    streets: dict[str, str] = {}
    for r in sorted(recusals, key=lambda r: (r.hlc, r.id)):  # the latest declared street counts
        if r.street:
            streets[r.inspector_id] = r.street
    inspectors = tuple(sorted((i, streets.get(i, "")) for i in plan.inspector_ids))
    recused = frozenset((r.inspector_id, r.tenant_id) for r in recusals
                        if r.tenant_id and r.inspector_id in plan.inspector_ids)
    return Pairing(inspectors=inspectors, recused=recused)


# --- the draw -------------------------------------------------------------------------------------


def draw_plan(store: Store, name: str, seed: str, *, today: date | None = None,
              thresholds: RiskFlagThresholds | None = None) -> DrawOutcome:
    """Draw the plan's tenants and inspectors from `seed`; keep the draw and make the tasks.
    `thresholds`: the office's risk-flag thresholds (build_register)."""
    require_office(store)
    today = today or china_time.today()
    seed = (seed or "").strip()
    if not seed or len(seed) > 200:
        raise UserError("plans.seed_missing")
    with store.read() as session:
        plan = find_plan(session, name)
        if plan_draw_row(session, plan.id) is not None:
            raise UserError("plans.already_drawn", name=name)
        pairing = _pairing(session, plan)
        session.expunge(plan)
    candidates, excluded = build_register(store, plan, today=today, thresholds=thresholds)
    register = plan_draw.canonical_register(candidates)
    parameters = _parameters(plan)
    try:
        drawn = plan_draw.run_draw(register, parameters, pairing, seed)
    except DrawError as error:
        raise UserError(error.key, **_named(store, error.values)) from None
    register_sha256 = plan_draw.sha256_hex(register)
    result = plan_draw.result_json(drawn)
    parameters_json = json.dumps({**parameters.as_json(), "window_start": plan.window_start.isoformat(),
                                  "complete_by": plan.complete_by.isoformat(),
                                  "excluded_reinspection": excluded}, separators=(",", ":"))
    with store.transaction() as session:
        if plan_draw_row(session, plan.id) is not None:  # another draw got in meanwhile
            raise UserError("plans.already_drawn", name=name)
        draw = PlanDraw(plan_id=plan.id, seed=seed, register_sha256=register_sha256,
                        register_zlib=zlib.compress(register, 9), candidates=len(candidates),
                        parameters_json=parameters_json, pairing_json=json.dumps(pairing.as_json()),
                        result_json=result, result_sha256=plan_draw.sha256_hex(result.encode()),
                        drawn_by=store.actor_id)
        session.add(draw)
        session.flush()
        session.add_all(InspectionTask(plan_id=plan.id, draw_id=draw.id, park_id=d.park_id, tenant_id=d.tenant_id,
                                       position=n, inspector_ids=list(d.inspector_ids),
                                       window_start=plan.window_start, complete_by=plan.complete_by)
                        for n, d in enumerate(drawn, start=1))
    return DrawOutcome(plan=plan, seed=seed, register_sha256=register_sha256, candidates=len(candidates),
                       excluded_reinspection=excluded, drawn=drawn)


def _named(store: Store, values: dict) -> dict:
    """A draw refusal names the tenant by name and credit code rather than by id."""
    tenant_id = values.get("tenant")
    if isinstance(tenant_id, str):
        with store.read() as session:
            tenant = session.get(Tenant, tenant_id)
            if tenant is not None:
                values = {**values, "tenant": f"{tenant.name} ({tenant.credit_code})"}
    return values


def verify_draw(store: Store, name: str, seed: str) -> VerifyOutcome:
    """Re-run the plan's draw from its kept register and inputs with `seed`: the kept result?"""
    with store.read() as session:
        plan = find_plan(session, name)
        draw = plan_draw_row(session, plan.id)
        if draw is None:
            raise UserError("plans.not_drawn", name=name)
        register = zlib.decompress(draw.register_zlib)
        kept_sha, kept_result = draw.register_sha256, draw.result_json
        parameters = Parameters.from_json(json.loads(draw.parameters_json))
        pairing = Pairing.from_json(json.loads(draw.pairing_json))
    register_ok = plan_draw.sha256_hex(register) == kept_sha
    try:
        drawn = plan_draw.run_draw(register, parameters, pairing, (seed or "").strip())
    except DrawError:
        drawn = []
    matches = register_ok and plan_draw.result_json(drawn) == kept_result
    return VerifyOutcome(matches=matches, register_ok=register_ok, register_sha256=kept_sha, seed=seed,
                         drawn=len(drawn))


# --- reading a plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawnRow:
    position: int
    park_code: str
    park_name: str
    tenant_name: str
    credit_code: str
    building: str
    unit_no: str
    inspectors: list[str]  # names
    window_start: date
    complete_by: date


@dataclass(frozen=True)
class PlanView:
    name: str
    period: str
    parks: list[str]  # codes
    ratio: float | None
    count: int | None
    weights: dict
    inspectors: list[str]  # names
    per_task: int
    recuse_own_street: bool
    window_start: date
    complete_by: date
    seed: str | None
    register_sha256: str | None
    candidates: int | None
    excluded_reinspection: int | None
    drawn_at: str | None
    rows: list[DrawnRow]

    def as_json(self) -> dict:
        return {"name": self.name, "period": self.period, "parks": self.parks, "ratio": self.ratio,
                "count": self.count, "weights": self.weights, "inspectors": self.inspectors,
                "inspectors_per_task": self.per_task, "recuse_own_street": self.recuse_own_street,
                "window_start": self.window_start.isoformat(), "complete_by": self.complete_by.isoformat(),
                "seed": self.seed, "register_sha256": self.register_sha256, "candidates": self.candidates,
                "excluded_reinspection": self.excluded_reinspection, "drawn_at": self.drawn_at,
                "tasks": [{"position": r.position, "park": r.park_code, "tenant": r.tenant_name,
                           "credit_code": r.credit_code, "inspectors": r.inspectors} for r in self.rows]}


def plan_view(store: Store, name: str) -> PlanView:
    with store.read() as session:
        plan = find_plan(session, name)
        draw = plan_draw_row(session, plan.id)
        parks = {p.id: p for p in session.exec(select(Park))}
        names = {i.id: i.name for i in session.exec(select(Inspector))}
        rows = []
        tasks = session.exec(select(InspectionTask, Tenant).join(Tenant, Tenant.id == InspectionTask.tenant_id)
                             .where(InspectionTask.plan_id == plan.id, InspectionTask.deleted == False)  # noqa: E712
                             .order_by(InspectionTask.position)).all()
        for task, tenant in tasks:
            park = parks.get(task.park_id)
            rows.append(DrawnRow(task.position, park.code if park else "", park.name if park else "", tenant.name,
                                 tenant.credit_code, tenant.building or "", tenant.unit_no or "",
                                 [names.get(i, i) for i in task.inspector_ids], task.window_start, task.complete_by))
        kept = json.loads(draw.parameters_json) if draw else {}
        return PlanView(
            name=plan.name, period=plan.period, parks=[parks[p].code for p in plan.park_ids if p in parks],
            ratio=plan.draw_ratio, count=plan.draw_count, weights=dict(kept.get("weights") or plan.weights),
            inspectors=[names.get(i, i) for i in plan.inspector_ids], per_task=plan.inspectors_per_task,
            recuse_own_street=plan.recuse_own_street, window_start=plan.window_start, complete_by=plan.complete_by,
            seed=draw.seed if draw else None, register_sha256=draw.register_sha256 if draw else None,
            candidates=draw.candidates if draw else None,
            excluded_reinspection=kept.get("excluded_reinspection") if draw else None,
            drawn_at=china_time.local(draw.drawn_at).strftime("%Y-%m-%d %H:%M") if draw else None, rows=rows)
