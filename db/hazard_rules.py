"""When a hazard is not closed and when it is overdue: the one definition, in Python and in SQL.

Not closed (`OPEN_HAZARD_STATUSES`): open (overdue or not), waiting for its re-inspection
(pending_review) or handed on (escalated). Closed and superseded rows are done with.

Overdue: the hazard is open (not waiting for its re-inspection, not escalated, not closed) and so
is its current rectification item (not deleted, not superseded), and the item's deadline is before
today — the date in the documents' zone (forms/china_time.py), so the deadline day itself is
still in time. Both statuses are asked: the hazard's is what the unclosed counts read (the
`park_total` triggers), so overdue stays a part of unclosed; the item's is what the hazards view
shows. The app writes them together (services/hazards.py `_hazard_status`); should they ever
differ, every view still gives the same answer. `is_overdue` is the rule on one row's values,
`overdue_sql` the same rule as a WHERE fragment; the park list, the ledger, the hazards view, the
overview and the risk flags all use one of the two.

Plain Python and strings, no SQLAlchemy: db/overview.py reads this at start-up.
"""

from __future__ import annotations

from datetime import date

OPEN_HAZARD_STATUSES = ("open", "pending_review", "escalated")
# The same, as the list of a SQL `status IN (...)`.
OPEN_HAZARD_STATUSES_SQL = "(" + ", ".join(f"'{status}'" for status in OPEN_HAZARD_STATUSES) + ")"


def is_overdue(hazard_status: str, item_status: str, deadline: date | None, today: date) -> bool:
    """A hazard with this status whose current item has this status and deadline is overdue on
    `today` (a China date)."""
    return hazard_status == "open" and item_status == "open" and deadline is not None and deadline < today


def overdue_sql(hazard: str = "h", item: str = "r", today: str = ":today") -> str:
    """The WHERE fragment true for an overdue hazard row `hazard` with its rectification item row
    `item` (aliases or table names; the caller joins them).

    `today` is the parameter (or literal) holding the China date as 'YYYY-MM-DD', the way deadlines
    are stored. The explicit `IS NOT NULL` keeps `NOT (fragment)` true for an item without a deadline.
    """
    return overdue_columns_sql(f"{hazard}.status", f"{item}.deleted = 0", f"{item}.status", f"{item}.deadline", today)


def overdue_columns_sql(hazard_status: str, item_live: str, item_status: str, deadline: str,
                        today: str = ":today") -> str:
    """`overdue_sql` on any columns: the hazard's status, a condition true when the item is not
    deleted, the item's status and deadline. `hazard_key` (migration 0018, which holds only live
    items: `item_live` is then "1") is read with it."""
    return (f"({hazard_status} = 'open' AND {item_live} AND {item_status} = 'open' "
            f"AND {deadline} IS NOT NULL AND {deadline} < {today})")
