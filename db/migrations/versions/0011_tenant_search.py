"""tenant search keys: name, contact, code, phone, pinyin, building and unit folded (local, kept by triggers)

A ledger search found a tenant only by name, credit code, contact or phone: not by the room number
on the wall at its door ("3F-301", typed "3f301" or full-width), its building ("2号楼"), or the
pinyin of its name ("jiamei", "jm"). `tenant_search` holds, per tenant, the one key every search
word is looked for in (db/search_key.py). Pinyin needs Python (pypinyin), so the triggers call the
SQL function `tenant_search_key`, which the store registers on every connection it opens
(db/store.py); they fire on every write to the columns the key is made of, whatever writes it
(form, ledger import, sync, a first sync's bulk load). Derived, local data: never logged or synced.
Existing tenants get their keys here.

Revision ID: 0011_tenant_search
Revises: 0010_notice_service
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_tenant_search"
down_revision: str | None = "0010_notice_service"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# db/search_key.py KEY_COLUMNS, as of this revision
COLUMNS = ("name", "contact_name", "credit_code", "contact_phone", "building", "unit_no")
NEW_VALUES = ", ".join(f"NEW.{c}" for c in COLUMNS)
SET_KEY = f"""
    INSERT INTO tenant_search (tenant_id, key) VALUES (NEW.id, tenant_search_key({NEW_VALUES}))
    ON CONFLICT (tenant_id) DO UPDATE SET key = excluded.key;"""


def upgrade() -> None:
    op.create_table(
        "tenant_search",
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.execute(f"CREATE TRIGGER tenant_search_insert AFTER INSERT ON tenant BEGIN {SET_KEY} END")
    op.execute(f"CREATE TRIGGER tenant_search_update AFTER UPDATE OF {', '.join(COLUMNS)} ON tenant BEGIN {SET_KEY} END")
    op.execute("CREATE TRIGGER tenant_search_delete AFTER DELETE ON tenant BEGIN "
               "DELETE FROM tenant_search WHERE tenant_id = OLD.id; END")
    op.execute("INSERT INTO tenant_search (tenant_id, key) "
               f"SELECT id, tenant_search_key({', '.join(COLUMNS)}) FROM tenant")


def downgrade() -> None:
    for trigger in ("tenant_search_insert", "tenant_search_update", "tenant_search_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_table("tenant_search")
