"""Received changes set aside for naming a table or field this database did not have, taken again
once the database has been upgraded.

A device not yet upgraded that pulls what upgraded devices pushed sets aside the changes of a
table or column its schema lacks (`format: unknown_table`, `format: unknown_field`; e.g. the
`checklist_item` rows and the results naming them, docs/SYNC.md "Checklist items"), and later
changes of those rows wait for them. Such a change is kept whole in the inbox (apply.py,
`_set_aside_malformed`), so after the upgrade it can be received again as if it had just come: the
inbox row is forgotten and the change merged by the same `Merge.receive`, in the order the hub
numbered them (an item before the results naming it); the changes waiting for its row follow.
One still unknown (a newer device's) is set aside again as before.

This runs once per schema revision (`local_setting` `set_aside_retried_at` = the revision), at the
start of the pull and of a bundle import, in one transaction.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.dialects.sqlite import insert

from db.migrations import HEAD_REVISION
from db.models import LocalSetting
from db.store import Store
from inspect_app.sync.apply import FORGET, INBOX, ApplyResult, Merge, waiting_count

SETTING = LocalSetting.__table__
RETRIED_AT = "set_aside_retried_at"
UNKNOWN_HERE = ("format: unknown_table", "format: unknown_field")


def retry_unknown(store: Store) -> ApplyResult:
    """Receive again the changes set aside as naming an unknown table or field, once after each
    upgrade of this database; what they merged, what is still set aside (`kept`)."""
    result = ApplyResult()
    with store.engine.begin() as conn:
        done = conn.execute(select(SETTING.c.value).where(SETTING.c.key == RETRIED_AT)).scalar()
        if done == HEAD_REVISION:
            return result
        kept = conn.execute(
            select(INBOX.c.origin_device, INBOX.c.device_seq, INBOX.c.payload)
            .where(or_(*(INBOX.c.problem.startswith(prefix) for prefix in UNKNOWN_HERE)))
            .order_by(INBOX.c.hub_seq, INBOX.c.applied_at, INBOX.c.origin_device, INBOX.c.device_seq)).all()
        merge = Merge(conn, store, result)
        for origin, seq, change in kept:
            conn.execute(FORGET, {"origin": origin, "seq": seq})
            result.received += 1
            merge.receive(change)  # the change as it came (kept whole)
        conn.execute(insert(SETTING).values(key=RETRIED_AT, value=HEAD_REVISION)
                     .on_conflict_do_update(index_elements=["key"], set_={"value": HEAD_REVISION}))
    result.waiting = waiting_count(store)
    return result
