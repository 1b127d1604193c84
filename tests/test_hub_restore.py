"""Hub identity, epochs and restores: a hub put back from a backup loses no change of any device.

Real HTTP on loopback (tests/hub_server.py `serve`), real devices (the `devices` fixture) and the
real client (`sync_once`). The scenario of each restore test: three devices in sync; the hub is
backed up; A pushes E1 (B pulls it); the hub is put back from the backup — by `parkinspect hub
restore`, or on SQLite by copying the file back; C, which saw neither, pushes E2; every device
syncs twice. Then every change of every device is on the hub and every device holds the same
rows: on the original code E1 was lost (A's push cursor was past it) and E2 never reached A or B
(it got hub sequence numbers they had passed). SQLite and PostgreSQL hubs.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from db.models import Tenant
from inspect_app.hub.app import create_app
from inspect_app.hub.backup import backup, restore
from inspect_app.hub.identity import identity
from inspect_app.hub.storage import change, enrol_device
from inspect_app.sync import snapshot
from inspect_app.sync.client import sync_once
from inspect_app.sync.cursors import kept_checkpoints
from tests.hub_server import serve
from tests.new_files import new_sqlite_hub
from tests.sync_helpers import requester, synced_rows
from tests.test_sync_merge import edit, make_park, make_tenant


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return new_sqlite_hub(tmp_path / "hub.db")
    return request.getfixturevalue("postgres_url")


class Hub:
    """A hub database served over loopback; `stop` and `start` again (a new port each time)."""

    def __init__(self, url: str):
        self.url, self.app, self._serving, self.base = url, None, None, None

    def start(self) -> str:
        self.app = create_app(self.url, rate_per_second=1e6, burst=10**6)
        self._serving = serve(self.app)
        self.base = self._serving.__enter__()
        return self.base

    def stop(self) -> None:
        self._serving.__exit__(None, None, None)
        self.app.state.engine.dispose()

    def enrol(self, name: str) -> str:
        return enrol_device(self.app.state.engine, name)[1]

    def changes(self) -> set[tuple[str, int]]:
        with self.app.state.engine.connect() as conn:
            return {(row.device_id, row.device_seq) for row in conn.execute(select(change.c.device_id,
                                                                                   change.c.device_seq))}


@contextmanager
def running(url: str):
    hub = Hub(url)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


def own_changes(store) -> set[tuple[str, int]]:
    with store.connect() as conn:
        return {(row[0], row[1]) for row in conn.execute("SELECT device_id, seq FROM change_log")}


def sync_all(hub: Hub, stores: dict, tokens: dict, rounds: int = 2) -> None:
    for _ in range(rounds):
        for name, store in stores.items():
            sync_once(store, hub.base, tokens[name])


def tenant_name(store, tenant_id: str) -> str:
    with store.read() as session:
        return session.get(Tenant, tenant_id).name


def copy_sqlite(source: Path, target: Path) -> None:
    """What an administrator's `sqlite3 hub.db ".backup FILE"` makes: a whole copy of the file."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.mark.parametrize("how", ["command", "file_copy"])
def test_after_a_restore_every_change_of_every_device_is_on_the_hub_and_every_device(hub_db, how, devices,
                                                                                     tmp_path):
    if how == "file_copy" and not hub_db.startswith("sqlite"):
        pytest.skip("a file copied back is a SQLite hub's restore")
    stores = {name: devices.new(name) for name in "abc"}
    a, b, c = stores["a"], stores["b"], stores["c"]
    park = make_park(a)
    first, second = make_tenant(a, park.id, 1), make_tenant(a, park.id, 2)
    kept = tmp_path / "hub-backup.db"
    with running(hub_db) as hub:
        tokens = {name: hub.enrol(name) for name in stores}
        sync_all(hub, stores, tokens)
        if how == "command":
            backup(hub_db, kept)
        else:
            copy_sqlite(Path(hub_db.removeprefix("sqlite:///")), kept)
        edit(a, Tenant, first.id, name="E1 改名")
        sync_once(a, hub.base, tokens["a"])
        sync_once(b, hub.base, tokens["b"])  # B's pull cursor is now past the backup
        assert tenant_name(b, first.id) == "E1 改名"
        if how == "command":
            restore(hub_db, kept)
    if how == "file_copy":  # the hub stopped, its file replaced by the copy, started again
        hub_file = Path(hub_db.removeprefix("sqlite:///"))
        for extra in (hub_file.with_name(hub_file.name + "-wal"), hub_file.with_name(hub_file.name + "-shm")):
            extra.unlink(missing_ok=True)
        shutil.copyfile(kept, hub_file)
    with running(hub_db) as hub:
        assert (a.device_id, max(seq for _, seq in own_changes(a))) not in hub.changes()  # E1 is gone
        edit(c, Tenant, second.id, name="E2 改名")
        sync_once(c, hub.base, tokens["c"])
        sync_all(hub, stores, tokens)
        on_hub = hub.changes()
    for store in stores.values():
        assert own_changes(store) <= on_hub
    assert synced_rows(a) == synced_rows(b) == synced_rows(c)
    assert tenant_name(c, first.id) == "E1 改名" and tenant_name(a, second.id) == tenant_name(b, second.id) == "E2 改名"


def test_the_same_hub_at_a_new_address_pushes_and_pulls_nothing_again(devices, tmp_path):
    a, b = devices.new("a"), devices.new("b")
    park = make_park(a)
    for n in range(1, 4):
        make_tenant(a, park.id, n)
    url = new_sqlite_hub(tmp_path / "hub.db")
    with running(url) as hub:
        tokens = {"a": hub.enrol("a"), "b": hub.enrol("b")}
        sync_all(hub, {"a": a, "b": b}, tokens)
        old = hub.base
    with running(url) as hub:  # the same database behind another address
        assert hub.base != old
        for store, token in ((a, tokens["a"]), (b, tokens["b"])):
            summary = sync_once(store, hub.base, token)
            assert (summary.pushed, summary.pulled) == (0, 0)
        with a.connect() as conn:
            assert conn.execute("SELECT count(*), max(hub_url) FROM sync_state").fetchone() == (1, hub.base)


def test_a_cursor_keyed_by_url_before_hub_ids_is_adopted_at_the_next_sync(devices, tmp_path):
    a, b = devices.new("a"), devices.new("b")
    park = make_park(a)
    make_tenant(a, park.id, 1)
    with running(new_sqlite_hub(tmp_path / "hub.db")) as hub:
        tokens = {"a": hub.enrol("a"), "b": hub.enrol("b")}
        sync_all(hub, {"a": a, "b": b}, tokens)
        for store in (a, b):  # as migration 0006 leaves a cursor of the old kind
            with store.connect() as conn:
                conn.execute("UPDATE sync_state SET hub_id = hub_url, epoch = NULL")
                conn.execute("DELETE FROM sync_checkpoint")
        summary = sync_once(b, hub.base, tokens["b"])
        assert (summary.pushed, summary.pulled) == (0, 0)
        hub_id = _hub_id(hub)
        with b.connect() as conn:
            assert conn.execute("SELECT hub_id, hub_url FROM sync_state").fetchall() == [(hub_id, hub.base)]


def test_migration_0006_keeps_each_cursor_keyed_by_its_url_until_a_sync_adopts_it(tmp_path):
    from alembic import command

    from db import migrations

    path = tmp_path / "old.db"
    command.upgrade(migrations.alembic_config(path), "0005_park_totals")
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO sync_state (hub_url, pushed_seq, pulled_seq, last_sync_at) "
                     "VALUES ('https://hub.example', 42, 1234, '2026-11-26 08:00:00')")
    migrations.upgrade_to_head(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT hub_id, hub_url, epoch, pushed_seq, pulled_seq FROM sync_state").fetchall() == [
            ("https://hub.example", "https://hub.example", None, 42, 1234)]
        assert conn.execute("SELECT count(*) FROM sync_checkpoint").fetchone() == (0,)


def _hub_id(hub: Hub) -> str:
    with hub.app.state.engine.connect() as conn:
        return identity(conn)[0]


def test_a_first_sync_cut_short_starts_again_against_a_restored_hub(devices, tmp_path, caplog):
    a, b = devices.new("a"), devices.new("b")
    park = make_park(a)
    for n in range(1, 8):
        make_tenant(a, park.id, n)
    url = new_sqlite_hub(tmp_path / "hub.db")
    kept = tmp_path / "hub-backup.db"
    with running(url) as hub:
        tokens = {"a": hub.enrol("a"), "b": hub.enrol("b")}
        sync_once(a, hub.base, tokens["a"])
        backup(url, kept)
        for n in range(8, 12):
            make_tenant(a, park.id, n)
        sync_once(a, hub.base, tokens["a"])
        hub_id = _hub_id(hub)
        http = httpx.Client(base_url=hub.base, headers={"Authorization": f"Bearer {tokens['b']}"})
        pages = []

        def cut_after_two_pages(method, path, **kwargs):
            if path == "/snapshot":
                pages.append(kwargs["params"])
                if len(pages) > 2:
                    raise ConnectionError("cut")
            return requester(http)(method, path, **kwargs)

        with pytest.raises(ConnectionError):
            snapshot.load(b, hub_id, cut_after_two_pages, page_rows=3)
        http.close()
        with b.connect() as conn:  # two pages loaded, the progress saved with them
            assert conn.execute("SELECT value FROM local_setting WHERE key = ?", (snapshot.PROGRESS_KEY,)).fetchone()
        restore(url, kept)
        sync_all(hub, {"a": a, "b": b}, tokens)
        assert own_changes(a) <= hub.changes()
    assert "starting it again" in caplog.text
    assert synced_rows(a) == synced_rows(b)


def test_checkpoints_keep_the_recent_ones_and_exponentially_spaced_older_ones():
    rng = random.Random(7)
    for step in (1, 7, 1000):  # pages of one change, of a few, of a thousand (30,000 pages each)
        kept, latest = set(), 0
        while latest < 30_000 * step:
            latest += rng.randint(1, step)
            kept = kept_checkpoints(kept | {latest})  # as each pulled page adds one and thins
        assert len(kept) <= 8 + 2 * latest.bit_length()
        assert max(kept) == latest and len([seq for seq in kept if latest - seq < 8 * step]) >= 8
        # However far back the hub's history changed, the device resumes at most about twice as far back.
        for lost_after in rng.sample(range(1, latest - 8 * step), 500):
            resume = max((seq for seq in kept if seq <= lost_after), default=0)
            assert latest - resume <= 2 * (latest - lost_after)
