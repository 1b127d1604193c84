"""The per-park quarterly totals kept by triggers (migration 0004) always equal a fresh GROUP BY of
the live tenants' live reports — whatever writes them: the app's services, raw updates like the
sync merge's (UPDATE of changed fields, INSERT … ON CONFLICT DO UPDATE), deletes, a tenant moved
to another park, its scale changed, deleted and brought back, or another device's bundle."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.ids import new_id
from db.models import Tenant
from db.store import Store
from forms.quarterly import QuarterlyInput
from inspect_app.services.demo import generate_demo
from inspect_app.services.quarterly import save_quarter
from inspect_app.sync.bundle import export_bundle, import_bundle

FRESH = """
SELECT t.park_id, r.year, r.quarter, coalesce(sum(r.output_value_wan), 0), coalesce(sum(r.electricity_kwh), 0),
       coalesce(sum(r.tax_wan), 0), coalesce(sum(CASE WHEN t.scale = 'above' THEN r.output_value_wan END), 0),
       count(*)
FROM quarterly_report r JOIN tenant t ON t.id = r.tenant_id
WHERE r.deleted = 0 AND t.deleted = 0
GROUP BY t.park_id, r.year, r.quarter ORDER BY 1, 2, 3
"""
KEPT = ("SELECT park_id, year, quarter, output_wan, electricity_kwh, tax_wan, above_output_wan, reports "
        "FROM park_quarter_total ORDER BY 1, 2, 3")


def assert_same_totals(kept: list[tuple], fresh: list[tuple]) -> None:
    assert [row[:3] for row in kept] == [row[:3] for row in fresh]  # the same park-quarters, none left empty
    for got, want in zip(kept, fresh, strict=True):
        assert got[7] == want[7], (got, want)  # report counts exactly
        assert got[3:7] == pytest.approx(want[3:7], rel=1e-9, abs=1e-6), (got, want)


def assert_totals_match(conn: sqlite3.Connection) -> None:
    assert_same_totals(conn.execute(KEPT).fetchall(), conn.execute(FRESH).fetchall())


# --- any sequence of raw writes -------------------------------------------------------------------

PARKS, TENANTS, QUARTERS = ("p1", "p2", "p3"), ("t1", "t2", "t3", "t4"), ((2026, 1), (2026, 2), (2025, 2))
values = st.one_of(st.none(), st.floats(min_value=0, max_value=1e6, allow_nan=False), st.integers(0, 10**6))
report_values = st.fixed_dictionaries({"output_value_wan": values, "electricity_kwh": values, "tax_wan": values})
operations = st.lists(st.one_of(
    st.tuples(st.just("upsert"), st.sampled_from(TENANTS), st.sampled_from(QUARTERS), report_values),
    st.tuples(st.just("update"), st.sampled_from(TENANTS), st.sampled_from(QUARTERS), report_values),
    st.tuples(st.just("difficulties"), st.sampled_from(TENANTS), st.sampled_from(QUARTERS)),
    st.tuples(st.just("report_deleted"), st.sampled_from(TENANTS), st.sampled_from(QUARTERS), st.booleans()),
    st.tuples(st.just("delete_report"), st.sampled_from(TENANTS), st.sampled_from(QUARTERS)),
    st.tuples(st.just("move_quarter"), st.sampled_from(TENANTS), st.sampled_from(QUARTERS), st.sampled_from(QUARTERS)),
    st.tuples(st.just("move_tenant"), st.sampled_from(TENANTS), st.sampled_from(PARKS)),
    st.tuples(st.just("scale"), st.sampled_from(TENANTS), st.sampled_from(("above", "below"))),
    st.tuples(st.just("tenant_deleted"), st.sampled_from(TENANTS), st.booleans()),
), max_size=40)

SYNC = "hlc = 'x', origin_device = 'd', updated_at = '2026-01-01'"


def _raw_database(path) -> sqlite3.Connection:
    store = Store.open(path)
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    for park in PARKS:
        conn.execute("INSERT INTO park (id, code, name, district, street, function_type, developer_type, star_rating, "
                     "provincially_certified, land_area_mu, floor_area_m2, deleted, hlc, origin_device, created_at, "
                     "updated_at) VALUES (?, ?, '园', '区', '街', 'manufacturing', 'government', 3, 0, 10, 1000, 0, "
                     "'x', 'd', '2026-01-01', '2026-01-01')", (park, park.upper()))
    for n, tenant in enumerate(TENANTS):
        conn.execute("INSERT INTO tenant (id, park_id, name, credit_code, rented_area_m2, headcount, scale, lease_use, "
                     "risk_points, status, safety_agreement_signed, sublet, people_living_on_site, deleted, hlc, "
                     "origin_device, created_at, updated_at) VALUES (?, ?, ?, ?, 100, 5, ?, 'production', '[]', "
                     "'in_park', 0, 0, 0, 0, 'x', 'd', '2026-01-01', '2026-01-01')",
                     (tenant, PARKS[n % 2], f"企业{n}", f"C{n}", "above" if n % 2 else "below"))
    return conn


def _apply(conn: sqlite3.Connection, operation: tuple) -> None:
    kind, tenant, *rest = operation
    if kind == "upsert":  # the sync merge's insert of a row that may already be there
        (year, quarter), figures = rest
        conn.execute(
            "INSERT INTO quarterly_report (id, tenant_id, year, quarter, output_value_wan, electricity_kwh, tax_wan, "
            "deleted, hlc, origin_device, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'x', 'd', "
            "'2026-01-01', '2026-01-01') ON CONFLICT (tenant_id, year, quarter) DO UPDATE SET "
            "output_value_wan = excluded.output_value_wan, electricity_kwh = excluded.electricity_kwh, "
            "tax_wan = excluded.tax_wan",
            (new_id(), tenant, year, quarter, *figures.values()))
    elif kind == "update":  # the merge's UPDATE of the changed fields
        (year, quarter), figures = rest
        conn.execute(f"UPDATE quarterly_report SET output_value_wan = ?, electricity_kwh = ?, tax_wan = ?, {SYNC} "
                     "WHERE tenant_id = ? AND year = ? AND quarter = ?", (*figures.values(), tenant, year, quarter))
    elif kind == "difficulties":
        (year, quarter), = rest
        conn.execute("UPDATE quarterly_report SET difficulties = 'x' WHERE tenant_id = ? AND year = ? AND quarter = ?",
                     (tenant, year, quarter))
    elif kind == "report_deleted":
        (year, quarter), deleted = rest
        conn.execute("UPDATE quarterly_report SET deleted = ? WHERE tenant_id = ? AND year = ? AND quarter = ?",
                     (deleted, tenant, year, quarter))
    elif kind == "delete_report":
        (year, quarter), = rest
        conn.execute("DELETE FROM quarterly_report WHERE tenant_id = ? AND year = ? AND quarter = ?",
                     (tenant, year, quarter))
    elif kind == "move_quarter":
        (year, quarter), (to_year, to_quarter) = rest
        try:
            conn.execute("UPDATE quarterly_report SET year = ?, quarter = ? WHERE tenant_id = ? AND year = ? "
                         "AND quarter = ?", (to_year, to_quarter, tenant, year, quarter))
        except sqlite3.IntegrityError:  # that quarter is taken: refused whole, triggers included
            pass
    elif kind == "move_tenant":
        conn.execute("UPDATE tenant SET park_id = ? WHERE id = ?", (rest[0], tenant))
    elif kind == "scale":
        conn.execute("UPDATE tenant SET scale = ? WHERE id = ?", (rest[0], tenant))
    elif kind == "tenant_deleted":
        conn.execute("UPDATE tenant SET deleted = ? WHERE id = ?", (rest[0], tenant))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=operations)
def test_totals_equal_a_fresh_sum_after_any_sequence_of_writes(tmp_path_factory, operations):
    conn = _raw_database(tmp_path_factory.mktemp("totals") / "t.db")
    try:
        for operation in operations:
            _apply(conn, operation)
        assert_totals_match(conn)
    finally:
        conn.close()


def test_a_failed_transaction_leaves_the_totals_as_they_were(tmp_path):
    conn = _raw_database(tmp_path / "t.db")
    _apply(conn, ("upsert", "t1", (2026, 1), {"output_value_wan": 10, "electricity_kwh": 1, "tax_wan": 1}))
    before = conn.execute(KEPT).fetchall()
    conn.execute("BEGIN")
    _apply(conn, ("upsert", "t1", (2026, 1), {"output_value_wan": 99, "electricity_kwh": 1, "tax_wan": 1}))
    _apply(conn, ("move_tenant", "t1", "p3"))
    conn.execute("ROLLBACK")
    assert conn.execute(KEPT).fetchall() == before
    conn.close()


# --- the app's own write paths ------------------------------------------------------------------


def test_totals_follow_the_demo_the_quarterly_grid_a_tenant_edit_and_a_bundle(tmp_path):
    a, b = Store.open(tmp_path / "a" / "a.db"), Store.open(tmp_path / "b" / "b.db")
    try:
        generate_demo(a, parks=3, tenants_per_park=12, seed=7, today=date(2026, 11, 26))
        with a.connect() as conn:
            assert conn.execute("SELECT count(*) FROM park_quarter_total").fetchone()[0] > 0
            assert_totals_match(conn)
            tenant_id, park_id = conn.execute("SELECT id, park_id FROM tenant WHERE deleted = 0 LIMIT 1").fetchone()
            other_park = conn.execute("SELECT id FROM park WHERE id != ? LIMIT 1", (park_id,)).fetchone()[0]
        save_quarter(a, tenant_id=tenant_id, quarter=(2026, 3),
                     data=QuarterlyInput(output_value_wan=1234.5, electricity_kwh=9000, tax_wan=12))
        with a.transaction() as session:  # moved to another park and grown above scale
            tenant = session.get(Tenant, tenant_id)
            tenant.park_id, tenant.scale = other_park, "above"
        with a.connect() as conn:
            assert_totals_match(conn)
        export_bundle(a, tmp_path / "a.zip")
        import_bundle(b, tmp_path / "a.zip")  # the merge writes every report and tenant on b
        with a.connect() as conn_a, b.connect() as conn_b:
            assert_totals_match(conn_b)
            assert_same_totals(conn_b.execute(KEPT).fetchall(), conn_a.execute(KEPT).fetchall())
    finally:
        a.close()
        b.close()


def test_check_reports_totals_that_differ_from_the_reports(tmp_path):
    from inspect_app.services.maintenance import check_database

    conn = _raw_database(tmp_path / "t.db")
    _apply(conn, ("upsert", "t1", (2026, 1), {"output_value_wan": 10, "electricity_kwh": 1, "tax_wan": 1}))
    conn.close()
    assert check_database(tmp_path / "t.db")["ok"]
    conn = sqlite3.connect(tmp_path / "t.db")
    with conn:  # written around the triggers, as only a hand edit or a bug could
        conn.execute("UPDATE park_quarter_total SET output_wan = 12")
    conn.close()

    report = check_database(tmp_path / "t.db")

    assert not report["ok"]
    assert report["problems"] == ["园区 P1 2026年第1季度的汇总与企业季度数据不符：汇总产值 12 万元（1 份报表），按报表合计 10 万元（1 份）"]
