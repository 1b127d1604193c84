"""Database files are the owner's only: 0600 files (with SQLite's -wal/-shm) in 0700 folders that
the app creates, on a device, for backups and for a SQLite hub."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from db.store import Store
from inspect_app.cli import main
from inspect_app.hub.storage import open_engine
from tests.test_sync_merge import make_park

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def lenient_umask():
    """The usual 022: without the app's care, files would be 0644 and folders 0755."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_device_database_its_wal_and_its_new_folders_are_private(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    path = shared / "new" / "deeper" / "parkinspect.db"
    store = Store.open(path)
    try:
        make_park(store)
        with store.connect() as conn:  # an open connection keeps the -wal and -shm files
            conn.execute("SELECT count(*) FROM park").fetchone()
            files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
            assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
    finally:
        store.close()
    assert mode(shared / "new") == mode(shared / "new" / "deeper") == 0o700
    assert mode(shared) == 0o755  # a folder that was there is the user's: left as it was


def test_backups_and_their_new_folder_are_private(tmp_path, capsys):
    db = tmp_path / "device.db"
    Store.open(db).close()
    target = tmp_path / "backups" / "2026" / "copy.db"
    assert main(["--db", str(db), "backup", str(target)]) == 0
    assert mode(target) == 0o600
    assert mode(target.parent) == mode(target.parent.parent) == 0o700


def test_a_sqlite_hub_file_and_its_folder_are_private(tmp_path):
    path = tmp_path / "hub-data" / "hub.db"
    engine = open_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM device").fetchone()
            assert mode(path) == mode(path.with_name("hub.db-wal")) == 0o600
    finally:
        engine.dispose()
    assert mode(path.parent) == 0o700
