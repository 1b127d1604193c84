"""tenant_fts: a trigram index over the tenant search keys (local, kept by triggers)

A search of every park's ledger looked for each word with instr() in all 300,000 keys of a
province-sized file (208 ms a keystroke). `tenant_fts` is an FTS5 table with the trigram tokenizer
over `tenant_search.key` (external content: the keys are stored once, in `tenant_search`), so a
word of three characters or more is found from the index (db/queries.py). SQLite has the trigram
tokenizer since 3.34; the Python of every supported platform ships a newer one (3.40 and later
on Windows and macOS for Python 3.11+).

`tenant_search` is made again with an INTEGER PRIMARY KEY `id`: the index refers to its rows by
rowid, and VACUUM may renumber the rowids of a table without one. Triggers on `tenant_search`
keep the index on every change of a key, whatever wrote the tenant (the triggers of 0011 write
the key). case_sensitive 1: keys and words are folded by db/search_key.py already, so the index
finds exactly what instr() found. detail='none': the index holds which keys contain each
trigram, not where (about a third of the size); a word's trigrams are looked up together and
the matches checked with instr(). Derived, local data: never logged or synced. Existing keys are
indexed here.

Revision ID: 0017_tenant_fts
Revises: 0016_entry_exit
Create Date: 2026-12-18
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_tenant_fts"
down_revision: str | None = "0016_entry_exit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The triggers of 0011 on tenant, as of that revision: dropped while tenant_search is made again
# (a trigger naming a table that is being replaced), then created again unchanged.
COLUMNS = ("name", "contact_name", "credit_code", "contact_phone", "building", "unit_no")
NEW_VALUES = ", ".join(f"NEW.{c}" for c in COLUMNS)
SET_KEY = f"""
    INSERT INTO tenant_search (tenant_id, key) VALUES (NEW.id, tenant_search_key({NEW_VALUES}))
    ON CONFLICT (tenant_id) DO UPDATE SET key = excluded.key;"""
TENANT_TRIGGERS = {
    "tenant_search_insert": f"AFTER INSERT ON tenant BEGIN {SET_KEY} END",
    "tenant_search_update": f"AFTER UPDATE OF {', '.join(COLUMNS)} ON tenant BEGIN {SET_KEY} END",
    "tenant_search_delete": "AFTER DELETE ON tenant BEGIN DELETE FROM tenant_search WHERE tenant_id = OLD.id; END",
}
FTS_TRIGGERS = {
    "tenant_fts_insert": "AFTER INSERT ON tenant_search BEGIN "
                         "INSERT INTO tenant_fts (rowid, key) VALUES (NEW.id, NEW.key); END",
    "tenant_fts_delete": "AFTER DELETE ON tenant_search BEGIN "
                         "INSERT INTO tenant_fts (tenant_fts, rowid, key) VALUES ('delete', OLD.id, OLD.key); END",
    "tenant_fts_update": "AFTER UPDATE OF key ON tenant_search BEGIN "
                         "INSERT INTO tenant_fts (tenant_fts, rowid, key) VALUES ('delete', OLD.id, OLD.key); "
                         "INSERT INTO tenant_fts (rowid, key) VALUES (NEW.id, NEW.key); END",
}


def _remake_search_table(with_id: bool) -> None:
    for trigger in TENANT_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("ALTER TABLE tenant_search RENAME TO tenant_search_old")
    if with_id:
        op.execute("CREATE TABLE tenant_search (id INTEGER NOT NULL PRIMARY KEY, tenant_id VARCHAR NOT NULL UNIQUE, "
                   "key VARCHAR NOT NULL)")
    else:
        op.execute("CREATE TABLE tenant_search (tenant_id VARCHAR NOT NULL, key VARCHAR NOT NULL, "
                   "PRIMARY KEY (tenant_id))")
    op.execute("INSERT INTO tenant_search (tenant_id, key) SELECT tenant_id, key FROM tenant_search_old")
    op.execute("DROP TABLE tenant_search_old")
    for trigger, body in TENANT_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {trigger} {body}")


def upgrade() -> None:
    _remake_search_table(with_id=True)
    op.execute("CREATE VIRTUAL TABLE tenant_fts USING fts5(key, content='tenant_search', content_rowid='id', "
               "tokenize='trigram case_sensitive 1', detail='none')")
    for trigger, body in FTS_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {trigger} {body}")
    op.execute("INSERT INTO tenant_fts (tenant_fts) VALUES ('rebuild')")
    # Every park's ledger in name order (a search most tenants match, or none) walks this index and
    # stops at the page instead of sorting every tenant of the county.
    op.execute("CREATE INDEX ix_tenant_name_id ON tenant (name, id)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_tenant_name_id")
    for trigger in FTS_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE tenant_fts")
    _remake_search_table(with_id=False)
