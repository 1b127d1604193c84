"""county_facts: the repeat hazards kept by triggers, and the indexes the county overview reads

The county overview counted, for each park, its unclosed hazards that came back after an earlier
hazard of the same tenant (or the same park's common areas) and item had been closed
(db/lookback.py): a correlated look-up of the earlier hazards for each of the county's unclosed
hazards. A common-area hazard has no tenant, and `tenant_id IS NULL` found every common-area
hazard of the county through the tenant index: 1.2 s of the 1.7 s county overview at 300,000
tenants (48,730 unclosed hazards, 2,360 of common areas).

`hazard_repeat`: one row per live unclosed hazard that is a repeat, with its park. Whether a hazard
is a repeat depends only on the hazards of its key — same park, same tenant (or none), same item
code — and their items' closing days, never on today: the triggers on `hazard` and
`rectification_item` compute afresh the rows of the key (or keys: the one before and the one after
an update) of the hazard written, so whatever writes the two tables (form, import, sync merge, a
first sync's snapshot, a bundle, the benchmarks' replicate.py) keeps it. The county's counts are
then a read of some hundreds of rows. Derived, local data: never logged or synced; `parkinspect
check` compares it with a fresh computation (db/maintenance_queries.py).

`ix_hazard_repeat_key` (park, tenant, item code): the hazards of one key in one probe, for the
triggers and for the hazards view's repeat numbers (db/lookback.py `repeat_numbers`; `tenant_id
IS ?` uses it for common areas as well). `ix_hazard_park_status` (park, status) of live hazards:
every park's found and closed hazards (销号率) from the index alone, not 200,000 table rows.

Revision ID: 0021_county_facts
Revises: 0018_tenant_flags
Create Date: 2026-12-21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021_county_facts"
down_revision: str | None = "0018_tenant_flags"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rule of db/lookback.py as of this revision: an unclosed hazard with an item code is a repeat
# when another live hazard of its key has a live closed item closed on or before the day it was found.
REPEAT_SELECT = """
SELECT h.id, h.park_id FROM hazard h
WHERE h.deleted = 0 AND h.status IN ('open', 'pending_review', 'escalated') AND h.item_code IS NOT NULL
  AND EXISTS (SELECT 1 FROM hazard e JOIN rectification_item r ON r.hazard_id = e.id
              WHERE e.park_id = h.park_id AND e.tenant_id IS h.tenant_id AND e.item_code = h.item_code
                AND e.id != h.id AND e.deleted = 0 AND r.deleted = 0 AND +r.status = 'closed'
                AND r.closed_on <= h.found_on)"""


def _refresh_key(park: str, tenant: str, item_code: str) -> str:
    """Compute afresh the rows of the hazards whose key is (park, tenant, item code): SQL expressions."""
    return f"""
    DELETE FROM hazard_repeat WHERE hazard_id IN (
        SELECT id FROM hazard WHERE park_id = {park} AND tenant_id IS {tenant} AND item_code = {item_code});
    INSERT INTO hazard_repeat (hazard_id, park_id) {REPEAT_SELECT}
        AND h.park_id = {park} AND h.tenant_id IS {tenant} AND h.item_code = {item_code};"""


def _refresh_row(row: str) -> str:
    return _refresh_key(f"{row}.park_id", f"{row}.tenant_id", f"{row}.item_code")


def _refresh_hazard_of(hazard_id: str) -> str:
    """The key of the hazard `hazard_id` (an item's NEW.hazard_id or OLD.hazard_id)."""
    return _refresh_key(*(f"(SELECT {column} FROM hazard WHERE id = {hazard_id})"
                          for column in ("park_id", "tenant_id", "item_code")))


HAZARD_COLUMNS = ("id", "park_id", "tenant_id", "item_code", "status", "found_on", "deleted")
ITEM_COLUMNS = ("hazard_id", "deleted", "status", "closed_on")


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


TRIGGERS = {
    "tr_hazard_repeat_hazard_insert": f"AFTER INSERT ON hazard BEGIN{_refresh_row('NEW')}\nEND",
    "tr_hazard_repeat_hazard_update": (
        f"AFTER UPDATE OF {', '.join(HAZARD_COLUMNS)} ON hazard WHEN {_changed(HAZARD_COLUMNS)} "
        f"BEGIN\n    DELETE FROM hazard_repeat WHERE hazard_id = OLD.id;{_refresh_row('OLD')}{_refresh_row('NEW')}\nEND"),
    "tr_hazard_repeat_hazard_delete": (
        f"AFTER DELETE ON hazard BEGIN\n    DELETE FROM hazard_repeat WHERE hazard_id = OLD.id;{_refresh_row('OLD')}\nEND"),
    "tr_hazard_repeat_item_insert": f"AFTER INSERT ON rectification_item BEGIN{_refresh_hazard_of('NEW.hazard_id')}\nEND",
    "tr_hazard_repeat_item_update": (
        f"AFTER UPDATE OF {', '.join(ITEM_COLUMNS)} ON rectification_item WHEN {_changed(ITEM_COLUMNS)} "
        f"BEGIN{_refresh_hazard_of('OLD.hazard_id')}{_refresh_hazard_of('NEW.hazard_id')}\nEND"),
    "tr_hazard_repeat_item_delete": (
        f"AFTER DELETE ON rectification_item BEGIN{_refresh_hazard_of('OLD.hazard_id')}\nEND"),
}


def upgrade() -> None:
    op.execute("CREATE INDEX ix_hazard_repeat_key ON hazard (park_id, tenant_id, item_code)")
    op.execute("CREATE INDEX ix_hazard_park_status ON hazard (park_id, status) WHERE deleted = 0")
    op.execute("""
CREATE TABLE hazard_repeat (
    hazard_id VARCHAR NOT NULL PRIMARY KEY,
    park_id VARCHAR NOT NULL
)""")
    op.execute(f"INSERT INTO hazard_repeat (hazard_id, park_id) {REPEAT_SELECT}")
    op.execute("CREATE INDEX ix_hazard_repeat_park_id ON hazard_repeat (park_id)")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE hazard_repeat")
    op.execute("DROP INDEX ix_hazard_park_status")
    op.execute("DROP INDEX ix_hazard_repeat_key")
