"""Inspection.accompanied_by (陪同人员): checked when typed, kept by migration 0008, synced through the hub."""

from __future__ import annotations

import sqlite3

import pytest

from db.errors import UserError
from db.models import Inspection
from forms.checklist import builtin_templates
from inspect_app.hub.storage import enrol_device
from inspect_app.services.inspections import load_inspection, set_accompanied_by, start_inspection
from inspect_app.sync.client import sync_once
from tests.sync_helpers import synced_rows
from tests.test_sync_merge import make_park, make_tenant, rows

FIRE = builtin_templates()["fire_safety"]


def an_inspection(store) -> str:
    park = make_park(store)
    tenant = make_tenant(store, park.id)
    return start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE, inspector_ids=["insp-1"])


def outbox_size(store) -> int:
    with store.read_connection() as conn:
        return conn.execute("SELECT count(*) FROM change_log").fetchone()[0]


def test_a_name_is_trimmed_stored_shown_and_cleared_when_blank(store):
    inspection_id = an_inspection(store)
    assert set_accompanied_by(store, inspection_id, "  王芳（安全主管） ") == "王芳（安全主管）"
    assert load_inspection(store, inspection_id).accompanied_by == "王芳（安全主管）"
    before = outbox_size(store)
    set_accompanied_by(store, inspection_id, "王芳（安全主管）")
    assert outbox_size(store) == before  # the same name again writes no change to sync
    assert set_accompanied_by(store, inspection_id, "   ") is None
    assert rows(store, Inspection)[0].accompanied_by is None


@pytest.mark.parametrize("name, key", [
    ("王" * 51, "errors.too_long"),
    ("王芳\n李四", "errors.control_chars"),
    ("王\x07芳", "errors.control_chars"),
    ("王\u202e芳", "errors.control_chars"),  # a right-to-left override prints the name reversed
])
def test_a_name_a_signature_line_cannot_hold_is_refused_and_nothing_is_written(store, name, key):
    inspection_id = an_inspection(store)
    set_accompanied_by(store, inspection_id, "王芳")
    before = outbox_size(store)
    with pytest.raises(UserError) as refused:
        set_accompanied_by(store, inspection_id, name)
    assert refused.value.key == key and refused.value.field == "accompanied_by"
    assert refused.value.message()  # a message a person reads, in either catalogue
    assert rows(store, Inspection)[0].accompanied_by == "王芳"
    assert outbox_size(store) == before


def test_an_unknown_inspection_is_refused(store):
    with pytest.raises(UserError) as refused:
        set_accompanied_by(store, "no-such-inspection", "王芳")
    assert refused.value.key == "errors.inspection_missing"


def test_migration_0008_adds_the_column_and_keeps_the_inspections(tmp_path):
    from alembic import command

    from db import migrations

    path = tmp_path / "old.db"
    command.upgrade(migrations.alembic_config(path), "0007_duplicate_review")
    with sqlite3.connect(path) as conn:
        # sqlite3 leaves foreign keys off: the inspection's park need not exist for this check.
        conn.execute("INSERT INTO inspection (id, park_id, template_id, template_version, inspector_ids, started_at, "
                     "status, hlc, origin_device, deleted, created_at, updated_at) VALUES ('i1', 'p1', "
                     "'fire_safety', '1', '[]', '2026-11-26', 'finished', '0', 'd', 0, '2026-11-26', '2026-11-26')")
    migrations.upgrade_to_head(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT id, status, accompanied_by FROM inspection").fetchall() == [("i1", "finished", None)]


def test_the_name_travels_through_the_hub_both_ways(served_hub, devices):
    app, url = served_hub
    a, b = devices.new("a"), devices.new("b")
    token = {a: enrol_device(app.state.engine, "a")[1], b: enrol_device(app.state.engine, "b")[1]}
    inspection_id = an_inspection(a)
    set_accompanied_by(a, inspection_id, "王芳")
    for store in (a, b):
        summary = sync_once(store, url, token[store])
        assert summary.rejected == 0 and summary.set_aside == 0
    assert rows(b, Inspection, id=inspection_id)[0].accompanied_by == "王芳"
    set_accompanied_by(b, inspection_id, "王芳芳")  # corrected on the other laptop
    for store in (b, a):
        summary = sync_once(store, url, token[store])
        assert summary.rejected == 0 and summary.set_aside == 0
    assert rows(a, Inspection, id=inspection_id)[0].accompanied_by == "王芳芳"
    assert synced_rows(a) == synced_rows(b)
