"""A record's history from the audit trail: who changed what, when, on which device.

The flush hook (db/changelog.py) writes an `AuditEvent` with before/after values for every change
to an audited table. A hazard's history is its own events plus those of its rectification items
(every revision) and of their re-inspections, oldest first, with the actors' names resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import select

from db.models import AuditEvent, Inspector, RectificationItem, Reinspection
from db.store import Store


@dataclass(frozen=True)
class AuditEntry:
    id: str
    created_at: datetime  # aware, UTC
    actor_id: str | None
    actor_name: str | None
    device: str
    table_name: str
    row_id: str
    action: str  # insert | update | delete
    before: dict
    after: dict


@dataclass(frozen=True)
class History:
    entries: list[AuditEntry]
    inspector_names: dict[str, str]  # every inspector known here, to show ids held in values


def hazard_history(store: Store, hazard_id: str) -> History:
    with store.read() as session:
        item_ids = list(session.exec(select(RectificationItem.id).where(RectificationItem.hazard_id == hazard_id)))
        reinspection_ids = list(session.exec(
            select(Reinspection.id).where(Reinspection.rectification_item_id.in_(item_ids)))) if item_ids else []
        events = session.exec(
            select(AuditEvent).where(AuditEvent.row_id.in_([hazard_id, *item_ids, *reinspection_ids]))
            .order_by(AuditEvent.created_at, AuditEvent.hlc)
        ).all()
        names = {i.id: i.name for i in session.exec(select(Inspector))}
    return History(
        entries=[AuditEntry(id=e.id, created_at=_aware(e.created_at), actor_id=e.actor_id,
                            actor_name=names.get(e.actor_id) if e.actor_id else None, device=e.origin_device,
                            table_name=e.table_name, row_id=e.row_id, action=e.action, before=e.before or {},
                            after=e.after or {}) for e in events],
        inspector_names=names,
    )


def _aware(moment: datetime) -> datetime:
    # SQLite hands back the stored UTC time without its zone.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
