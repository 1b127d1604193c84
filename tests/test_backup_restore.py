"""Backup while another process writes, restore (`parkinspect restore`), the copy before a migration."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from db import migrations
from db.backup import attachments_of_backup
from db.models import SYNCED_TABLES
from db.store import Store
from inspect_app.cli import main
from inspect_app.services.maintenance import check_database
from tests.crash.invariants import database_problems
from tests.crash.process import WorkerProcess
from tests.crash.setup import Fixtures, copy_of, prepare
from tests.crash.worker import Journal, Worker

BACKUPS = 4


def run(capsys, db: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), *args])
    out, err = capsys.readouterr()
    return code, out, err


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def synced_data(path: Path) -> dict[str, list[tuple]]:
    """Every synced table, the change log and the inbox, row by row."""
    tables = [*SYNCED_TABLES, "change_log", "applied_change", "local_setting", "sync_state"]
    return {name: rows(path, f"SELECT * FROM {name} ORDER BY 1") for name in tables}  # noqa: S608


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Fixtures:
    return prepare(tmp_path_factory.mktemp("prepared") / "office")


@pytest.fixture
def fixtures(prepared, tmp_path) -> Fixtures:
    return copy_of(prepared, tmp_path / "office")


def write_in_process(fixtures: Fixtures, journal: Path, seed: int, count: int) -> None:
    import json

    store = Store.open(fixtures.db)
    try:
        worker = Worker(Journal(journal), random.Random(seed), store, fixtures.keys,
                        {"a": fixtures.import_a, "b": fixtures.import_b},
                        json.loads(fixtures.pull_pages.read_text(encoding="utf-8")), fixtures.bundle)
        for _ in range(count):
            worker.step()
    finally:
        store.close()


# --- backup while another process writes ----------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="the writer is a forked process (POSIX only)")
def test_backups_taken_while_another_process_writes_are_whole_consistent_prefixes(fixtures, tmp_path, capsys):
    writer = WorkerProcess([str(tmp_path / "journal.jsonl"), "11", *fixtures.args()], tmp_path / "worker.err")
    assert writer.ready, (tmp_path / "worker.err").read_text()
    copies = []
    try:
        for n in range(BACKUPS):
            time.sleep(0.4)
            assert writer.poll() is None, (tmp_path / "worker.err").read_text()
            copy = tmp_path / f"copy-{n}.db"
            code, out, err = run(capsys, fixtures.db, "backup", str(copy))
            assert code == 0, err
            copies.append(copy)
    finally:
        writer.kill()
    final = rows(fixtures.db, "SELECT seq, hlc, row_id FROM change_log ORDER BY seq")
    sizes = []
    for copy in copies:
        # integrity, check, every row logged and vice versa; every photo it names whole in its own folder
        assert database_problems(copy, attachments_of_backup(copy)) == [], copy
        logged = rows(copy, "SELECT seq, hlc, row_id FROM change_log ORDER BY seq")
        assert logged == final[: len(logged)], f"{copy} is not a prefix of the database's history"
        sizes.append(len(logged))
    assert sizes == sorted(sizes) and 0 < sizes[0] < sizes[-1] <= len(final), sizes  # taken while it wrote


def write_until(fixtures: Fixtures, journal: Path, sql: str, seeds=range(3, 60)) -> None:
    """Worker steps until `sql` counts something (e.g. a photo or a notice has been written)."""
    for seed in seeds:
        write_in_process(fixtures, journal, seed, 25)
        if rows(fixtures.db, sql)[0][0]:
            return
    raise AssertionError(f"nothing written for {sql}")


def named_photos(db: Path) -> set[str]:
    return {digest for (digest,) in rows(db, "SELECT sha256 FROM attachment")}


def stored_photos(folder: Path) -> set[str]:
    return {p.name[:64] for p in folder.glob("*/*") if not p.name.endswith(".partial")}


def test_a_backup_is_one_self_contained_file(fixtures, tmp_path, capsys):
    copy = tmp_path / "copy.db"
    assert run(capsys, fixtures.db, "backup", str(copy))[0] == 0
    assert rows(copy, "PRAGMA journal_mode") == [("delete",)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copy")) == ["copy.db"]


# --- restore ------------------------------------------------------------------------------------


def test_restore_brings_back_exactly_the_backup_and_keeps_the_replaced_file(fixtures, tmp_path, capsys):
    journal = tmp_path / "journal.jsonl"
    write_in_process(fixtures, journal, 1, 60)
    backup = tmp_path / "monday.db"
    assert run(capsys, fixtures.db, "backup", str(backup))[0] == 0
    write_in_process(fixtures, journal, 2, 60)
    before_restore = synced_data(fixtures.db)
    assert before_restore != synced_data(backup)

    code, out, err = run(capsys, fixtures.db, "restore", str(backup))

    assert code == 0, err
    assert str(backup) in out
    assert synced_data(fixtures.db) == synced_data(backup)
    kept = list(fixtures.db.parent.glob("parkinspect.db.before-restore-*.bak"))
    assert len(kept) == 1 and str(kept[0]) in out
    assert synced_data(kept[0]) == before_restore
    assert not fixtures.db.with_name("parkinspect.db-wal").exists()
    assert check_database(fixtures.db)["ok"]
    store = Store.open(fixtures.db)  # the app starts on it and writes on
    store.close()
    write_in_process(fixtures, journal, 3, 20)
    assert check_database(fixtures.db)["ok"]


def test_restore_keeps_the_numbers_of_notices_issued_after_the_backup_used(fixtures, tmp_path, capsys):
    journal = tmp_path / "journal.jsonl"
    backup = tmp_path / "empty-counters.db"
    assert run(capsys, fixtures.db, "backup", str(backup))[0] == 0
    write_until(fixtures, journal, "SELECT count(*) FROM notice")
    issued = rows(fixtures.db, "SELECT device_block, year, last_sequence FROM notice_counter")
    assert issued, "no notice was issued"

    assert run(capsys, fixtures.db, "restore", str(backup))[0] == 0

    assert rows(fixtures.db, "SELECT count(*) FROM notice") == [(0,)]
    # The next notice gets a new number, never one a notice lost with the restore already has.
    assert rows(fixtures.db, "SELECT device_block, year, last_sequence FROM notice_counter") == issued


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(3 * page, len(data) - page, 5 * page):
        data[offset + 100: offset + 400] = b"\xa5" * 300
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("make", "key_words"), [
    (lambda p: p.write_text("园区台账,不是数据库\n", encoding="utf-8"), "not a ParkInspect database"),
    (lambda p: p.unlink(), "No backup file"),
    ("damaged", "integrity"),
    ("foreign", "not a ParkInspect database"),
    ("newer", "newer version of the app"),
])
def test_restore_refuses_a_file_that_is_not_a_good_backup_and_changes_nothing(fixtures, tmp_path, capsys,
                                                                             make, key_words):
    backup = tmp_path / "backup.db"
    assert run(capsys, fixtures.db, "backup", str(backup))[0] == 0
    if make == "damaged":
        write_in_process(fixtures, tmp_path / "journal.jsonl", 5, 80)  # a file of many pages
        backup.unlink()
        assert run(capsys, fixtures.db, "backup", str(backup))[0] == 0
        _damage(backup)
    elif make == "foreign":
        backup.unlink()
        other = sqlite3.connect(backup)
        other.execute("CREATE TABLE ledger (name TEXT)")
        other.commit()
        other.close()
    elif make == "newer":
        newer = sqlite3.connect(backup)
        with newer:
            newer.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
        newer.close()
    else:
        make(backup)
    before = fixtures.db.read_bytes()

    code, _, err = run(capsys, fixtures.db, "--lang", "en", "restore", str(backup))

    assert code == 2 and key_words in err, err
    assert fixtures.db.read_bytes() == before
    assert list(fixtures.db.parent.glob("*.before-restore-*")) == []
    assert not fixtures.db.with_name("parkinspect.db.restoring").exists()


def test_restore_refuses_while_the_app_has_the_database_open(fixtures, tmp_path, capsys):
    backup = tmp_path / "backup.db"
    assert run(capsys, fixtures.db, "backup", str(backup))[0] == 0
    app = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('SELECT count(*) FROM tenant').fetchall(); print('open', flush=True); sys.stdin.read()",
         str(fixtures.db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert app.stdout.readline().strip() == b"open"
        code, _, err = run(capsys, fixtures.db, "--lang", "en", "restore", str(backup))
        assert code == 2 and "is open" in err, err
    finally:
        app.communicate(b"")
    assert list(fixtures.db.parent.glob("*.before-restore-*")) == []
    assert run(capsys, fixtures.db, "restore", str(backup))[0] == 0  # closed: now it goes


def test_restore_refuses_a_backup_older_than_what_the_hub_already_holds(fixtures, tmp_path, capsys):
    backup = tmp_path / "backup.db"
    assert run(capsys, fixtures.db, "backup", str(backup))[0] == 0
    last = rows(backup, "SELECT max(seq) FROM change_log")[0][0]
    write_in_process(fixtures, tmp_path / "journal.jsonl", 6, 10)
    from inspect_app.sync.changes import mark_pushed

    store = Store.open(fixtures.db)
    mark_pushed(store, "https://hub.example", last + 5)  # the hub acknowledged changes past the backup
    store.close()
    before = synced_data(fixtures.db)

    code, _, err = run(capsys, fixtures.db, "--lang", "en", "restore", str(backup))

    assert code == 2 and f"change {last + 5}" in err and f"at change {last}" in err, err
    assert synced_data(fixtures.db) == before


def test_restore_refuses_a_backup_older_than_a_bundle_this_device_exported(fixtures, tmp_path, capsys):
    backup = tmp_path / "backup.db"
    assert run(capsys, fixtures.db, "backup", str(backup))[0] == 0
    last = rows(backup, "SELECT max(seq) FROM change_log")[0][0]
    write_in_process(fixtures, tmp_path / "journal.jsonl", 6, 10)
    exported = rows(fixtures.db, "SELECT max(seq) FROM change_log")[0][0]
    assert exported > last
    # The bundle is carried to the office, whose database then has these (device, number) pairs.
    assert run(capsys, fixtures.db, "sync", "export-bundle", str(tmp_path / "to-office.zip"))[0] == 0
    before = synced_data(fixtures.db)

    code, _, err = run(capsys, fixtures.db, "--lang", "en", "restore", str(backup))

    assert code == 2 and f"up to {exported} were exported" in err and f"at change {last}" in err, err
    assert synced_data(fixtures.db) == before
    assert list(fixtures.db.parent.glob("*.before-restore-*")) == []


def test_a_bundle_exported_before_the_backup_does_not_stop_a_restore(fixtures, tmp_path, capsys):
    write_in_process(fixtures, tmp_path / "journal.jsonl", 6, 10)
    assert run(capsys, fixtures.db, "sync", "export-bundle", str(tmp_path / "to-office.zip"))[0] == 0
    backup = tmp_path / "backup.db"
    assert run(capsys, fixtures.db, "backup", str(backup))[0] == 0
    write_in_process(fixtures, tmp_path / "journal.jsonl", 7, 10)  # not exported: lost with the restore, not reused

    assert run(capsys, fixtures.db, "restore", str(backup))[0] == 0


# --- photos travel with backups ---------------------------------------------------------------------


def test_backup_copies_the_photos_it_names_and_restore_on_a_new_laptop_puts_them_back(fixtures, tmp_path, capsys):
    journal = tmp_path / "journal.jsonl"
    write_until(fixtures, journal, "SELECT count(*) FROM attachment")
    backup = tmp_path / "usb" / "monday.db"

    code, out, err = run(capsys, fixtures.db, "--lang", "en", "backup", str(backup))

    assert code == 0, err
    named = named_photos(backup)
    assert named and stored_photos(attachments_of_backup(backup)) == named
    assert f"{len(named)} photos copied to {attachments_of_backup(backup)}" in out
    assert database_problems(backup, attachments_of_backup(backup)) == []

    # The laptop is lost: a new one gets the backup, and nothing else.
    target = tmp_path / "new-laptop" / "parkinspect.db"
    target.parent.mkdir()
    code, out, err = run(capsys, target, "--lang", "en", "restore", str(backup))

    assert code == 0, err
    assert stored_photos(target.parent / "attachments") == named
    assert database_problems(target) == []  # every photo the database names is there, whole
    assert f"{len(named)} photos copied" in out


def test_a_second_backup_over_the_first_copies_only_the_new_photos(fixtures, tmp_path, capsys):
    journal = tmp_path / "journal.jsonl"
    write_until(fixtures, journal, "SELECT count(*) FROM attachment")
    backup = tmp_path / "weekly.db"
    assert run(capsys, fixtures.db, "backup", str(backup))[0] == 0
    first = named_photos(backup)
    write_until(fixtures, journal, f"SELECT count(*) > {len(first)} FROM attachment", seeds=range(60, 120))

    code, out, err = run(capsys, fixtures.db, "--lang", "en", "backup", "--force", str(backup))

    assert code == 0, err
    added = named_photos(backup) - first
    assert added and f"{len(added)} photos copied to" in out and f"({len(first)} already there)" in out
    assert stored_photos(attachments_of_backup(backup)) == named_photos(backup)


def test_restore_reports_a_damaged_or_missing_photo_of_the_backup_and_still_restores(fixtures, tmp_path, capsys):
    journal = tmp_path / "journal.jsonl"
    write_until(fixtures, journal, "SELECT count(*) > 1 FROM attachment")
    backup = tmp_path / "backup.db"
    assert run(capsys, fixtures.db, "backup", str(backup))[0] == 0
    damaged, missing, *_ = sorted(attachments_of_backup(backup).glob("*/*"))
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")
    missing.unlink()
    target = tmp_path / "new-laptop" / "parkinspect.db"
    target.parent.mkdir()

    code, out, err = run(capsys, target, "--lang", "en", "restore", str(backup))

    assert code == 0, err  # the database matters most: restored, with the two photos named
    assert f"not matching their names (damaged files), not copied: {damaged.name[:12]}" in err
    assert f"not found in {attachments_of_backup(backup)}, not copied: {missing.name[:12]}" in err
    assert stored_photos(target.parent / "attachments") == named_photos(backup) - {damaged.name[:64], missing.name[:64]}
    assert synced_data(target) == synced_data(backup)


def test_restore_onto_a_missing_database_just_puts_the_backup_there(fixtures, tmp_path, capsys):
    backup = tmp_path / "backup.db"
    assert run(capsys, fixtures.db, "backup", str(backup))[0] == 0
    target = tmp_path / "new-laptop" / "parkinspect.db"
    target.parent.mkdir()
    code, out, _ = run(capsys, target, "restore", str(backup))
    assert code == 0 and "before-restore" not in out
    assert synced_data(target) == synced_data(backup)


# --- the copy made before a migration -------------------------------------------------------------


def test_migrating_a_0001_file_with_data_first_copies_it_at_0001(db_path):
    from alembic import command

    command.upgrade(migrations.alembic_config(db_path), "0001_initial")
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("INSERT INTO park (id, hlc, origin_device, deleted, created_at, updated_at, code, name, "
                     "district, street, function_type, developer_type, star_rating, provincially_certified, "
                     "land_area_mu, floor_area_m2, property_company) VALUES ('p1', '0000000000001.0000.dev', "
                     "'dev', 0, '2026-01-01', '2026-01-01', 'PH-001', '平湖经济开发区小微企业园', '平湖市', "
                     "'当湖街道', 'manufacturing', 'government', 4, 1, 120.5, 86000, '物业')")
    conn.close()

    Store.open(db_path).close()

    copy = db_path.with_name(f"{db_path.name}.before-{migrations.HEAD_REVISION}.bak")  # named by the target
    assert migrations.current_revision(copy) == "0001_initial"
    assert rows(copy, "PRAGMA integrity_check") == [("ok",)]
    assert rows(copy, "SELECT code, name FROM park") == [("PH-001", "平湖经济开发区小微企业园")]
    assert rows(copy, "SELECT name FROM sqlite_master WHERE name = 'applied_change'") == []
    assert migrations.current_revision(db_path) == migrations.HEAD_REVISION
    assert rows(db_path, "SELECT code FROM park") == [("PH-001",)]


def test_restore_never_makes_a_path_of_a_photo_name_that_is_no_hash(fixtures, tmp_path, capsys):
    backup = tmp_path / "crafted.db"
    assert run(capsys, fixtures.db, "backup", str(backup))[0] == 0
    attachments_of_backup(backup).mkdir()  # a backup with photos has its folder
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("x", encoding="utf-8")
    crafted = "../../outside/secret.txt"
    conn = sqlite3.connect(backup)
    with conn:
        conn.execute("INSERT INTO attachment (sha256, size, media_type, original_name, id, hlc, origin_device, "
                     "deleted, created_at, updated_at) VALUES (?, 1, 'image/png', 'x.png', 'a1', 'x', 'd', 0, "
                     "'2026-01-01', '2026-01-01')", (crafted,))
    conn.close()
    target = tmp_path / "laptop" / "parkinspect.db"
    target.parent.mkdir()

    code, _, err = run(capsys, target, "--lang", "en", "restore", str(backup))

    assert code == 0 and "damaged files" in err, err
    assert not (target.parent / "attachments").exists()  # nothing was copied anywhere
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["parkinspect.db", *(
        [p.name for p in target.parent.iterdir() if p.name.startswith("parkinspect.db-")])]
