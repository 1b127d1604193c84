"""The outbox pruned after each sync, and what a hub restored from a backup lost sent again from the rows.

Real HTTP on loopback (tests/hub_server.py via test_hub_restore's `running`), real devices, the real
client. The restore scenario: A and B in sync; the hub is backed up; A adds, edits and tombstones
rows and syncs (the hub acknowledges them, A prunes its outbox); A edits once more offline; the hub
is put back from the backup, so it lost what A pruned; A syncs again. Then the hub holds every row
as A has it: B, and a device C that loads the hub's snapshot for the first time, hold exactly A's
rows, A has no refused change, and every entry A's outbox still holds is on the hub.
"""

from __future__ import annotations

from db import changelog_prune
from db.models import Inspector, Tenant
from inspect_app.hub.backup import backup, restore
from inspect_app.services.maintenance import check_database
from inspect_app.sync.client import sync_once
from tests.new_files import new_sqlite_hub
from tests.sync_helpers import synced_rows
from tests.test_hub_restore import own_changes, running, tenant_name
from tests.test_sync_merge import edit, make_park, make_tenant


def outbox(store) -> list[int]:
    with store.connect() as conn:
        return [row[0] for row in conn.execute("SELECT seq FROM change_log ORDER BY seq")]


def refused(store) -> int:
    with store.connect() as conn:
        return conn.execute("SELECT count(*) FROM rejected_change").fetchone()[0]


def test_a_sync_prunes_what_the_hub_acknowledged_and_keeps_the_newest_entry(devices, tmp_path):
    a, b = devices.new("a"), devices.new("b")
    park = make_park(a)
    tenants = [make_tenant(a, park.id, n) for n in range(1, 5)]
    before = outbox(a)
    assert len(before) == 5
    with running(new_sqlite_hub(tmp_path / "hub.db")) as hub:
        tokens = {"a": hub.enrol("a"), "b": hub.enrol("b")}
        summary = sync_once(a, hub.base, tokens["a"])
        assert summary.pruned == len(before) - 1 and outbox(a) == [before[-1]]
        edit(a, Tenant, tenants[0].id, name="改名一")  # numbered after the kept entry, never reused
        assert outbox(a)[0] == before[-1] and min(outbox(a)[1:]) == before[-1] + 1
        sync_once(a, hub.base, tokens["a"])
        sync_once(b, hub.base, tokens["b"])
    assert len(outbox(a)) == 1 and tenant_name(b, tenants[0].id) == "改名一"
    assert synced_rows(a) == synced_rows(b)
    report = check_database(a.path)  # the tenants whose entries were pruned count as logged
    assert report["ok"], report["problems"]


def test_a_device_that_never_synced_with_a_hub_prunes_nothing(devices):
    a = devices.new("a")
    make_tenant(a, make_park(a).id)
    held = outbox(a)
    with a.connect() as conn:
        assert changelog_prune.prune(conn) == 0
    assert outbox(a) == held


def test_each_hub_must_have_acknowledged_an_entry_before_it_goes(devices):
    a = devices.new("a")
    make_tenant(a, make_park(a).id)
    seqs = outbox(a)
    with a.connect() as conn:
        conn.execute("INSERT INTO sync_state (hub_id, pushed_seq, pulled_seq) VALUES ('one', ?, 0), ('two', ?, 0)",
                     (seqs[-1], seqs[1]))
    with a.connect() as conn:
        assert changelog_prune.prune(conn, batch=1) == 1  # below the lower cursor, in batches of one
    assert outbox(a) == seqs[1:]


def test_a_hub_restored_after_the_device_pruned_gets_every_lost_write_again_from_the_rows(devices, tmp_path):
    a, b = devices.new("a"), devices.new("b")
    park = make_park(a)
    first, second, third = (make_tenant(a, park.id, n) for n in range(1, 4))
    url, kept = new_sqlite_hub(tmp_path / "hub.db"), tmp_path / "hub-backup.db"
    with running(url) as hub:
        tokens = {"a": hub.enrol("a"), "b": hub.enrol("b")}
        for store in (a, b):
            sync_once(store, hub.base, tokens[store.path.parent.name])
        backup(url, kept)
        edit(a, Tenant, first.id, name="备份后改名", headcount=80)
        edit(a, Tenant, second.id, deleted=True)
        fourth = make_tenant(a, park.id, 4)
        with a.transaction() as session:
            session.add(Inspector(name="王检查", id_number="浙消检0099", agency="平湖市消防救援大队"))
        sync_once(a, hub.base, tokens["a"])
        sync_once(b, hub.base, tokens["b"])
        assert len(outbox(a)) == 1  # pruned: the hub acknowledged all of it
        restore(url, kept)
    edit(a, Tenant, third.id, name="离线改名")  # not sent yet when the hub comes back
    with running(url) as hub:
        summary = sync_once(a, hub.base, tokens["a"])
        assert summary.resent >= 5  # tenant 4 and its audit event, the edit, the tombstone, the inspector
        tokens["c"] = hub.enrol("c")
        c = devices.new("c")
        for _ in range(2):
            for store in (a, b, c):
                sync_once(store, hub.base, tokens[store.path.parent.name])
        on_hub = hub.changes()
    assert refused(a) == 0
    assert own_changes(a) <= on_hub
    assert synced_rows(a) == synced_rows(b) == synced_rows(c)
    assert tenant_name(c, first.id) == "备份后改名" and tenant_name(c, third.id) == "离线改名"
    assert tenant_name(c, fourth.id) == "测试企业4"
    report = check_database(a.path)
    assert report["ok"], report["problems"]


def test_a_new_hub_gets_a_pruned_devices_rows_from_the_rows(devices, tmp_path):
    a = devices.new("a")
    park = make_park(a)
    tenant = make_tenant(a, park.id, 1)
    edit(a, Tenant, tenant.id, name="改过")
    with running(new_sqlite_hub(tmp_path / "old.db")) as hub:
        sync_once(a, hub.base, hub.enrol("a"))
    assert len(outbox(a)) == 1
    with running(new_sqlite_hub(tmp_path / "new.db")) as hub:  # another hub: it acknowledges nothing
        sync_once(a, hub.base, hub.enrol("a"))
        b = devices.new("b")
        sync_once(b, hub.base, hub.enrol("b"))
    assert refused(a) == 0 and synced_rows(a) == synced_rows(b)
