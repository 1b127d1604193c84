"""tenant_grams: an index of the one- and two-character pieces of the tenant search keys (local, kept by triggers)

The trigram index of 0017 finds words of three characters or more. A shorter word — the first
character of a Chinese name typed ("精"), two ("精密"), pinyin initials ("jm"), the first digits
of a code — was looked for with instr() in every key of the county: at 300,000 tenants a rare
two-character word read all the keys (about a second). `tenant_grams` is an FTS5 table with the
ascii tokenizer over, per key, one token for each distinct piece of one or two characters
(`db/search_key.py` `tenant_search_grams`: "精密" is the token "7cbex5bc6"), so such a word is one
token looked up, and the index answers exactly what instr() answers.

Contentless (content=''): the tokens are derived from `tenant_search.key` by a SQL function the
store registers on every connection (as it does `tenant_search_key`), so nothing is stored twice;
a removed key's tokens are computed again from the old key for FTS5's 'delete' command.
detail='none': which keys hold a piece, not where. Triggers on `tenant_search` keep it on every
change of a key, whatever wrote the tenant. Derived, local data: never logged or synced.
Existing keys are indexed here.

Revision ID: 0020_search_short
Revises: 0019_checklist_items
Create Date: 2026-12-19
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_search_short"
down_revision: str | None = "0019_checklist_items"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# db/search_key.py GRAMS_FUNCTION, as of this revision
GRAMS = "tenant_search_grams"
TRIGGERS = {
    "tenant_grams_insert": "AFTER INSERT ON tenant_search BEGIN "
                           f"INSERT INTO tenant_grams (rowid, grams) VALUES (NEW.id, {GRAMS}(NEW.key)); END",
    "tenant_grams_delete": "AFTER DELETE ON tenant_search BEGIN "
                           "INSERT INTO tenant_grams (tenant_grams, rowid, grams) "
                           f"VALUES ('delete', OLD.id, {GRAMS}(OLD.key)); END",
    "tenant_grams_update": "AFTER UPDATE OF key ON tenant_search BEGIN "
                           "INSERT INTO tenant_grams (tenant_grams, rowid, grams) "
                           f"VALUES ('delete', OLD.id, {GRAMS}(OLD.key)); "
                           f"INSERT INTO tenant_grams (rowid, grams) VALUES (NEW.id, {GRAMS}(NEW.key)); END",
}


def upgrade() -> None:
    op.execute("CREATE VIRTUAL TABLE tenant_grams USING fts5(grams, content='', tokenize='ascii', detail='none')")
    for trigger, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {trigger} {body}")
    op.execute(f"INSERT INTO tenant_grams (rowid, grams) SELECT id, {GRAMS}(key) FROM tenant_search")


def downgrade() -> None:
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE tenant_grams")
