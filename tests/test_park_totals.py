"""The per-park totals kept by triggers always equal a fresh count and sum of the rows: quarterly
figures (`park_quarter_total`, migration 0004) and tenants and unclosed hazards (`park_total`,
0005) — whatever writes them: the app's services, raw updates like the sync merge's (UPDATE of
changed fields, INSERT … ON CONFLICT DO UPDATE), deletes, a tenant moved to another park, its
scale, area or status changed, deleted and brought back, a hazard closed or reopened, or another
device's bundle."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db import search_key
from db.ids import new_id
from db.maintenance_queries import (
    FRESH_PARK_QUARTER_TOTALS,
    FRESH_PARK_TOTALS,
    KEPT_PARK_QUARTER_TOTALS,
    KEPT_PARK_TOTALS,
)
from db.models import Tenant
from db.store import Store
from forms.quarterly import QuarterlyInput
from inspect_app.services.demo import generate_demo
from inspect_app.services.quarterly import save_quarter
from inspect_app.sync.bundle import export_bundle, import_bundle
from tests.fuzz import fuzz_settings


def assert_same_totals(kept: list[tuple], fresh: list[tuple]) -> None:
    assert [row[:3] for row in kept] == [row[:3] for row in fresh]  # the same park-quarters, none left empty
    for got, want in zip(kept, fresh, strict=True):
        assert got[7] == want[7], (got, want)  # report counts exactly
        assert got[3:7] == pytest.approx(want[3:7], rel=1e-9, abs=1e-6), (got, want)


def kept(conn: sqlite3.Connection) -> list[tuple]:
    return sorted(conn.execute(KEPT_PARK_QUARTER_TOTALS).fetchall())


def park_totals(conn: sqlite3.Connection, sql: str) -> dict[str, tuple]:
    """{park: figures} without the all-zero rows a park keeps after its last tenant left."""
    return {row[0]: row[1:] for row in conn.execute(sql) if any(row[1:])}


def assert_totals_match(conn: sqlite3.Connection) -> None:
    assert_same_totals(kept(conn), sorted(conn.execute(FRESH_PARK_QUARTER_TOTALS).fetchall()))
    fresh, stored = park_totals(conn, FRESH_PARK_TOTALS), park_totals(conn, KEPT_PARK_TOTALS)
    assert stored.keys() == fresh.keys()
    for park, want in fresh.items():
        got = stored[park]
        assert got[0] == want[0] and got[2:] == want[2:], (park, got, want)  # counts exactly
        assert got[1] == pytest.approx(want[1], rel=1e-9, abs=1e-6), (park, got, want)  # rented area


# --- any sequence of raw writes -------------------------------------------------------------------

PARKS, TENANTS, QUARTERS = ("p1", "p2", "p3"), ("t1", "t2", "t3", "t4"), ((2026, 1), (2026, 2), (2025, 2))
SEVERITIES, HAZARD_STATUSES = ("general", "major"), ("open", "pending_review", "escalated", "closed")
areas = st.one_of(st.floats(min_value=0, max_value=1e5, allow_nan=False), st.integers(0, 10**5))
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
    st.tuples(st.just("tenant_status"), st.sampled_from(TENANTS), st.sampled_from(("in_park", "left"))),
    st.tuples(st.just("tenant_size"), st.sampled_from(TENANTS), areas, st.integers(0, 5000)),
    st.tuples(st.just("new_tenant"), st.sampled_from(PARKS), st.sampled_from(("above", "below")), areas),
    st.tuples(st.just("delete_tenant"), st.sampled_from(TENANTS)),
    st.tuples(st.just("new_hazard"), st.sampled_from(TENANTS), st.sampled_from(SEVERITIES),
              st.sampled_from(HAZARD_STATUSES)),
    st.tuples(st.just("hazard"), st.integers(0, 7), st.one_of(
        st.tuples(st.just("status"), st.sampled_from(HAZARD_STATUSES)),
        st.tuples(st.just("severity"), st.sampled_from(SEVERITIES)),
        st.tuples(st.just("deleted"), st.booleans()),
        st.tuples(st.just("park_id"), st.sampled_from(PARKS)))),
    st.tuples(st.just("delete_hazard"), st.integers(0, 7)),
), min_size=5, max_size=50)

SYNC = "hlc = 'x', origin_device = 'd', updated_at = '2026-01-01'"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, migrated_file) -> Path:
    """The two parks, their tenants and hazards, made once per module; each test (and each input of
    the fuzz test) writes on its own copy (a file copy instead of a migration and the inserts)."""
    path = tmp_path_factory.mktemp("seeded") / "t.db"
    shutil.copyfile(migrated_file, path)
    Store.open(path).close()  # a device id, as a new laptop gets one
    conn = _connect(path)
    try:
        _seed(conn)
    finally:
        conn.close()
    return path


def _raw_database(path: Path, seeded: Path) -> sqlite3.Connection:
    shutil.copyfile(seeded, path)
    return _connect(path)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    search_key.register(conn)  # the triggers of tenant_search call it on every insert of a tenant
    return conn


def _seed(conn: sqlite3.Connection) -> None:
    for park in PARKS:
        conn.execute("INSERT INTO park (id, code, name, district, street, function_type, developer_type, star_rating, "
                     "provincially_certified, land_area_mu, floor_area_m2, deleted, hlc, origin_device, created_at, "
                     "updated_at) VALUES (?, ?, '园', '区', '街', 'manufacturing', 'government', 3, 0, 10, 1000, 0, "
                     "'x', 'd', '2026-01-01', '2026-01-01')", (park, park.upper()))
    for n, tenant in enumerate(TENANTS):
        _insert_tenant(conn, tenant, PARKS[n % 2], f"企业{n}", f"C{n}", "above" if n % 2 else "below", 100.5)
    for n, (severity, status) in enumerate(zip(SEVERITIES * 2, HAZARD_STATUSES, strict=True)):
        _apply(conn, ("new_hazard", TENANTS[n], severity, status))  # so that any hazard edit finds some


def _insert_tenant(conn, tenant_id: str, park_id: str, name: str, code: str, scale: str, area: float) -> None:
    conn.execute("INSERT INTO tenant (id, park_id, name, credit_code, rented_area_m2, headcount, scale, lease_use, "
                 "risk_points, status, safety_agreement_signed, sublet, people_living_on_site, deleted, hlc, "
                 "origin_device, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 5, ?, 'production', '[]', "
                 "'in_park', 0, 0, 0, 0, 'x', 'd', '2026-01-01', '2026-01-01')",
                 (tenant_id, park_id, name, code, area, scale))


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
        conn.execute("UPDATE quarterly_report SET year = ?, quarter = ? WHERE tenant_id = ? AND year = ? "
                     "AND quarter = ?", (to_year, to_quarter, tenant, year, quarter))
    elif kind == "move_tenant":
        conn.execute("UPDATE tenant SET park_id = ? WHERE id = ?", (rest[0], tenant))
    elif kind == "scale":
        conn.execute("UPDATE tenant SET scale = ? WHERE id = ?", (rest[0], tenant))
    elif kind == "tenant_deleted":
        conn.execute("UPDATE tenant SET deleted = ? WHERE id = ?", (rest[0], tenant))
    elif kind == "tenant_status":
        conn.execute("UPDATE tenant SET status = ? WHERE id = ?", (rest[0], tenant))
    elif kind == "tenant_size":
        conn.execute("UPDATE tenant SET rented_area_m2 = ?, headcount = ? WHERE id = ?", (*rest, tenant))
    elif kind == "new_tenant":  # `tenant` is the park here
        _insert_tenant(conn, new_id(), tenant, f"新企业{new_id()[-6:]}", new_id()[-18:], *rest)
    elif kind == "delete_tenant":
        conn.execute("DELETE FROM tenant WHERE id = ?", (tenant,))
    elif kind == "new_hazard":
        severity, status = rest
        conn.execute("INSERT INTO hazard (id, park_id, tenant_id, location, description, severity, status, found_on, "
                     "revision, deleted, hlc, origin_device, created_at, "
                     "updated_at) SELECT ?, park_id, id, '车间', '堵塞', ?, ?, '2026-01-01', 1, 0, 'x', 'd', "
                     "'2026-01-01', '2026-01-01' FROM tenant WHERE id = ?", (new_id(), severity, status, tenant))
    elif kind in ("hazard", "delete_hazard"):  # `tenant` is the n-th hazard here
        row = conn.execute("SELECT id FROM hazard ORDER BY rowid LIMIT 1 OFFSET ?", (tenant,)).fetchone()
        if row is None:
            return
        if kind == "delete_hazard":
            conn.execute("DELETE FROM hazard WHERE id = ?", row)
        else:
            (column, value), = rest
            conn.execute(f"UPDATE hazard SET {column} = ? WHERE id = ?", (value, row[0]))


@fuzz_settings(30)
@given(operations=operations)
def test_totals_equal_a_fresh_sum_after_any_sequence_of_writes(tmp_path_factory, seeded, operations):
    conn = _raw_database(tmp_path_factory.mktemp("totals") / "t.db", seeded)
    try:
        for operation in operations:
            try:
                _apply(conn, operation)
            except sqlite3.IntegrityError:
                # A quarter already taken, a tenant with reports or hazards deleted, a report of a
                # deleted tenant: the statement is refused whole, its triggers' writes included.
                pass
        assert_totals_match(conn)
    finally:
        conn.close()


def test_a_failed_transaction_leaves_the_totals_as_they_were(tmp_path, seeded):
    conn = _raw_database(tmp_path / "t.db", seeded)
    _apply(conn, ("upsert", "t1", (2026, 1), {"output_value_wan": 10, "electricity_kwh": 1, "tax_wan": 1}))
    before = kept(conn)
    conn.execute("BEGIN")
    _apply(conn, ("upsert", "t1", (2026, 1), {"output_value_wan": 99, "electricity_kwh": 1, "tax_wan": 1}))
    _apply(conn, ("move_tenant", "t1", "p3"))
    conn.execute("ROLLBACK")
    assert kept(conn) == before
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
            assert_same_totals(kept(conn_b), kept(conn_a))
    finally:
        a.close()
        b.close()


def test_check_reports_totals_that_differ_from_the_reports(tmp_path, seeded):
    from inspect_app.services.maintenance import check_database

    conn = _raw_database(tmp_path / "t.db", seeded)
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


def test_check_reports_a_park_whose_tenant_or_hazard_totals_differ(tmp_path, seeded):
    from inspect_app.services.maintenance import check_database

    conn = _raw_database(tmp_path / "t.db", seeded)
    _apply(conn, ("new_hazard", "t1", "major", "open"))
    conn.close()
    assert check_database(tmp_path / "t.db")["ok"]
    conn = sqlite3.connect(tmp_path / "t.db")
    with conn:  # written around the triggers
        conn.execute("UPDATE park_total SET unclosed_major = 0 WHERE park_id = 'p1'")
    conn.close()

    assert check_database(tmp_path / "t.db")["problems"] == [
        "园区 P1 的汇总（企业数 / 租用面积 / 从业人数 / 规上企业 / 一般隐患 / 重大隐患）与明细不符："
        "汇总 2 / 201 / 10 / 0 / 2 / 0，按明细 2 / 201 / 10 / 0 / 2 / 1"]
