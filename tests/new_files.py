"""New device and hub files for tests: copies of files migrated once per test process.

Migrating a new device file runs every revision (about 0.15 s of CPU), a new SQLite hub's about
0.3 s, and hundreds of tests start devices and hubs: each gets a copy instead (a few ms). A copy
is what a first migration makes, but for what that migration draws at random: a device draws its
id when first opened (`Store.open`), and a hub's id is drawn again here, so two hubs of a test
are two hubs to their devices. Tests of the migrations themselves migrate real files.
"""

from __future__ import annotations

import atexit
import secrets
import shutil
import sqlite3
import tempfile
from functools import cache
from pathlib import Path

from db import migrations
from db.private_files import create_private_file


@cache
def _templates() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="parkinspect-test-templates-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


@cache
def migrated_device_file() -> Path:
    """An empty device file at the newest schema, without a device id. Never open it: copy it."""
    path = _templates() / "device.db"
    migrations.upgrade_to_head(path)
    return path


@cache
def migrated_hub_file() -> Path:
    """An empty SQLite hub at the newest revision. Never serve it: copy it (`new_sqlite_hub`)."""
    from inspect_app.hub.storage import open_engine  # the hub extra: only tests that start a hub

    path = _templates() / "hub.db"
    open_engine(f"sqlite:///{path}").dispose()  # the last connection closed: no -wal file left
    return path


def new_device_file(path: Path) -> Path:
    """A new device's file at `path` (its folder made): open it with `Store.open`."""
    _copy(migrated_device_file(), path)
    return path


def new_sqlite_hub(path: Path) -> str:
    """The URL of a new SQLite hub at `path` (its folder made), with an id of its own."""
    _copy(migrated_hub_file(), path)
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("UPDATE hub_meta SET value = ? WHERE key = 'hub_id'", (secrets.token_hex(16),))
    finally:
        conn.close()
    return f"sqlite:///{path}"


def _copy(template: Path, path: Path) -> None:
    create_private_file(path)  # 0600 in a 0700 folder, as the app makes its files
    shutil.copyfile(template, path)
