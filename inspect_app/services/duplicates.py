"""Possible duplicates: live tenants of one park with the same credit code (docs/SYNC.md, "Unique values").

A person cannot type a second tenant with a code the park has (services/ledger.py refuses it), but
two devices may add the same company offline, or one may change a tenant's code to one another
device just added. Both rows then reach every device, and this review settles them:

- **merge**: keep one tenant; the other's inspections, hazards, quarterly reports and photo links
  move to it (ORM edits, so they sync); a quarter both hold keeps the kept tenant's report (the
  other's is tombstoned, and the result says how many); notices are issued legal documents and
  stay on the other tenant, which becomes a tombstone pointing to the kept one (`merged_into`);
- **distinct**: two companies that really share the code (a typing error in a ledger, a branch):
  both get `distinct_code` = the code, a synced field, so no device lists the pair again (a third
  tenant added later with that code is listed with each of them).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from db.duplicate_queries import duplicate_pairs, tenant_facts
from db.errors import UserError
from db.models import AttachmentLink, Hazard, Inspection, QuarterlyReport, Tenant
from db.store import Store

# Synced rows that name a tenant and move with a merge. Notices stay (append-only legal records);
# audit events and conflict rows are history and stay with the row they describe.
# tests/test_duplicates.py checks that every foreign key to tenant.id is listed here or in KEPT.
MOVED = ("inspection.tenant_id", "hazard.tenant_id", "quarterly_report.tenant_id")
# A notice names the tenant it was served on; a plan's task names the tenant the published draw
# drew (and only the office changes tasks: the hub refuses a laptop's edit of one); an entry or
# exit decision is an append-only record of what was decided about that row (the merged tenant's
# history keeps it, as the notices).
KEPT = ("notice.tenant_id", "tenant.merged_into", "inspection_task.tenant_id",
        "entry_decision.tenant_id", "exit_decision.tenant_id")


@dataclass(frozen=True)
class TenantBrief:
    id: str
    name: str
    contact: str  # contact name and phone, as one line
    created_at: str  # day the row was made (yyyy-mm-dd)
    inspections: int


@dataclass(frozen=True)
class DuplicatePair:
    park_id: str
    park_name: str
    credit_code: str
    first: TenantBrief  # the older row
    second: TenantBrief


@dataclass(frozen=True)
class MergeResult:
    kept_id: str
    merged_id: str
    moved: int  # rows now pointing to the kept tenant
    quarters_dropped: int  # the other tenant's reports of quarters the kept one has: tombstoned


def possible_duplicates(store: Store, park_id: str | None = None) -> list[DuplicatePair]:
    """Pairs of live tenants of one park with the same code not marked distinct, by park and code."""
    with store.read_connection() as conn:
        rows = duplicate_pairs(conn, park_id)
        briefs = {tenant_id: _brief(conn, tenant_id) for row in rows for tenant_id in row[3:]}
    pairs = []
    for park, park_name, code, first, second in rows:
        older, newer = sorted((briefs[first], briefs[second]), key=lambda b: (b.created_at, b.id))
        pairs.append(DuplicatePair(park, park_name, code, older, newer))
    return pairs


def _brief(conn, tenant_id: str) -> TenantBrief:
    name, contact_name, phone, created, inspections = tenant_facts(conn, tenant_id)
    contact = " ".join(part for part in (contact_name, phone) if part)
    return TenantBrief(tenant_id, name, contact, str(created or "")[:10], inspections)


def _pair(session, keep_id: str, other_id: str):
    """Both tenants, still live duplicates of each other; else the review is out of date."""
    keep, other = session.get(Tenant, keep_id), session.get(Tenant, other_id)
    if (keep is None or other is None or keep_id == other_id or keep.deleted or other.deleted
            or keep.park_id != other.park_id or keep.credit_code != other.credit_code):
        raise UserError("duplicates.gone")
    return keep, other


def merge_tenants(store: Store, keep_id: str, other_id: str) -> MergeResult:
    """Keep `keep_id`; move what names `other_id` to it and make `other_id` a tombstone leading there."""
    with store.transaction() as session:
        keep, other = _pair(session, keep_id, other_id)
        moved = dropped = 0
        for model in (Inspection, Hazard):
            for row in session.exec(select(model).where(model.tenant_id == other_id)).all():
                row.tenant_id = keep_id
                moved += 1
        held = {(r.year, r.quarter) for r in session.exec(
            select(QuarterlyReport).where(QuarterlyReport.tenant_id == keep_id, QuarterlyReport.deleted == False))}  # noqa: E712
        for report in session.exec(select(QuarterlyReport).where(QuarterlyReport.tenant_id == other_id)).all():
            if report.deleted:
                continue  # a tombstone stays where it is (the unique key would refuse a second one)
            if (report.year, report.quarter) in held:
                report.deleted = True  # the kept tenant's figures for that quarter win
                dropped += 1
            else:
                report.tenant_id = keep_id
                moved += 1
        for link in session.exec(select(AttachmentLink).where(AttachmentLink.owner_table == "tenant",
                                                              AttachmentLink.owner_id == other_id)).all():
            link.owner_id = keep_id
            moved += 1
        other.merged_into = keep_id
        other.deleted = True
    return MergeResult(keep_id, other_id, moved, dropped)


def mark_distinct(store: Store, first_id: str, second_id: str) -> None:
    """Two companies that share a credit code: no device lists them as a pair again."""
    with store.transaction() as session:
        first, second = _pair(session, first_id, second_id)
        for tenant in (first, second):
            if tenant.distinct_code != tenant.credit_code:
                tenant.distinct_code = tenant.credit_code
