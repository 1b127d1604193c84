"""Checklist items as they were: one synced row per distinct item a device started, named by its content.

A check result keeps a reference (`checklist_item_id`) to the item it answers instead of a copy of
the item's text in every result (and in every result's change): 31 items per inspection share a
few dozen rows county-wide. The row's id is a uuid5 of everything it holds, so

- every device that starts the same template item offline makes the same row, and the hub and the
  devices take the second insert of it as the same fact (docs/SYNC.md, "Checklist items");
- a template edited without a new version, or another office's file with the same id and version,
  makes other rows: a past inspection always shows the words it was started with;
- the hub and every device check an insert's id against its content (`content_problem`), so a
  hostile device cannot put other words under an id.

Results written before this table (and by devices not yet migrated) carry their own copy; readers
go through `item_of` / `items_of`, which prefer the row's copy when it has one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, select

from db.models import ChecklistItem, CheckResult

NAMESPACE = uuid.UUID("6f1d3a52-8e0b-5c1e-9a55-2f7d41c0b7e3")
CONTENT_FIELDS = ("template_id", "template_version", "item_code", "category", "item_text", "default_severity",
                  "major_possible")


def item_id(template_id: str, template_version: str, item_code: str, category: str, item_text: str,
            default_severity: str, major_possible: bool) -> str:
    """The id of the item with this content (the same on every device, for ever: never change it)."""
    spelled = json.dumps([template_id, template_version, item_code, category, item_text, default_severity,
                          bool(major_possible)], ensure_ascii=False, separators=(",", ":"))
    return str(uuid.uuid5(NAMESPACE, spelled))


def content_problem(row_id: str, payload: dict) -> str | None:
    """Why an insert's values do not belong under its id (None when they do). Types are checked before."""
    values = [payload.get(name) for name in CONTENT_FIELDS]
    if any(value is None for value in values):
        return None  # NOT NULL refuses it first; category/severity/major have defaults only locally
    if item_id(*values) != row_id:
        return f"checklist_item {row_id}: the id is not the one its content gives"
    return None


def new_item(template_id: str, template_version: str, item_code: str, category: str, item_text: str,
             default_severity: str, major_possible: bool) -> ChecklistItem:
    return ChecklistItem(
        id=item_id(template_id, template_version, item_code, category, item_text, default_severity, major_possible),
        template_id=template_id, template_version=template_version, item_code=item_code, category=category,
        item_text=item_text, default_severity=default_severity, major_possible=bool(major_possible))


def add_missing(session: Session, items: Iterable[ChecklistItem]) -> None:
    """Add the items this database does not hold yet (the others are the same rows already)."""
    wanted = {item.id: item for item in items}
    if not wanted:
        return
    held = set(session.exec(select(ChecklistItem.id).where(ChecklistItem.id.in_(list(wanted)))))
    pending = {obj.id for obj in session.new if isinstance(obj, ChecklistItem)}
    session.add_all(item for item_id_, item in wanted.items() if item_id_ not in held | pending)


@dataclass(frozen=True)
class ItemAsItWas:
    category: str
    text: str
    default_severity: str
    major_possible: bool


def item_of(result: CheckResult, item: ChecklistItem | None) -> ItemAsItWas:
    """The item a result answers: its own copy when it carries one, else the referenced row."""
    if result.item_text is not None or item is None:
        return ItemAsItWas(category=result.category or "", text=result.item_text or "",
                           default_severity=result.default_severity or "general",
                           major_possible=bool(result.major_possible))
    return ItemAsItWas(category=item.category, text=item.item_text, default_severity=item.default_severity,
                       major_possible=item.major_possible)


def items_of(session: Session, results: Iterable[CheckResult]) -> dict[str, ItemAsItWas]:
    """Result id -> the item as it was, for many results in one query per 500 referenced items."""
    results = list(results)
    ids = sorted({r.checklist_item_id for r in results if r.item_text is None and r.checklist_item_id})
    rows: dict[str, ChecklistItem] = {}
    for start in range(0, len(ids), 500):
        rows.update((row.id, row) for row in session.exec(
            select(ChecklistItem).where(ChecklistItem.id.in_(ids[start:start + 500]))))
    return {r.id: item_of(r, rows.get(r.checklist_item_id or "")) for r in results}
