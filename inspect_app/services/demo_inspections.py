"""The demo's inspections and hazards, made by the services' own rules.

An inspection is started, answered and finished as in the app: `new_inspection` makes a result
naming each of the template's items, `finished_rows` turns each failed result into a hazard with
its 五落实 item and the template's deadline (services/inspections.py). What the inspector then
does on site and afterwards goes through the same forms and rules as in the app: the hazard's
place and severity through `HazardInput`, the 五落实 through `RectificationInput` and
`fill_rectification`, the tenant's report through `apply_status`, and each 复查 through
`new_reinspection` and `apply_reinspection` (services/hazards.py). Only the dates are the
demo's own: each inspection happens on a drawn past day (its `started_at` and `found_on`), and
nothing is written here; the rows go to `ParkRows`, one transaction per park.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from db.checklist_items import ItemAsItWas, item_of
from db.models import (
    Building,
    ChecklistItem,
    CheckResult,
    Hazard,
    Inspection,
    Park,
    RectificationItem,
    Tenant,
)
from forms import china_time
from forms.checklist import ChecklistTemplate, builtin_templates
from forms.rectification import HazardInput, RectificationInput
from inspect_app.services.demo_data import (
    FIRE_TEMPLATE_ID,
    LEDGER_TEMPLATE_ID,
    DemoData,
    Finding,
    ShowcaseHazard,
)
from inspect_app.services.demo_ledger import LedgerMaker
from inspect_app.services.demo_rows import ParkRows
from inspect_app.services.hazards import (
    apply_reinspection,
    apply_status,
    fill_rectification,
    new_reinspection,
)
from inspect_app.services.inspections import finished_rows, new_inspection

FIRE = builtin_templates()[FIRE_TEMPLATE_ID]
LEDGER = builtin_templates()[LEDGER_TEMPLATE_ID]
CHECKLIST_ITEM_CODES = FIRE.codes()  # A01..F05, in checklist order
# When an item meant to be rectified on the spot (deadline 0 days) is not, because it needs a
# purchase or a tradesman, the inspector gives a few days instead.
NOT_FIXED_ON_THE_SPOT_DAYS = 3
SHARE_FIXED_ON_THE_SPOT = 0.6
SHARE_RAISED_TO_MAJOR = 0.3  # of failures of "may be major" items (GB 35181 is judged on site)
SHARE_LEDGER_VERIFIED = 0.12  # of tenants in the park: a 台账核查 in the last eight months
LEDGER_MISMATCH_DEADLINE_DAYS = 30
DAYS_BACK = 240  # inspections happen over the last eight months


@dataclass(frozen=True)
class Failure:
    code: str  # the checklist item that failed
    plan: ShowcaseHazard | None = None  # a life cycle chosen rather than drawn (the showcase)


@dataclass(frozen=True)
class HazardPlan:
    """What happens to one hazard, drawn before the inspection is finished."""

    location: str
    severity: str
    five: RectificationInput  # the 五落实 as agreed (one field may be left empty)
    status: str  # where the life cycle stands today (overdue = open, deadline passed)
    on: date | None  # the day it was closed or escalated
    note: str | None  # the 复查's evidence note; None for one put right on the spot


@dataclass
class Visit:
    """A started inspection, its results (one per template item) and when it will finish (UTC)."""

    inspection: Inspection
    results: dict[str, CheckResult]  # by item code, in checklist order
    finished_at: datetime
    items: list[ChecklistItem]  # the template's items as they are, which the results name

    @property
    def item_views(self) -> dict[str, ItemAsItWas]:
        """Result id -> the item it answers (finished_rows)."""
        by_id = {item.id: item for item in self.items}
        return {r.id: item_of(r, by_id[r.checklist_item_id]) for r in self.results.values()}

    @property
    def found_on(self) -> date:
        return china_time.local_date(self.inspection.started_at)


class InspectionMaker:
    """Draws inspections, their outcomes, hazards and each hazard's life cycle up to `today`."""

    def __init__(self, rng: random.Random, today: date, data: DemoData, ledger: LedgerMaker):
        self.rng = rng
        self.today = today
        self.data = data
        self.ledger = ledger  # for the names and phones of park property managers

    def inspection(self, park: Park, tenant: Tenant | None, inspector_ids: list[str], found_on: date,
                   template: ChecklistTemplate = FIRE) -> Visit:
        """Started on `found_on` between 8:00 and 15:45 China time, finished 30 to 120 minutes later."""
        start_local = datetime.combine(found_on, time(self.rng.randint(8, 15), self.rng.choice((0, 15, 30, 45))),
                                       tzinfo=china_time.zone())
        started_at = start_local.astimezone(UTC)
        inspection, items, results = new_inspection(park_id=park.id, tenant_id=tenant.id if tenant else None,
                                                    template=template, inspector_ids=inspector_ids,
                                                    started_at=started_at)
        finished_at = started_at + timedelta(minutes=self.rng.randint(30, 120))
        return Visit(inspection, {r.item_code: r for r in results}, finished_at, items)

    def tenant_inspection(self, rows: ParkRows, park: Park, tenant: Tenant, inspector_ids: list[str]) -> None:
        found_on = self.today - timedelta(days=self.rng.randint(1, DAYS_BACK))
        visit = self.inspection(park, tenant, inspector_ids, found_on)
        outcomes = {code: self.tenant_outcome(code, tenant) for code in CHECKLIST_ITEM_CODES}
        failures = [Failure(code) for code in CHECKLIST_ITEM_CODES if outcomes[code] == "fail"]
        self.inspection_rows(rows, visit, outcomes, failures, tenant=tenant, buildings=())

    def tenant_outcome(self, code: str, tenant: Tenant) -> str:
        rng, needs_risk = self.rng, self.data.items_needing_risk
        if code == "C05":
            return "na"  # the control room belongs to the park's common areas
        if code in needs_risk and not set(needs_risk[code]) & set(tenant.risk_points):
            return "na"
        if code in ("C03", "C04") and tenant.rented_area_m2 < 1000 and rng.random() < 0.6:
            return "na"  # small units often have no sprinklers or detectors of their own
        if code == "F05":
            return "pass" if tenant.safety_agreement_signed else "fail"  # the inspection confirms the ledger
        if code == "A03" and tenant.people_living_on_site:
            return "fail" if rng.random() < 0.6 else "pass"
        return "fail" if rng.random() < self.data.findings_for(code).fail_rate else "pass"

    def common_area_inspection(self, rows: ParkRows, park: Park, buildings: Sequence[Building],
                               inspector_ids: list[str], *, showcase: bool) -> None:
        """The park's corridors, stairs and control room; the first park's holds one hazard of each status."""
        days_ago = self.data.showcase_found_days_ago if showcase else self.rng.randint(1, DAYS_BACK)
        visit = self.inspection(park, None, inspector_ids, self.today - timedelta(days=days_ago))
        outcomes = {}
        for code in CHECKLIST_ITEM_CODES:
            applicable = code in self.data.common_area_items
            failed = self.rng.random() < self.data.findings_for(code).fail_rate
            outcomes[code] = ("fail" if failed else "pass") if applicable else "na"
        failures = []
        if showcase:
            for planned in self.data.showcase:
                outcomes[planned.item] = "fail"
                failures.append(Failure(planned.item, planned))
        planned_codes = {failure.code for failure in failures}
        failures += [Failure(code) for code in CHECKLIST_ITEM_CODES
                     if outcomes[code] == "fail" and code not in planned_codes]
        self.inspection_rows(rows, visit, outcomes, failures, tenant=None, buildings=buildings)

    def finding_and_location(self, code: str, tenant: Tenant | None,
                             buildings: Sequence[Building]) -> tuple[Finding, str]:
        """What was found and where: in the tenant's unit, or in a building's shared spaces."""
        findings = self.data.findings_for(code).findings
        if tenant is not None:
            finding = self.rng.choice(findings)
            return finding, f"{tenant.building}{tenant.unit_no}{finding.place}"
        finding = self.rng.choice([f for f in findings if f.place in self.data.shared_places] or findings)
        return finding, f"{self.rng.choice(buildings).name}{finding.place or '公共区域'}"

    def inspection_rows(self, rows: ParkRows, visit: Visit, outcomes: dict[str, str], failures: list[Failure], *,
                        tenant: Tenant | None, buildings: Sequence[Building]) -> None:
        """Answer every item, finish the inspection into hazards, then each hazard's 五落实 and life cycle."""
        inspection, results = visit.inspection, visit.results
        for code, result in results.items():
            result.outcome = outcomes[code]
        plans = []
        for failure in failures:  # every draw for one hazard before the next's, in the order noted
            finding, location = self.finding_and_location(failure.code, tenant, buildings)
            results[failure.code].note = finding.description
            plans.append(self.hazard_plan(failure, finding, location, visit.found_on, tenant))
        # Finished in the order the failures were noted, so the showcase's hazards come first.
        made = finished_rows(inspection, [results[failure.code] for failure in failures], visit.item_views,
                             template=FIRE,
                             location="", today=visit.found_on, finished_at=visit.finished_at)
        for (hazard, item), plan in zip(made, plans, strict=True):
            # What the inspector corrects on the summary screen: the place, the severity judged on site.
            edit = HazardInput(location=plan.location, description=hazard.description, severity=plan.severity)
            hazard.location, hazard.severity = edit.location, edit.severity
            fill_rectification(item, plan.five)
            reinspection = self.life_cycle(hazard, item, plan, inspection.inspector_ids)
            rows.hazards.append(hazard)
            rows.rectification_items.append(item)
            if reinspection:
                rows.reinspections.append(reinspection)
        count = len(failures)
        inspection.summary = f"检查发现隐患{count}处，已告知整改要求" if count else "未发现消防安全隐患"
        rows.inspections.append(inspection)
        rows.add_checklist_items(visit.items)
        rows.check_results.extend(results.values())

    def hazard_plan(self, failure: Failure, finding: Finding, location: str, found_on: date,
                    tenant: Tenant | None) -> HazardPlan:
        """The severity, the 五落实 and where the hazard's life cycle stands today, all drawn now.

        Statuses: open (deadline ahead), overdue (still open, deadline passed), pending_review (the
        tenant reports it done before the deadline), closed (with closed_on), escalated.
        """
        rng, data = self.rng, self.data
        # The template's default severity, raised on site for some "may be major" items.
        # Showcase hazards keep the default: their planned deadlines are general ones.
        checklist_item = FIRE.item(failure.code)
        may_be_major = checklist_item.major_possible and failure.plan is None
        raised = may_be_major and rng.random() < SHARE_RAISED_TO_MAJOR
        severity = "major" if raised else checklist_item.default_severity
        # The deadline the app proposes when an inspection finishes, for the severity set on site.
        days = checklist_item.deadline_days(severity)
        missing = None
        if failure.plan is not None:
            status, missing = failure.plan.status, failure.plan.missing
            deadline = found_on + timedelta(days=failure.plan.deadline_days)
        elif days == 0 and rng.random() < SHARE_FIXED_ON_THE_SPOT:
            status, deadline = "closed", found_on  # 当场整改
        else:
            deadline = found_on + timedelta(days=days or NOT_FIXED_ON_THE_SPOT_DAYS)
            status = self.status_for_deadline(deadline, severity)
            if status == "open" and rng.random() < 0.1:
                missing = rng.choice(data.optional_item_fields)

        if tenant is not None:
            person, phone = tenant.contact_name, tenant.contact_phone
        else:
            person, phone = self.ledger.person_name(), self.ledger.mobile()  # the park's property manager
        low, high = data.findings_for(failure.code).funds_yuan
        funds = float(round(rng.randint(low, high), -2)) if high else 0.0
        five = {"responsible_person": person, "responsible_phone": phone, "measures": finding.measures,
                "funds_yuan": funds, "funds_reason": rng.choice(data.zero_funds_reasons) if funds == 0 else None,
                "deadline": deadline, "contingency_plan": rng.choice(data.contingency_plans)}
        if missing == "funds_yuan":
            five["funds_reason"] = None
        if missing:
            five[missing] = None
        on, note = None, None
        if status == "closed" and deadline == found_on:
            on = found_on
        elif status == "closed":
            on, note = min(self.today, deadline - timedelta(days=rng.randint(0, 3))), "现场复查，已整改到位"
        elif status == "escalated":
            on = min(self.today, deadline + timedelta(days=rng.randint(1, 10)))
            note = rng.choice(data.escalation_notes)
        return HazardPlan(location, severity, RectificationInput.model_validate(five), status, on, note)

    @staticmethod
    def life_cycle(hazard: Hazard, item: RectificationItem, plan: HazardPlan, inspector_ids: list[str]):
        """Bring the hazard to its planned status as the app does; returns the 复查 row when one is made."""
        if plan.status == "pending_review":
            apply_status(hazard, item, "pending_review")  # the tenant reports it done
        elif plan.status == "closed" and plan.note is None:  # 当场整改: closed on the day, no 复查
            apply_reinspection(hazard, item, outcome="rectified", on=plan.on, new_deadline=None)
        elif plan.status in ("closed", "escalated"):
            outcome = "rectified" if plan.status == "closed" else "escalated"
            reinspection = new_reinspection(item, outcome=outcome, on=plan.on, evidence_note=plan.note,
                                            new_deadline=None, inspector_ids=inspector_ids)
            apply_reinspection(hazard, item, outcome=outcome, on=plan.on, new_deadline=None)
            return reinspection
        return None  # open, or overdue: still open with its deadline passed (derived when read)

    def status_for_deadline(self, deadline: date, severity: str) -> str:
        roll = self.rng.random()
        if deadline >= self.today:
            return "pending_review" if roll < 0.15 else "open"
        if severity == "major":
            return "closed" if roll < 0.45 else "escalated" if roll < 0.7 else "overdue"
        return "closed" if roll < 0.75 else "escalated" if roll < 0.83 else "overdue"

    def ledger_verification(self, rows: ParkRows, park: Park, tenant: Tenant, inspector_ids: list[str]) -> None:
        """A 台账核查: most tenants match their ledger row; about a third differ in one respect,
        which becomes a hazard to rectify (and the overview's "ledger mismatch" flag)."""
        rng = self.rng
        found_on = self.today - timedelta(days=rng.randint(1, DAYS_BACK))
        visit = self.inspection(park, tenant, inspector_ids, found_on, LEDGER)
        inspection, results = visit.inspection, visit.results
        for result in results.values():
            result.outcome = "pass"
        if rng.random() < 0.35:
            mismatch = rng.choice(self.data.ledger_mismatches)
            result = results[mismatch.item]
            result.outcome = "fail"
            result.observed_value = mismatch.observed.format(area=tenant.rented_area_m2 * rng.uniform(1.2, 1.6),
                                                             people=tenant.headcount + rng.randint(8, 30))
            result.note = f"{visit.item_views[result.id].text}：不符，{result.observed_value}"
            ((hazard, item),) = finished_rows(inspection, [result], visit.item_views, template=LEDGER, today=found_on,
                                              location=f"{tenant.building}{tenant.unit_no}",
                                              finished_at=visit.finished_at)
            deadline = found_on + timedelta(days=LEDGER_MISMATCH_DEADLINE_DAYS)
            status = self.status_for_deadline(deadline, "general")
            fill_rectification(item, RectificationInput(
                responsible_person=tenant.contact_name, responsible_phone=tenant.contact_phone,
                measures=mismatch.measures, funds_yuan=0, funds_reason=rng.choice(self.data.zero_funds_reasons),
                deadline=deadline, contingency_plan=rng.choice(self.data.contingency_plans)))
            if status == "closed":  # put right by the deadline; the next 台账核查 confirms it
                apply_reinspection(hazard, item, outcome="rectified", on=min(self.today, deadline), new_deadline=None)
            elif status in ("pending_review", "escalated"):
                apply_status(hazard, item, status)
            rows.hazards.append(hazard)
            rows.rectification_items.append(item)
            inspection.summary = "台账核查发现1处与台账不符，已告知整改要求"
        else:
            finished_rows(inspection, [], {}, template=LEDGER, location="", today=found_on,
                          finished_at=visit.finished_at)
            inspection.summary = "台账核查：与台账一致"
        rows.inspections.append(inspection)
        rows.add_checklist_items(visit.items)
        rows.check_results.extend(results.values())
