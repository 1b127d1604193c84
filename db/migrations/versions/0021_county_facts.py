"""county_facts: what the county overview reads, kept by triggers (repeats, tenants' parks and
earliest deadlines, latest inspections per template), and the indexes it reads them by

At 300,000 tenants the county overview took 1.7 s. Most of it (1.2 s) counted each park's unclosed
hazards that came back after an earlier hazard of the same tenant (or the same park's common
areas) and item had been closed (db/lookback.py): a correlated look-up for each of the county's
48,730 unclosed hazards, where a common-area hazard's `tenant_id IS NULL` found every common-area
hazard of the county through the tenant index. The rest: the flags' statements looked up each
candidate in `tenant` (its id index, then its wide row) for its park and whether it is current, and
ranked every tenant's ledger verifications.

`hazard_repeat`: one row per live unclosed hazard that is a repeat, with its park. Whether a hazard
is a repeat depends only on the hazards of its key — same park, same tenant (or none), same item
code — and their items' closing days, never on today: the triggers on `hazard` and
`rectification_item` compute afresh the rows of the key (or keys: the one before and the one after
an update) of the hazard written. The county's counts are then a read of some hundreds of rows.

`tenant_fact`: one row per current tenant (db/tenant_rules.py) with its park and the earliest
deadline of its open items of open hazards (db/hazard_rules.py: the only ones that can be overdue).
What is overdue depends on today, so the day is not kept, the deadline is: the tenants with an
overdue hazard are the range of earliest deadlines before today (`ix_tenant_fact_overdue`, which
holds the park), and every flag's candidate finds its park in this narrow table. Triggers on
`tenant` and on `hazard_key` (written by the triggers of 0018) compute a tenant's row afresh.

`ledger_fact`: per tenant and checklist template, its latest finished inspection with the template
(by the time it was finished, else started, then id) and whether that has a failed item. Which
templates verify the ledger is the app's to say (built-in and local ones), so every template's
latest is kept; the county reads the ledger templates' failed rows (`ix_ledger_fact_failed`).
Triggers on `inspection` and on a failed `check_result` compute afresh the row of the tenant and
template written (a result that neither was nor is a failure changes nothing and costs nothing).

Whatever writes the base tables (form, import, sync merge, a first sync's snapshot, a bundle, the
benchmarks' replicate.py) keeps the three. Each table's rows are computed by a view
(`hazard_repeat_rows`, `tenant_fact_rows`, `ledger_fact_rows`) that the triggers select from with
the key written, rather than a copy of the statement in each trigger: every connection parses the
triggers' text with the schema (19 KB of copies cost 0.55 ms per connection, the views 0.35). Derived, local data: never logged or synced;
`parkinspect check` compares each with a fresh computation from the base tables
(db/maintenance_queries.py).

Indexes: `ix_hazard_repeat_key` (park, tenant, item code): the hazards of one key in one probe, for
the triggers and for the hazards view's repeat numbers (db/lookback.py; `tenant_id IS ?` uses it for
common areas as well). `ix_hazard_park_status` (park, status) of live hazards: every park's found
and closed hazards (销号率) from the index alone, not 200,000 table rows. `ix_hazard_key_open_park`
(park, severity, deadline, hazard) of open items of open hazards: the county's overdue hazards per
park and severity in their groups' order, without a sort.

Revision ID: 0021_county_facts
Revises: 0020_search_short
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021_county_facts"
down_revision: str | None = "0020_search_short"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The rule of db/lookback.py as of this revision: an unclosed hazard with an item code is a repeat
# when another live hazard of its key has a live closed item closed on or before the day it was found.
# A view, so that the triggers name it instead of each holding a copy (every connection parses the
# triggers' text with the schema: ~0.5 ms per connection for this revision's before).
REPEAT_VIEW = """
CREATE VIEW hazard_repeat_rows AS
SELECT h.id AS hazard_id, h.park_id, h.tenant_id, h.item_code FROM hazard h
WHERE h.deleted = 0 AND h.status IN ('open', 'pending_review', 'escalated') AND h.item_code IS NOT NULL
  AND EXISTS (SELECT 1 FROM hazard e JOIN rectification_item r ON r.hazard_id = e.id
              WHERE e.park_id = h.park_id AND e.tenant_id IS h.tenant_id AND e.item_code = h.item_code
                AND e.id != h.id AND e.deleted = 0 AND r.deleted = 0 AND +r.status = 'closed'
                AND r.closed_on <= h.found_on)"""


def _refresh_row(row: str) -> str:
    """Compute afresh the rows of the hazards of the key (park, tenant, item code) of `row` (NEW or OLD)."""
    key = f"park_id = {row}.park_id AND tenant_id IS {row}.tenant_id AND item_code = {row}.item_code"
    return f"""
    DELETE FROM hazard_repeat WHERE hazard_id IN (SELECT id FROM hazard WHERE {key});
    INSERT INTO hazard_repeat SELECT hazard_id, park_id FROM hazard_repeat_rows WHERE {key};"""


def _refresh_hazard_of(hazard_id: str) -> str:
    """The same for the key of the hazard `hazard_id` (an item's NEW.hazard_id or OLD.hazard_id)."""
    same_key = "k.park_id = g.park_id AND k.tenant_id IS g.tenant_id AND k.item_code = g.item_code"
    return f"""
    DELETE FROM hazard_repeat WHERE hazard_id IN (SELECT k.id FROM hazard g JOIN hazard k ON {same_key}
                                                  WHERE g.id = {hazard_id});
    INSERT INTO hazard_repeat SELECT k.hazard_id, k.park_id FROM hazard g JOIN hazard_repeat_rows k ON {same_key}
                              WHERE g.id = {hazard_id};"""


HAZARD_COLUMNS = ("id", "park_id", "tenant_id", "item_code", "status", "found_on", "deleted")
ITEM_COLUMNS = ("hazard_id", "deleted", "status", "closed_on")


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


REPEAT_TRIGGERS = {
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


# --- tenant_fact ----------------------------------------------------------------------------------

# A current tenant (db/tenant_rules.py) with its park and the earliest deadline of its open items
# of open hazards (db/hazard_rules.py: the only ones that can be overdue), from `hazard_key`'s rows.
TENANT_FACT_VIEW = """
CREATE VIEW tenant_fact_rows AS
SELECT t.id AS tenant_id, t.park_id,
       (SELECT min(k.deadline) FROM hazard_key k INDEXED BY ix_hazard_key_tenant_id
        WHERE k.tenant_id = t.id AND k.hazard_status = 'open' AND k.item_status = 'open'
          AND k.deadline IS NOT NULL) AS overdue_from
FROM tenant t
WHERE t.deleted = 0 AND t.status = 'in_park'"""


def _refresh_tenant(tenant_id: str) -> str:
    return f"""
    DELETE FROM tenant_fact WHERE tenant_id = {tenant_id};
    INSERT INTO tenant_fact SELECT * FROM tenant_fact_rows WHERE tenant_id = {tenant_id};"""


TENANT_COLUMNS = ("id", "park_id", "status", "deleted")


def _may_be_overdue(row: str) -> str:
    """A `hazard_key` row that counts for its tenant's earliest deadline."""
    return (f"{row}.tenant_id IS NOT NULL AND {row}.hazard_status = 'open' AND {row}.item_status = 'open' "
            f"AND {row}.deadline IS NOT NULL")


TENANT_FACT_TRIGGERS = {
    "tr_tenant_fact_tenant_insert": f"AFTER INSERT ON tenant BEGIN{_refresh_tenant('NEW.id')}\nEND",
    "tr_tenant_fact_tenant_update": (
        f"AFTER UPDATE OF {', '.join(TENANT_COLUMNS)} ON tenant WHEN {_changed(TENANT_COLUMNS)} "
        f"BEGIN{_refresh_tenant('OLD.id')}{_refresh_tenant('NEW.id')}\nEND"),
    "tr_tenant_fact_tenant_delete": "AFTER DELETE ON tenant BEGIN\n    DELETE FROM tenant_fact WHERE tenant_id = OLD.id;\nEND",
    # `hazard_key` is written only by the triggers of 0018, which delete a hazard's rows and insert
    # them afresh (never update one): its inserts and deletes are all there is to follow.
    "tr_tenant_fact_key_insert": (
        f"AFTER INSERT ON hazard_key WHEN {_may_be_overdue('NEW')} BEGIN{_refresh_tenant('NEW.tenant_id')}\nEND"),
    "tr_tenant_fact_key_delete": (
        f"AFTER DELETE ON hazard_key WHEN {_may_be_overdue('OLD')} BEGIN{_refresh_tenant('OLD.tenant_id')}\nEND"),
}

# --- ledger_fact ----------------------------------------------------------------------------------

# Per tenant and checklist template: its latest finished inspection with that template (by the day
# it was finished, else started, then id: the order of db/risk_flag_queries.py) and whether that
# inspection has a failed item. Which templates verify the ledger is the app's to say (built-in and
# local templates), so every template's latest is kept and the county reads those of the ledger's.
LEDGER_FACT_VIEW = """
CREATE VIEW ledger_fact_rows AS
SELECT i.tenant_id, i.template_id, i.id AS inspection_id, coalesce(i.finished_at, i.started_at) AS done,
       EXISTS (SELECT 1 FROM check_result c WHERE c.inspection_id = i.id AND c.deleted = 0 AND c.outcome = 'fail'
                                              AND c.item_code IS NOT NULL) AS failed
FROM inspection i
WHERE i.deleted = 0 AND i.status = 'finished' AND i.tenant_id IS NOT NULL"""
# `+template_id`: the tenant's inspections (ix_inspection_tenant_id), not every one of the template's.
LATEST = "ORDER BY done DESC, inspection_id DESC LIMIT 1"


def _refresh_ledger(tenant_id: str, template_id: str) -> str:
    return f"""
    DELETE FROM ledger_fact WHERE tenant_id = {tenant_id} AND template_id = {template_id};
    INSERT INTO ledger_fact SELECT * FROM ledger_fact_rows
        WHERE tenant_id = {tenant_id} AND +template_id = {template_id} {LATEST};"""


def _refresh_ledger_of(inspection_id: str) -> str:
    """The same for the tenant and template of the inspection `inspection_id` (a result's NEW or OLD)."""
    return f"""
    DELETE FROM ledger_fact WHERE (tenant_id, template_id) = (SELECT tenant_id, template_id FROM inspection
                                                              WHERE id = {inspection_id});
    INSERT INTO ledger_fact SELECT l.* FROM inspection g JOIN ledger_fact_rows l
        ON l.tenant_id = g.tenant_id AND +l.template_id = g.template_id WHERE g.id = {inspection_id} {LATEST};"""


INSPECTION_COLUMNS = ("id", "tenant_id", "template_id", "status", "deleted", "started_at", "finished_at")
RESULT_COLUMNS = ("inspection_id", "outcome", "deleted", "item_code")
LEDGER_FACT_TRIGGERS = {
    "tr_ledger_fact_inspection_insert": (
        f"AFTER INSERT ON inspection BEGIN{_refresh_ledger('NEW.tenant_id', 'NEW.template_id')}\nEND"),
    "tr_ledger_fact_inspection_update": (
        f"AFTER UPDATE OF {', '.join(INSPECTION_COLUMNS)} ON inspection WHEN {_changed(INSPECTION_COLUMNS)} "
        f"BEGIN{_refresh_ledger('OLD.tenant_id', 'OLD.template_id')}"
        f"{_refresh_ledger('NEW.tenant_id', 'NEW.template_id')}\nEND"),
    "tr_ledger_fact_inspection_delete": (
        f"AFTER DELETE ON inspection BEGIN{_refresh_ledger('OLD.tenant_id', 'OLD.template_id')}\nEND"),
    # Only a failed result can change whether its inspection failed: the other 30 of a checklist
    # (and every result a first sync loads that did not fail) cost nothing.
    "tr_ledger_fact_result_insert": (
        f"AFTER INSERT ON check_result WHEN NEW.outcome = 'fail' BEGIN{_refresh_ledger_of('NEW.inspection_id')}\nEND"),
    "tr_ledger_fact_result_update": (
        f"AFTER UPDATE OF {', '.join(RESULT_COLUMNS)} ON check_result "
        f"WHEN ({_changed(RESULT_COLUMNS)}) AND (OLD.outcome = 'fail' OR NEW.outcome = 'fail') "
        f"BEGIN{_refresh_ledger_of('OLD.inspection_id')}{_refresh_ledger_of('NEW.inspection_id')}\nEND"),
    "tr_ledger_fact_result_delete": (
        f"AFTER DELETE ON check_result WHEN OLD.outcome = 'fail' BEGIN{_refresh_ledger_of('OLD.inspection_id')}\nEND"),
}

TRIGGERS = {**REPEAT_TRIGGERS, **TENANT_FACT_TRIGGERS, **LEDGER_FACT_TRIGGERS}


def upgrade() -> None:
    op.execute("CREATE INDEX ix_hazard_repeat_key ON hazard (park_id, tenant_id, item_code)")
    op.execute("CREATE INDEX ix_hazard_park_status ON hazard (park_id, status) WHERE deleted = 0")
    op.execute("""
CREATE TABLE hazard_repeat (
    hazard_id VARCHAR NOT NULL PRIMARY KEY,
    park_id VARCHAR NOT NULL
)""")
    op.execute(REPEAT_VIEW)
    op.execute("INSERT INTO hazard_repeat SELECT hazard_id, park_id FROM hazard_repeat_rows")
    op.execute("CREATE INDEX ix_hazard_repeat_park_id ON hazard_repeat (park_id)")
    op.execute("""
CREATE TABLE tenant_fact (
    tenant_id VARCHAR NOT NULL PRIMARY KEY,
    park_id VARCHAR NOT NULL,
    overdue_from DATE
) WITHOUT ROWID""")
    op.execute(TENANT_FACT_VIEW)
    op.execute("INSERT INTO tenant_fact SELECT * FROM tenant_fact_rows")
    # The tenants with an overdue item on a day: a range of this index (with the park: covering).
    op.execute("CREATE INDEX ix_tenant_fact_overdue ON tenant_fact (overdue_from, park_id) "
               "WHERE overdue_from IS NOT NULL")
    # The county's overdue hazards per park and severity from this index alone, in its order (no sort).
    op.execute("CREATE INDEX ix_hazard_key_open_park ON hazard_key (park_id, severity, deadline, hazard_id) "
               "WHERE hazard_status = 'open' AND item_status = 'open' AND deadline IS NOT NULL")
    op.execute("""
CREATE TABLE ledger_fact (
    tenant_id VARCHAR NOT NULL,
    template_id VARCHAR NOT NULL,
    inspection_id VARCHAR NOT NULL,
    done DATETIME NOT NULL,
    failed BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, template_id)
) WITHOUT ROWID""")
    op.execute(LEDGER_FACT_VIEW)
    op.execute("""INSERT INTO ledger_fact
SELECT tenant_id, template_id, inspection_id, done, failed FROM (
    SELECT *, row_number() OVER (PARTITION BY tenant_id, template_id ORDER BY done DESC, inspection_id DESC) AS n
    FROM ledger_fact_rows)
WHERE n = 1""")
    # A template's tenants whose latest inspection with it failed: a range of this index.
    op.execute("CREATE INDEX ix_ledger_fact_failed ON ledger_fact (template_id, failed)")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE ledger_fact")
    op.execute("DROP VIEW ledger_fact_rows")
    op.execute("DROP INDEX ix_hazard_key_open_park")
    op.execute("DROP TABLE tenant_fact")
    op.execute("DROP VIEW tenant_fact_rows")
    op.execute("DROP TABLE hazard_repeat")
    op.execute("DROP VIEW hazard_repeat_rows")
    op.execute("DROP INDEX ix_hazard_park_status")
    op.execute("DROP INDEX ix_hazard_repeat_key")
