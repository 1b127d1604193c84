"""Opening a file that cannot be used as the database: a sentence and exit 2, never a traceback,
and the file is left exactly as it was (the app and every sub-command open it the same way)."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from db import backup as backup_module
from db import migrations
from db.store import Store
from inspect_app.cli import main


def run(capsys, db: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "--lang", "en", *args])
    out, err = capsys.readouterr()
    return code, out, err


COMMANDS = [(), ("ledger", "export", "-o", "out.xlsx"), ("check",), ("overview",), ("sync", "export-bundle", "b.zip")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "tui")
def test_a_file_that_is_not_a_database_is_refused_in_words(tmp_path, capsys, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    ledger = tmp_path / "台账.xlsx"  # --db given the spreadsheet by mistake
    ledger.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
    before = ledger.read_bytes()

    code, out, err = run(capsys, ledger, *command)

    assert code in (1, 2), (out, err)  # `check` reports a failed check (1), the others refuse (2)
    assert "not a ParkInspect database, or damaged" in err + out and "Traceback" not in err
    assert ledger.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["台账.xlsx"]  # no copy, no -wal, no output


def test_a_database_from_a_newer_app_is_refused_and_left_alone(db_path, capsys):
    Store.open(db_path).close()
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    conn.close()
    before = db_path.read_bytes()

    code, _, err = run(capsys, db_path, "ledger", "export", "-o", str(db_path.with_name("x.xlsx")))

    assert code == 2 and "newer version of the app (schema 0099_from_the_future)" in err, err
    assert db_path.read_bytes() == before
    assert list(db_path.parent.glob("*.bak")) == []


class _FullDisk:
    """A sqlite3 connection whose backup stops half-way the way a full disk stops it."""

    def __init__(self, real):
        self.real = real

    def backup(self, target, **kwargs):
        target.execute("CREATE TABLE half (x)")  # something is written into the partial file first
        target.commit()
        raise sqlite3.OperationalError("database or disk is full")

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_no_room_for_the_copy_before_a_migration_leaves_the_file_unmigrated(db_path, capsys, monkeypatch):
    from alembic import command

    command.upgrade(migrations.alembic_config(db_path), "0001_initial")
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("INSERT INTO local_setting (key, value) VALUES ('device_id', 'abc')")
    conn.close()
    real_connect = sqlite3.connect
    monkeypatch.setattr(backup_module.sqlite3, "connect",
                        lambda path, *a, **k: _FullDisk(real_connect(path, *a, **k)) if Path(path) == db_path
                        else real_connect(path, *a, **k))

    code, _, err = run(capsys, db_path, "ledger", "export", "-o", str(db_path.with_name("x.xlsx")))

    copy = db_path.with_name(f"{db_path.name}.before-{migrations.HEAD_REVISION}.bak")
    assert code == 2 and str(copy) in err and "database or disk is full" in err and "unchanged" in err, err
    assert migrations.current_revision(db_path) == "0001_initial"
    assert not copy.exists() and not copy.with_name(copy.name + ".partial").exists()


def test_backup_turns_sqlites_error_into_an_oserror_and_leaves_no_partial_file(db_path, tmp_path, monkeypatch):
    Store.open(db_path).close()
    real_connect = sqlite3.connect
    monkeypatch.setattr(backup_module.sqlite3, "connect",
                        lambda path, *a, **k: _FullDisk(real_connect(path, *a, **k)) if Path(path) == db_path
                        else real_connect(path, *a, **k))
    target = tmp_path / "usb" / "copy.db"

    with pytest.raises(OSError) as raised:
        backup_module.backup_file(db_path, target)

    assert raised.value.errno == errno.EIO and raised.value.strerror == "database or disk is full"
    assert sorted(p.name for p in target.parent.iterdir()) == []


def test_a_migration_cut_short_leaves_the_previous_revision_and_runs_again_next_time(db_path, monkeypatch):
    from alembic import command
    from alembic import op as alembic_op

    command.upgrade(migrations.alembic_config(db_path), "0004_park_quarter_totals")
    real_execute = alembic_op.execute

    def cut(sql, *args, **kwargs):  # the battery dies after the table and most triggers were made
        if "CREATE TRIGGER tr_hazard_park_total_delete" in str(sql):
            raise KeyboardInterrupt
        return real_execute(sql, *args, **kwargs)

    monkeypatch.setattr(alembic_op, "execute", cut)
    with pytest.raises(KeyboardInterrupt):
        Store.open(db_path)
    monkeypatch.setattr(alembic_op, "execute", real_execute)

    conn = sqlite3.connect(db_path)
    made = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE '%park_total%'")}
    conn.close()
    assert migrations.current_revision(db_path) == "0004_park_quarter_totals"
    assert made == set()  # neither the table nor any of its triggers: all or nothing
    Store.open(db_path).close()  # the next start migrates
    assert migrations.current_revision(db_path) == migrations.HEAD_REVISION
