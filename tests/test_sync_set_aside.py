"""A device never stalls (docs/SYNC.md, "Set aside"): a remote change its database refuses is kept
in the inbox with its reason, the page commits, the pull cursor moves, and later edits of the same
row and of other rows still arrive. The refused changes are planted straight into the hub's log
(as a hub that wrongly accepted them would hold them) and pulled over real HTTP on loopback."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select

from db.clock import format_stamp, wall_clock_ms
from db.models import CheckResult, Inspection, Notice, Tenant
from inspect_app.cli import main
from inspect_app.hub.storage import change, enrol_device
from inspect_app.sync.apply import apply_page
from inspect_app.sync.client import summary_line, sync_once
from tests.sync_helpers import synced_rows
from tests.test_sync_merge import edit, make_park, make_tenant, rows

EVIL = uuid.uuid4().hex  # a device the hub should not have believed


def plant(app, changes: list[dict], park_id: str) -> None:
    """Append changes to the hub's log as if its push had accepted them."""
    with app.state.engine.begin() as conn:
        for c in changes:
            conn.execute(change.insert().values(
                device_id=c["device_id"], device_seq=c["device_seq"], table_name=c["table"], row_id=c["row_id"],
                park_id=park_id, op=c["op"], hlc=c["hlc"], actor_id=None, payload=c["payload"],
                base=c.get("base") or {}, received_at=datetime.now(UTC)))


def hub_newest(app) -> int:
    with app.state.engine.connect() as conn:
        return conn.execute(select(func.max(change.c.seq))).scalar()


def evil_update(seq: int, table: str, row_id: str, payload: dict, base: dict | None = None, *,
                millis: int | None = None) -> dict:
    stamp = format_stamp(int(time.time() * 1000) if millis is None else millis, seq, EVIL)
    return {"device_id": EVIL, "device_seq": seq, "table": table, "row_id": row_id, "op": "update", "hlc": stamp, "payload": {**payload, "hlc": stamp, "origin_device": EVIL},
            "base": base or {}}


def inspection_with_result(store, park_id: str, tenant_id: str) -> tuple[Inspection, CheckResult]:
    with store.transaction() as session:
        inspection = Inspection(park_id=park_id, tenant_id=tenant_id, template_id="fire_safety",
                                template_version="2026.1")
        session.add(inspection)
        session.flush()
        result = CheckResult(inspection_id=inspection.id, item_code="1.1", item_text="疏散通道畅通")
        session.add(result)
    return inspection, result


def test_each_refused_kind_is_set_aside_and_later_edits_still_arrive(served_hub, devices, capsys):
    app, url = served_hub
    # a's machine clock, moved on by hand: its later edits are stamped after the planted changes
    # without sleeping for the wall clock to tick.
    now = [wall_clock_ms()]
    a, b = devices.new("a", now_ms=lambda: now[0]), devices.new("b")
    token_a, token_b = enrol_device(app.state.engine, "a")[1], enrol_device(app.state.engine, "b")[1]
    park = make_park(a)
    tenant, other = make_tenant(a, park.id, 1), make_tenant(a, park.id, 2)
    first, first_result = inspection_with_result(a, park.id, tenant.id)
    second, _ = inspection_with_result(a, park.id, other.id)
    with a.transaction() as session:
        notice = Notice(number="平经信安整〔2026〕A07-0001号", kind="rectification", park_id=park.id,
                        tenant_id=tenant.id, device_block="A07", year=2026, sequence=1, content_json="{}",
                        content_sha256="0" * 64)
        session.add(notice)
    sync_once(a, url, token_a)
    sync_once(b, url, token_b)

    now[0] += 1  # the planted changes: a millisecond after a's writes
    refused = [
        evil_update(1, "tenant", tenant.id, {"name": None}, {"name": tenant.hlc}, millis=now[0]),  # NOT NULL
        evil_update(2, "check_result", first_result.id, {"inspection_id": second.id}, millis=now[0]),  # unique
        evil_update(3, "inspection", first.id, {"finished_at": "2026-12-06T10:00:00"}, millis=now[0]),  # no zone
        evil_update(4, "notice", notice.id, {"number": "假的"}, millis=now[0]),  # append-only
        evil_update(5, "tenant", tenant.id, {"no_such_field": 1}, millis=now[0]),  # not in the wire format
    ]
    plant(app, refused, park.id)
    # Later edits of the same rows and of another row, made after the refused ones.
    now[0] += 1
    edit(a, Tenant, tenant.id, name="后来的名字")
    edit(a, Inspection, first.id, summary="复查后补充")
    edit(a, Tenant, other.id, headcount=99)

    summary_a = sync_once(a, url, token_a)  # a pulls the planted changes too
    summary_b = sync_once(b, url, token_b)
    assert (summary_a.set_aside, summary_b.set_aside) == (5, 5)
    assert "5" in summary_line(summary_b)

    for store in (a, b):
        assert rows(store, Tenant, id=tenant.id)[0].name == "后来的名字"
        assert rows(store, Inspection, id=first.id)[0].summary == "复查后补充"
        assert rows(store, Inspection, id=first.id)[0].finished_at is None
        assert rows(store, Tenant, id=other.id)[0].headcount == 99
        assert rows(store, CheckResult, id=first_result.id)[0].inspection_id == first.id
        assert rows(store, Notice)[0].number == notice.number
        with store.read_connection() as conn:
            problems = [r[0] for r in conn.execute(
                "SELECT problem FROM applied_change WHERE origin_device = ? ORDER BY device_seq", (EVIL,))]
            pulled = conn.execute("SELECT pulled_seq FROM sync_state").fetchone()[0]
        # The wire rules (sync/protocol.py) refuse the first, third and fifth before the merge;
        # the database the second; the merge's append-only rule the fourth.
        kinds = ["format: not_null:", "unique:", "format: no_time_zone:", "append_only:", "format: unknown_field:"]
        assert [p[:len(k)] for p, k in zip(problems, kinds, strict=True)] == kinds
        assert pulled == hub_newest(app)  # the cursor moved past every refused change
    assert synced_rows(a) == synced_rows(b)

    # Syncing again changes nothing and stays quiet; the CLI's --json counts what is set aside.
    capsys.readouterr()
    assert main(["--db", str(b.path), "sync", "--hub", url, "--token", token_b, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["pulled"], out["set_aside"], out["set_aside_total"]) == (0, 0, 5)


def test_a_refused_null_name_leaves_the_field_clock_so_a_later_name_applies(devices):
    a, b = devices.new("a"), devices.new("b")
    park = make_park(a)
    tenant = make_tenant(a, park.id)
    from inspect_app.sync.changes import outbox_page

    apply_page(b, outbox_page(a, 0, 100))
    bad = evil_update(1, "tenant", tenant.id, {"name": None}, {"name": tenant.hlc})
    assert apply_page(b, [bad]).kept == 1
    with b.read_connection() as conn:
        clocks = conn.execute("SELECT clocks FROM row_version WHERE row_id = ?", (tenant.id,)).fetchone()
    assert clocks is None or "name" not in json.loads(clocks[0])  # the refused stamp is not recorded
    edit(a, Tenant, tenant.id, name="乙")
    later = outbox_page(a, 0, 100)[-2:]  # the update and its audit event
    assert apply_page(b, later).applied == 2
    assert rows(b, Tenant)[0].name == "乙"


def test_a_first_sync_takes_tenants_a_hub_kept_before_the_table_gained_columns(served_hub, devices):
    """A hub's ready rows (`row_state.snapshot`) written before device migration 0007 added
    tenant.merged_into and distinct_code have two values fewer than the page's columns: the new
    device merges those tenants from their changes instead of failing its first sync."""
    from inspect_app.hub.storage import row_state

    app, url = served_hub
    a, fresh = devices.new("a"), devices.new("fresh")
    token_a, token_fresh = enrol_device(app.state.engine, "a")[1], enrol_device(app.state.engine, "fresh")[1]
    park = make_park(a)
    make_tenant(a, park.id, 1)
    make_tenant(a, park.id, 2)
    sync_once(a, url, token_a)
    with app.state.engine.begin() as conn:
        for row_id, text in conn.execute(select(row_state.c.row_id, row_state.c.snapshot)
                                         .where(row_state.c.table_name == "tenant")).all():
            old = json.loads(text)
            old[4] = old[4][:-2]  # as written when the tenant had two columns fewer
            conn.execute(row_state.update().where((row_state.c.table_name == "tenant") & (row_state.c.row_id == row_id))
                         .values(snapshot=json.dumps(old, ensure_ascii=False)))
    summary = sync_once(fresh, url, token_fresh)
    assert summary.set_aside == 0
    assert synced_rows(fresh) == synced_rows(a)
