"""The overdue rule (db/hazard_rules.py), once: its boundaries, its SQL and Python forms agreeing,
and every view that counts overdue hazards giving the same count on the same data."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from itertools import product

import pytest

from db.hazard_rules import OPEN_HAZARD_STATUSES, is_overdue, overdue_sql
from db.models import Hazard, RectificationItem
from db.queries import LedgerQuery
from forms import china_time
from forms.tenant import TenantInput
from inspect_app.config import RiskFlagThresholds
from inspect_app.services.hazards import UNRESOLVED, HazardQuery, list_hazards
from inspect_app.services.ledger import ledger_page, save_tenant
from inspect_app.services.park_overview import park_overview
from inspect_app.services.parks import park_summaries
from inspect_app.services.risk_flags import Quarter, load_flags
from tests.conftest import TODAY, tenant_values

YESTERDAY, TOMORROW = TODAY - timedelta(days=1), TODAY + timedelta(days=1)


@pytest.mark.parametrize(
    "now, expected",
    [
        (datetime(2026, 12, 10, 0, 0, 0), False),
        (datetime(2026, 12, 10, 23, 59, 59), False),  # the deadline day is still in time
        (datetime(2026, 12, 11, 0, 0, 0), True),  # from midnight after it
        (datetime(2026, 12, 9, 23, 59, 59), False),
    ],
)
def test_overdue_starts_at_the_midnight_after_the_deadline(now, expected):
    assert is_overdue("open", "open", date(2026, 12, 10), now.date()) is expected


def test_only_an_open_hazard_with_an_open_item_becomes_overdue():
    long_ago, today = date(2026, 1, 1), date(2026, 12, 1)
    for status in ("pending_review", "closed", "escalated", "superseded"):
        assert not is_overdue("open", status, long_ago, today)
        assert not is_overdue(status, "open", long_ago, today)
    assert not is_overdue("open", "open", None, today)  # no deadline: never overdue


def test_the_sql_fragment_and_the_python_rule_agree_on_every_combination():
    statuses = (*OPEN_HAZARD_STATUSES, "closed", "superseded")
    deadlines = (None, YESTERDAY, TODAY, TOMORROW)
    cases = list(product(statuses, statuses, deadlines, (0, 1)))
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE hazard (id INTEGER PRIMARY KEY, status TEXT)")
    conn.execute("CREATE TABLE rectification_item (hazard_id INTEGER, status TEXT, deadline TEXT, deleted INTEGER)")
    for n, (hazard_status, item_status, deadline, deleted) in enumerate(cases):
        conn.execute("INSERT INTO hazard VALUES (?, ?)", (n, hazard_status))
        conn.execute("INSERT INTO rectification_item VALUES (?, ?, ?, ?)",
                     (n, item_status, deadline.isoformat() if deadline else None, deleted))
    join = "FROM hazard h JOIN rectification_item r ON r.hazard_id = h.id"
    params = {"today": TODAY.isoformat()}
    overdue = {n for (n,) in conn.execute(f"SELECT h.id {join} WHERE {overdue_sql('h', 'r')}", params)}
    # The negation is the exact complement (a missing deadline must not make it NULL).
    not_overdue = {n for (n,) in conn.execute(f"SELECT h.id {join} WHERE NOT {overdue_sql('h', 'r')}", params)}
    expected = {n for n, (hazard_status, item_status, deadline, deleted) in enumerate(cases)
                if not deleted and is_overdue(hazard_status, item_status, deadline, TODAY)}
    assert overdue == expected and expected  # some cases are overdue, so the comparison says something
    assert not_overdue == set(range(len(cases))) - expected


def _add_hazard(store, park, tenant, hazard_status: str, item_status: str, deadline: date | None) -> None:
    with store.transaction() as session:
        hazard = Hazard(park_id=park.id, tenant_id=tenant.id, location="3号楼101", description="安全出口被锁闭",
                        severity="general", status=hazard_status, found_on=TODAY - timedelta(days=30))
        session.add(hazard)
        session.flush()
        session.add(RectificationItem(hazard_id=hazard.id, deadline=deadline, status=item_status))


def _overdue_counts(store, park) -> dict[str, int]:
    """The overdue count of the park as each view shows it."""
    [summary] = park_summaries(store, TODAY)
    ledger, _ = ledger_page(store, LedgerQuery(park_id=park.id, today=TODAY))
    _, filtered = list_hazards(store, HazardQuery(park_id=park.id, status="overdue", today=TODAY))
    shown, _ = list_hazards(store, HazardQuery(park_id=park.id, status=UNRESOLVED, today=TODAY))
    overview = park_overview(store, park.id, quarter=Quarter(2026, 3), today=TODAY, thresholds=RiskFlagThresholds())
    with store.read_connection() as conn:
        flags = load_flags(conn, quarter=Quarter(2026, 3), today=TODAY, thresholds=RiskFlagThresholds(),
                           park_id=park.id)
    return {
        "park list": summary.overdue_hazards,
        "ledger": sum(row.overdue_hazards for row in ledger),
        "hazards view filter": filtered,
        "hazards view status": sum(row.status == "overdue" for row in shown),
        "overview": overview.park.figures.hazards.overdue,
        "risk flags": sum(flag.facts["count"] for found in flags.values() for flag in found
                          if flag.kind == "overdue_hazards"),
    }


def test_every_view_counts_the_same_overdue_hazards(store, park):
    tenants = [save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n)))
               for n in (1, 2, 3)]
    first, second, third = tenants
    _add_hazard(store, park, first, "open", "open", YESTERDAY)  # overdue
    _add_hazard(store, park, first, "open", "open", TODAY)  # due today: still in time
    _add_hazard(store, park, first, "open", "open", None)  # no deadline yet
    _add_hazard(store, park, second, "open", "open", YESTERDAY - timedelta(days=20))  # overdue
    _add_hazard(store, park, second, "pending_review", "pending_review", YESTERDAY)  # waits for 复查
    _add_hazard(store, park, second, "escalated", "escalated", YESTERDAY)  # handed on
    _add_hazard(store, park, third, "closed", "closed", YESTERDAY)
    # A hazard whose own status and its item's differ (the app writes them together; a row may
    # still arrive so). The hazards view used to judge it by the item alone and call it overdue
    # while the park list, ledger, overview and flags, reading the hazard too, did not.
    _add_hazard(store, park, third, "pending_review", "open", YESTERDAY)
    _add_hazard(store, park, third, "open", "pending_review", YESTERDAY)

    counts = _overdue_counts(store, park)
    assert counts == dict.fromkeys(counts, 2), counts


def test_the_ledger_judges_overdue_by_the_china_date_not_the_computer_s():
    # Of two zones 26 hours apart at least one is on another date than this computer's clock.
    for name in ("Pacific/Kiritimati", "Etc/GMT+12"):
        china_time.set_zone(name)
        try:
            if china_time.today() != date.today():
                assert LedgerQuery().today == china_time.today()
                return
        finally:
            china_time.set_zone(None)
    pytest.fail("no zone on another date")
