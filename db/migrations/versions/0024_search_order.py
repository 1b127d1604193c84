"""tenant_search keeps each tenant's name, deleted flag and status beside its key (local, kept by triggers)

A search of every park with some thousands of matches (精, 精密, "jm" over 300,000 tenants) went
from each key the index found to its tenant: the key's row for the tenant's id, then the tenant by
that text id for its name, deleted flag and status, about 7 µs a match; a walk of the name order
first listed the tenant ids of every key found (10,000 key rows for 精, ~20 ms). With what the
ledger's default order and its "current tenant" filter read kept in `tenant_search`, a match's
row is read once, by the rowid the index gives (db/queries.py), and `ix_tenant_search_order` walks
the name order testing the index's rowids themselves (no key row read at all).

The columns are copies of the tenant's: the key triggers of 0017 now set them too, and one more
trigger follows a change of the deleted flag or the status alone (without re-indexing the key).
`parkinspect check` compares them with the tenant's, as it does the key. Derived, local data:
never logged or synced. Existing rows get their copies here.

Revision ID: 0024_search_order
Revises: 0023_county_candidates
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024_search_order"
down_revision: str | None = "0023_county_candidates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# db/search_key.py KEY_COLUMNS, as of this revision
COLUMNS = ("name", "contact_name", "credit_code", "contact_phone", "building", "unit_no")
NEW_VALUES = ", ".join(f"NEW.{c}" for c in COLUMNS)


def _set_key(listing: bool) -> str:
    """The upsert the key triggers run: with `listing`, the name, deleted flag and status too."""
    if not listing:
        return f"""
    INSERT INTO tenant_search (tenant_id, key) VALUES (NEW.id, tenant_search_key({NEW_VALUES}))
    ON CONFLICT (tenant_id) DO UPDATE SET key = excluded.key;"""
    return f"""
    INSERT INTO tenant_search (tenant_id, key, name, deleted, status)
    VALUES (NEW.id, tenant_search_key({NEW_VALUES}), NEW.name, NEW.deleted, NEW.status)
    ON CONFLICT (tenant_id) DO UPDATE SET key = excluded.key, name = excluded.name, deleted = excluded.deleted,
    status = excluded.status;"""


def _key_triggers(listing: bool) -> dict[str, str]:
    set_key = _set_key(listing)
    return {
        "tenant_search_insert": f"AFTER INSERT ON tenant BEGIN {set_key} END",
        "tenant_search_update": f"AFTER UPDATE OF {', '.join(COLUMNS)} ON tenant BEGIN {set_key} END",
    }


# A tenant that leaves or is deleted keeps its key: only the copies change (no FTS5 work).
LISTING_TRIGGER = ("tenant_search_listing", "AFTER UPDATE OF deleted, status ON tenant BEGIN "
                   "UPDATE tenant_search SET deleted = NEW.deleted, status = NEW.status WHERE tenant_id = NEW.id; END")


def _replace_key_triggers(listing: bool) -> None:
    for trigger, body in _key_triggers(listing).items():
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute(f"CREATE TRIGGER {trigger} {body}")


def upgrade() -> None:
    # NOT NULL with a default as ALTER TABLE requires; every row is given its tenant's values next.
    op.execute("ALTER TABLE tenant_search ADD COLUMN name VARCHAR NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE tenant_search ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE tenant_search ADD COLUMN status VARCHAR NOT NULL DEFAULT ''")
    op.execute("UPDATE tenant_search SET (name, deleted, status) = "
               "(SELECT t.name, t.deleted, t.status FROM tenant AS t WHERE t.id = tenant_search.tenant_id)")
    # The ledger's order (name, then id) with what its filters test: a walk reads this index only.
    op.execute("CREATE INDEX ix_tenant_search_order ON tenant_search (name, tenant_id, deleted, status)")
    _replace_key_triggers(listing=True)
    op.execute(f"CREATE TRIGGER {LISTING_TRIGGER[0]} {LISTING_TRIGGER[1]}")


def downgrade() -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {LISTING_TRIGGER[0]}")
    _replace_key_triggers(listing=False)
    op.execute("DROP INDEX ix_tenant_search_order")
    for column in ("status", "deleted", "name"):
        op.execute(f"ALTER TABLE tenant_search DROP COLUMN {column}")
