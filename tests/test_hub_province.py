"""A PostgreSQL hub under concurrent pushes and pulls (docs/PERFORMANCE.md, "Province hub").

The hub's sequence must never let a pull skip a change: pushes are serialised by an advisory lock
held to their commit, so sequence numbers become visible in order, and a pull reads the newest
sequence before its page. Here two hub processes' worth of apps (each its own in-process push
lock, so only PostgreSQL's lock keeps them apart) serve one database, and devices of some parks
and of every park push and pull at the same time through real HTTP on loopback; every device
must end holding exactly the others' changes of its parks. A park-limited device's pull and
first-sync page read by park (`ix_change_park_seq`, `ix_row_state_park`), checked on the plan.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from benchmarks import hub_province
from inspect_app.hub import pull, snapshot
from inspect_app.hub.app import create_app
from inspect_app.hub.compact_ids import pack_sql
from inspect_app.hub.push import unique_key_query
from inspect_app.hub.storage import Device, change, open_engine, row_state, unique_key_digest, utc_now
from tests.hub_server import serve

ROOT = Path(__file__).resolve().parent.parent


def seeded_hub(url: str, tmp_path: Path, changes: int, parks: int) -> dict:
    """The benchmark's seed, small: a demo of one park with 3 tenants, copied over `parks` parks."""
    engine = open_engine(url)
    try:
        return hub_province.seed(url, engine, tmp_path, changes, parks, (1, 3))
    finally:
        engine.dispose()


def test_concurrent_pushes_on_two_hub_processes_never_make_a_pull_skip_a_change(postgres_url, tmp_path):
    seeded = seeded_hub(postgres_url, tmp_path, 400, 4)
    engine = open_engine(postgres_url)
    devices = hub_province.enrol_devices(engine, postgres_url, 8, seeded["seed_parks"], 0.25, random.Random(3))
    engine.dispose()
    first, second = (create_app(postgres_url, rate_per_second=10_000, burst=10_000) for _ in range(2))
    with serve(first) as one, serve(second) as two:
        timings, _seconds = asyncio.run(hub_province.run_day([one, two], devices, 6, 0.2, 8, 5))
    assert timings.errors == []
    assert timings.accepted == sum(len(d.pushed) for d in devices) > 8 * 12
    assert hub_province.completeness(devices) == {"complete": True, "missing": 0, "unexpected": 0}
    offices = [d for d in devices if not d.parks]
    assert offices and all(len(d.received) == timings.accepted - len(d.pushed) for d in offices)


def plan(url: str, query) -> str:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as conn:
            return "\n".join(row[0] for row in conn.execute(text(f"EXPLAIN {sql}")))
    finally:
        engine.dispose()


def fill(url: str) -> None:
    """A log of 60 parks' changes (a few of no park) and their rows, analysed: a small hub's shape."""
    engine = open_engine(url)
    try:
        # Ids, names and stamps as the hub stores them on PostgreSQL (hub/compact_ids.py), spelt in SQL.
        table = pack_sql("(CASE WHEN n % 500 = 0 THEN 'inspector' ELSE 'tenant' END)")
        park = pack_sql("(CASE WHEN n % 500 = 0 THEN NULL ELSE 'p-' || (n % 60) END)")
        row, device, insert, stamp = (pack_sql(v) for v in ("('r-' || n)", "('dev-' || (n % 7))", "'insert'", "'x'"))
        photo, photo_park, attachment = (pack_sql(v) for v in ("('a-' || n)", "('p-' || (n % 60))", "'attachment'"))
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO change (device_id, device_seq, table_name, row_id, park_id, op, hlc, payload, received_at) "
                f"SELECT {device}, n, {table}, {row}, {park}, {insert}, {stamp}, '\\x00', now() "
                "FROM generate_series(1, 30000) AS n"))
            conn.execute(text(
                "INSERT INTO row_state (table_name, row_id, park_id, field_hlcs, deleted) "
                f"SELECT {table}, {row}, {park}, '{{}}', false FROM generate_series(1, 30000) AS n"))
            conn.execute(text(  # photos: attachment rows naming their content
                "INSERT INTO row_state (table_name, row_id, park_id, sha256, field_hlcs, deleted) "
                f"SELECT {attachment}, {photo}, {photo_park}, md5(n::text) || md5(n::text), '{{}}', false "
                "FROM generate_series(1, 3000) AS n"))
            conn.execute(text(
                "INSERT INTO unique_key (key, row_id) "
                f"SELECT sha256(convert_to(md5(n::text), 'UTF8')), {row} FROM generate_series(1, 30000) AS n"))
            conn.execute(text("ANALYZE unique_key"))
            conn.execute(text("ANALYZE change"))
            conn.execute(text("ANALYZE row_state"))
    finally:
        engine.dispose()


def test_a_park_limited_devices_pull_and_snapshot_search_one_index_range_per_park(postgres_url):
    fill(postgres_url)
    parks = ("p-1", "p-2", "p-3")
    device = Device(id="d", name="d", device_id="dev-x", parks=parks, created_at=utc_now(), revoked_at=None)
    pulled = plan(postgres_url, pull.page_query(device, 10, 30000, 501))
    assert len(re.findall(r"Index Scan (?:using|on) ix_change_park_seq", pulled)) == len(parks) + 1, pulled  # + the shared tables
    assert "change_pkey" not in pulled and "Seq Scan" not in pulled
    paged = plan(postgres_url, snapshot.page_query(device, "tenant", "", 2001))
    assert len(re.findall(r"Index Scan (?:using|on) ix_row_state_park", paged)) == len(parks), paged
    shared = plan(postgres_url, snapshot.page_query(device, "inspector", "", 2001))
    assert len(re.findall(r"Index Scan (?:using|on) ix_row_state_park", shared)) == len(parks) + 1, shared  # + no park
    for query in (paged, shared):
        assert "row_state_pkey" not in query and "Seq Scan" not in query
    # A row's changes (snapshot.row_changes) by the index of row ids.
    of_rows = plan(postgres_url, select(change.c.seq).where(change.c.table_name == "tenant",
                                                            change.c.row_id.in_(["r-5", "r-7"])))
    assert "ix_change_row" in of_rows, of_rows
    # The attachment look-ups (hub/app.py, push.py) use the partial index of attachment rows.
    placed = plan(postgres_url, select(row_state.c.row_id).where(
        row_state.c.table_name == "attachment", row_state.c.sha256 == "ab" * 32, row_state.c.park_id.is_(None)))
    assert "ix_row_state_sha256" in placed, placed
    digest = unique_key_digest("tenant", "tenant(park_id, credit_code)", "ab" * 32)
    query = str(unique_key_query([digest]).compile(create_engine(postgres_url)))
    keys = plan(postgres_url, text(query.replace("(__[POSTCOMPILE_key_1])", f"('\\x{digest.hex()}'::bytea)")))
    assert "Index Scan using unique_key_pkey" in keys and "Index Cond: (key = " in keys, keys


@pytest.mark.slow
def test_the_short_province_profile_runs_complete_in_about_a_minute(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "hub_province.py"), "--devices", "20",
                           "--changes", "100000", "--work", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["complete"] and report["errors"] == 0 and report["seed_changes"] == 100_000
    assert report["push"]["count"] >= 40 and report["storage"]["bytes_per_change"] > 0


def test_a_device_of_many_parks_pulls_and_loads_its_pages_on_sqlite_too(tmp_path):
    # Past MAX_PARK_BRANCHES parks one scan serves the page (SQLite takes at most 500 members in a
    # compound SELECT); below it, one branch per park. Both give the same rows, in order.
    engine = open_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(change.insert(), [
                {"device_id": "dev-a", "device_seq": n, "table_name": "tenant", "row_id": f"r-{n:04d}",
                 "park_id": f"p-{n % 700}", "op": "insert", "hlc": "x", "payload": {}, "received_at": utc_now()}
                for n in range(1, 1401)])
            conn.execute(row_state.insert(), [
                {"table_name": "tenant", "row_id": f"r-{n:04d}", "park_id": f"p-{n % 700}", "field_hlcs": {},
                 "deleted": False, "snapshot": f'["r-{n:04d}"]'} for n in range(1, 1401)])
        for parks in (600, 40):
            device = Device(id="d", name="d", device_id="dev-x", parks=tuple(f"p-{n}" for n in range(parks)),
                            created_at=utc_now(), revoked_at=None)
            wanted = [f"r-{n:04d}" for n in range(1, 1401) if n % 700 < parks]
            with engine.connect() as conn:
                page = pull.changes_page(conn, device, 0, 1000)
                rows = [row.row_id for row in conn.execute(snapshot.page_query(device, "tenant", "", 5000))]
            assert [c["row_id"] for c in page.changes] == wanted[:1000] and page.has_more == (len(wanted) > 1000)
            assert rows == wanted
    finally:
        engine.dispose()
