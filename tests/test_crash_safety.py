"""Crash safety: a worker process writing through the services is SIGKILLed at random moments.

Each trial starts `tests/crash/worker.py` on the same database, waits until it is writing, kills it
after a random delay (seeded), reopens the database with `Store.open` (which recovers the WAL) and
checks `tests/crash/invariants.py`: SQLite's checks and `parkinspect check`, every acknowledged
write there with its values, no half-written record, gap-free unique notice numbers, the outbox
holding every row. The next trial goes on from that database, so damage would accumulate.

CI profile: 16 kills. Long profile: `PARKINSPECT_CRASH_TRIALS=500 pytest -m slow tests/test_crash_safety.py`
(figures in docs/RELIABILITY.md). `PARKINSPECT_CRASH_SEED` replays a run's delays and choices.
POSIX only (SIGKILL).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from db import search_key
from db.store import Store
from inspect_app.sync.bundle import read_bundle
from tests.crash.invariants import database_problems, journal_problems, read_journal, settle
from tests.crash.process import WorkerProcess
from tests.crash.setup import Fixtures, prepare

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="kills the worker with SIGKILL (POSIX only)")

# fork: a child of this (already warm) process, ~10 ms a start; spawn: a fresh interpreter, ~1.2 s.
MODE = os.environ.get("PARKINSPECT_CRASH_MODE", "fork")
SEED = int(os.environ.get("PARKINSPECT_CRASH_SEED", "20261126"))
CI_TRIALS = 16
LONG_TRIAL_S = 3.0
MAX_DELAY_S = 1.2  # after "ready": room for a few dozen writes, notices (~0.3 s each) included


def start_worker(fixtures: Fixtures, journal: Path, seed: int, folder: Path,
                 max_ops: int | None = None, mode: str = MODE) -> WorkerProcess:
    argv = [str(journal), str(seed), *fixtures.args(), *([str(max_ops)] if max_ops is not None else [])]
    child = WorkerProcess(argv, folder / "worker.err", mode)
    if not child.ready:
        child.kill()
        pytest.fail(f"worker did not start: {_errors(folder)}")
    return child


def _errors(folder: Path) -> str:
    errors = folder / "worker.err"
    return errors.read_text(errors="replace")[-3000:] if errors.exists() else ""


def kill_trials(folder: Path, trials: int, seed: int) -> Counter:
    """Run `trials` kill-and-check rounds on one database; return what the kills interrupted."""
    fixtures = prepare(folder)
    bundle_changes, _ = read_bundle(fixtures.bundle)
    ledgers = {"a": fixtures.import_a, "b": fixtures.import_b}
    journal = folder / "journal.jsonl"
    rng = random.Random(seed)
    interrupted: Counter = Counter()
    for trial in range(trials):
        child = start_worker(fixtures, journal, seed * 10_000 + trial, folder)
        # Every 8th trial runs longer, so that slow writes (a notice: ~0.3 s, more on a busy machine)
        # also complete and get acknowledged, not only get killed.
        time.sleep(rng.uniform(0, MAX_DELAY_S) + (LONG_TRIAL_S if trial % 8 == 7 else 0))
        if child.poll() is not None:
            pytest.fail(f"trial {trial}: the worker stopped by itself: {_errors(folder)}")
        assert child.kill() == -signal.SIGKILL, _errors(folder)
        Store.open(fixtures.db).close()  # what the app does next: recover the WAL, migrate if needed
        entries = read_journal(journal)
        last = entries[-1] if entries else {}
        interrupted[last.get("intent", "between writes")] += 1
        problems = database_problems(fixtures.db) + journal_problems(fixtures.db, entries, ledgers, bundle_changes)
        assert not problems, f"trial {trial} (seed {seed}): {problems[:10]}"
        with journal.open("a", encoding="utf-8") as handle:  # the interrupted write, as it ended
            handle.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in settle(fixtures.db, entries, ledgers))
    acks = Counter(e["ack"] for e in read_journal(journal) if "ack" in e and not e.get("settled"))
    print(f"\n{trials} kills (seed {seed}); interrupted: {dict(interrupted)}; acknowledged: {dict(acks)}")
    return interrupted + Counter({f"ack:{k}": v for k, v in acks.items()})


def test_killed_writes_leave_a_whole_database(tmp_path):
    trials = int(os.environ.get("PARKINSPECT_CRASH_TRIALS", CI_TRIALS))
    seen = kill_trials(tmp_path, trials, SEED)
    # The run exercised what it claims to: each kind of write was acknowledged at least once.
    for op in ("tenant_add", "tenant_edit", "start", "outcome", "finish", "five", "notice", "import", "pull",
               "photo"):
        assert seen[f"ack:{op}"] > 0, op


@pytest.mark.slow
def test_killed_writes_long_profile(tmp_path):
    trials = int(os.environ.get("PARKINSPECT_CRASH_TRIALS", "500"))
    kill_trials(tmp_path, trials, SEED + 1)


# --- the checks themselves find what they are meant to find ------------------------------------


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Fixtures, Path]:
    """A database after 150 writes of the worker, never killed, and its journal."""
    folder = tmp_path_factory.mktemp("written")
    fixtures = prepare(folder)
    journal = folder / "journal.jsonl"
    child = start_worker(fixtures, journal, 7, folder, max_ops=150)
    assert child.wait(timeout=120) == 0, _errors(folder)
    return fixtures, journal


def damaged(fixtures: Fixtures, tmp_path: Path, *statements: str) -> Path:
    copy = tmp_path / "damaged.db"
    shutil.copyfile(fixtures.db, copy)
    conn = sqlite3.connect(copy)
    search_key.register(conn)  # the tenant_search triggers call it (a tool around the app needs it too)
    conn.execute("PRAGMA foreign_keys = OFF")  # damage as a tool around the app could do it
    with conn:
        for statement in statements:
            assert conn.execute(statement).rowcount > 0, statement
    conn.close()
    return copy


def test_an_undamaged_database_passes(written):
    fixtures, journal = written
    entries = read_journal(journal)
    assert database_problems(fixtures.db) == []
    assert journal_problems(fixtures.db, entries, {"a": fixtures.import_a, "b": fixtures.import_b}, []) == []


@pytest.mark.parametrize(("statements", "expected"), [
    (["DELETE FROM rectification_item WHERE id = (SELECT min(id) FROM rectification_item "
      "WHERE id NOT IN (SELECT rectification_item_id FROM reinspection))"], "live rectification items"),
    (["DELETE FROM change_log WHERE seq = (SELECT max(seq) FROM change_log WHERE table_name = 'tenant')"],
     "newest logged"),
    (["DELETE FROM hazard WHERE id = (SELECT max(h.id) FROM hazard h WHERE h.notice_id IS NULL "
      "AND NOT EXISTS (SELECT 1 FROM rectification_item i JOIN reinspection r ON r.rectification_item_id = i.id "
      "WHERE i.hazard_id = h.id))",
      "DELETE FROM rectification_item WHERE hazard_id NOT IN (SELECT id FROM hazard)"], "hazards"),
    (["UPDATE notice_counter SET last_sequence = last_sequence + 1"], "counter at"),
    (["UPDATE notice SET pdf = NULL WHERE id = (SELECT min(id) FROM notice)"], "PDF, hash or signature missing"),
    (["DELETE FROM check_result WHERE id = (SELECT min(id) FROM check_result WHERE outcome = 'pass')"], "results"),
    (["UPDATE sync_state SET pulled_seq = pulled_seq + 1"], "pull cursor"),
])
def test_the_invariants_find_a_half_written_record(written, tmp_path, statements, expected):
    fixtures, _ = written
    problems = database_problems(damaged(fixtures, tmp_path, *statements))
    assert any(expected in p for p in problems), problems


def test_the_journal_check_finds_a_lost_acknowledged_write(written, tmp_path):
    fixtures, journal = written
    entries = read_journal(journal)
    ledgers = {"a": fixtures.import_a, "b": fixtures.import_b}
    notice = next(e for e in entries if e.get("ack") == "notice")
    copy = damaged(fixtures, tmp_path,
                   f"UPDATE tenant SET headcount = headcount + 1 WHERE id = (SELECT id FROM tenant "
                   f"WHERE id = '{next(e['id'] for e in entries if e.get('ack') == 'tenant_edit')}')",
                   f"DELETE FROM notice WHERE id = '{notice['id']}'",
                   "UPDATE tenant SET contact_phone = '13700000000' WHERE park_id = "
                   "(SELECT id FROM park WHERE code = 'PH-IMP') AND rowid = (SELECT min(rowid) FROM tenant "
                   "WHERE park_id = (SELECT id FROM park WHERE code = 'PH-IMP'))")
    problems = "\n".join(journal_problems(copy, entries, ledgers, []))
    assert "tenant " in problems and notice["number"] in problems and "import park" in problems, problems


def test_a_line_cut_by_the_kill_is_not_read_and_is_cut_off(tmp_path):
    journal = tmp_path / "journal.jsonl"
    journal.write_bytes(b'{"intent": "pull", "through": 5}\n{"ack": "pull", "thr')
    assert read_journal(journal) == [{"intent": "pull", "through": 5}]
    assert journal.read_bytes() == b'{"intent": "pull", "through": 5}\n'


def test_the_invariants_find_a_photo_row_without_its_file(written, tmp_path):
    fixtures, _ = written
    copy = damaged(fixtures, tmp_path, "UPDATE attachment SET size = size WHERE rowid = (SELECT min(rowid) FROM attachment)")
    shutil.copytree(fixtures.db.parent / "attachments", tmp_path / "attachments")
    assert database_problems(copy) == []
    for photo in (tmp_path / "attachments").rglob("*.png"):
        photo.write_bytes(photo.read_bytes()[:-10])  # cut short, as a rename before the data would leave it
        break
    assert any("attachment" in p and "not whole" in p for p in database_problems(copy))
