"""`parkinspect compact`: the outbox pruned of what the hub acknowledged, the file rewritten, the
figures before and after; refused while the file is in use or the disk is short; a kill at any
moment loses nothing (the short profile of tests/test_crash_safety.py's idea: a forked child
compacting, SIGKILLed after a random delay, a few times)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from db import changelog_prune
from db.models import Park, Tenant
from inspect_app.cli import main
from inspect_app.services.compact import compact
from inspect_app.services.maintenance import check_database
from tests.conftest import make_credit_code
from tests.sync_helpers import synced_rows

UNSENT = 40  # entries past the push cursor: never pruned


def device_with_history(devices, tenants: int = 300):
    """A device whose hub acknowledged all but its last UNSENT entries (as a sync leaves the cursor)."""
    store = devices.new("a")
    with store.transaction() as session:
        park = Park(code="PH-001", name="平湖经济开发区小微企业园", district="平湖市", street="当湖街道",
                    function_type="manufacturing", developer_type="government", land_area_mu=120.5,
                    floor_area_m2=86000)
        session.add(park)
        session.flush()
        for n in range(tenants):
            session.add(Tenant(park_id=park.id, name=f"测试企业{n}", credit_code=make_credit_code(n + 1),
                               rented_area_m2=100.0 + n, headcount=10, scale="below", lease_use="production",
                               risk_points=[]))
    with store.connect() as conn:
        last = conn.execute("SELECT max(seq) FROM change_log").fetchone()[0]
        conn.execute("INSERT INTO sync_state (hub_id, hub_url, pushed_seq, pulled_seq) VALUES ('hub', 'http://hub', ?, 0)",
                     (last - UNSENT,))
    return store, last


def entries(store) -> list[int]:
    with store.connect() as conn:
        return [row[0] for row in conn.execute("SELECT seq FROM change_log ORDER BY seq")]


def run(store, *args: str) -> int:
    return main(["--db", str(store.path), *args])


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_compact_prunes_the_acknowledged_entries_and_prints_the_figures(devices, capsys, lang):
    store, last = device_with_history(devices, tenants=100)
    rows, mode = synced_rows(store), os.stat(store.path).st_mode
    store.close()
    assert run(store, "--lang", lang, "compact") == 0
    out = capsys.readouterr().out
    assert ("数据库文件" if lang == "zh_CN" else "Database file") in out
    assert ("变更记录条数" if lang == "zh_CN" else "Change records") in out and f"{last:,} → {UNSENT + 1}" in out
    assert entries(store) == list(range(last - UNSENT, last + 1))  # the acknowledged newest one, and the unsent
    assert synced_rows(store) == rows
    assert check_database(store.path)["ok"]
    assert os.stat(store.path).st_mode == mode  # the file keeps its mode (0600 as the app makes it)


def test_compact_is_refused_while_the_database_is_open(devices, capsys):
    store, last = device_with_history(devices, tenants=60)
    with store.read_connection() as conn:  # the app holding the file
        conn.execute("SELECT 1 FROM park").fetchall()
        assert run(store, "compact") == 2
    assert "正被本程序" in capsys.readouterr().err
    assert len(entries(store)) == last


def test_without_room_for_the_new_file_only_the_prune_is_done(devices, capsys, monkeypatch):
    store, last = device_with_history(devices, tenants=60)
    store.close()
    monkeypatch.setattr("inspect_app.services.compact.shutil.disk_usage",
                        lambda _: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))
    assert run(store, "--lang", "en", "compact") == 2
    assert "Not enough free disk space" in capsys.readouterr().err
    assert len(entries(store)) == UNSENT + 1  # pruned (safe, kept) but not rewritten: its pages are still free
    with closing(sqlite3.connect(store.path)) as conn:
        assert conn.execute("PRAGMA freelist_count").fetchone()[0] > 0


def _compact_in_child() -> int:
    pid = os.fork()
    if pid == 0:  # the child: compact until killed, never return into the test runner
        code = 1
        try:
            compact(Path(os.environ["PARKINSPECT_COMPACT_TEST_DB"]))
            code = 0
        finally:
            os._exit(code)
    return pid


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL (POSIX only)")
def test_a_compaction_killed_at_any_moment_loses_nothing(devices, monkeypatch):
    store, last = device_with_history(devices, tenants=400)
    rows = synced_rows(store)
    store.close()
    with closing(sqlite3.connect(store.path)) as conn:  # one file to copy for each trial
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    original = store.path.with_name("original.db")
    shutil.copyfile(store.path, original)
    monkeypatch.setattr(changelog_prune, "BATCH", 7)  # many small transactions: kills land between and inside
    monkeypatch.setenv("PARKINSPECT_COMPACT_TEST_DB", str(store.path))
    started = time.perf_counter()
    _, status = os.waitpid(_compact_in_child(), 0)  # how long a whole run takes here
    whole = time.perf_counter() - started
    assert os.waitstatus_to_exitcode(status) == 0
    rng = random.Random(20261207)
    for trial in range(5):
        shutil.copyfile(original, store.path)
        pid = _compact_in_child()
        time.sleep(rng.uniform(0.0, whole))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        held = entries(store)
        assert held[-UNSENT - 1:] == list(range(last - UNSENT, last + 1)), trial  # unsent and newest kept
        assert synced_rows(store) == rows, trial
        report = check_database(store.path)
        assert report["ok"], (trial, report["problems"])
        store.close()  # its connections kept open after those reads would hold the file: compact needs it alone
        compact(store.path)  # and a later run finishes the work
        assert entries(store) == list(range(last - UNSENT, last + 1)) and synced_rows(store) == rows
        store.close()  # nothing open on the file the next trial copies over
        assert not store.path.with_name(store.path.name + ".compact-partial").exists()
