"""Clocks that cannot be poisoned (docs/SYNC.md, "Clocks").

The counter never grows a sixth digit; a device's clock restarts past the numeric max of what it
made and saw; the hub refuses stamps too far ahead of its clock (`clock_ahead`) and tells its time
in /me; a device corrects its clock from it and re-stamps what it has not sent; a stamp far ahead
that comes by bundle is set aside instead of moving the clock. Devices' wall clocks are injected
(`Store.open(path, now_ms=...)`); the hub runs on loopback HTTP.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from db.clock import MAX_COUNTER, HybridClock, format_stamp, is_valid, parse, wall_clock_ms
from db.models import Conflict, Park, Tenant
from db.store import Store
from forms.i18n import t
from inspect_app.hub.app import create_app
from inspect_app.hub.storage import enrol_device, row_state
from inspect_app.sync.apply import apply_page
from inspect_app.sync.client import summary_line, sync_once, tls_context
from tests.hub_server import serve
from tests.new_files import new_sqlite_hub
from tests.sync_helpers import synced_rows
from tests.test_sync_merge import edit, make_park, make_tenant, outbox_page, rows

HOUR = 3_600_000
API = "/api/v1"


def stamps(store: Store) -> list[str]:
    with store.read_connection() as conn:
        return [row[0] for row in conn.execute("SELECT hlc FROM change_log ORDER BY seq")]


def inbox_problems(store: Store) -> list[str | None]:
    with store.read_connection() as conn:
        return [row[0] for row in conn.execute("SELECT problem FROM applied_change ORDER BY device_seq")]


def rejected(store: Store) -> list[str]:
    with store.read_connection() as conn:
        return [row[0] for row in conn.execute("SELECT code FROM rejected_change")]


@pytest.fixture
def hub(tmp_path):
    app = create_app(new_sqlite_hub(tmp_path / "hub.db"))
    with serve(app) as url:
        app.state.url = url
        yield app


def token_for(app, name: str) -> str:
    return enrol_device(app.state.engine, name)[1]


# --- the clock itself ----------------------------------------------------------------------------


def test_the_counter_moves_to_the_next_millisecond_instead_of_growing_a_digit():
    clock = HybridClock("dev", now_ms=lambda: 1_764_000_000_000)  # a wall clock that stands still
    made = [clock.tick() for _ in range(MAX_COUNTER + 3)]
    assert all(is_valid(s, "dev") for s in made)
    assert made == sorted(made) and len(set(made)) == len(made)
    assert [parse(s)[:2] for s in made[-3:]] == [(1_764_000_000_000, MAX_COUNTER), (1_764_000_000_001, 0),
                                                 (1_764_000_000_001, 1)]


def test_a_device_restarts_past_the_numeric_max_not_the_string_max(devices):
    # A file written before the width was enforced: its own last stamp has a six-digit counter, the
    # newest applied one five. As strings the applied one is greater: the clock restarted there and
    # re-made the device's own stamp, so two values carried one stamp and devices kept different ones.
    now = 1_764_000_000_000
    a = devices.new("a", now_ms=lambda: now)
    park = make_park(a)
    other = format_stamp(now, MAX_COUNTER, "0" * 16)
    with a.connect() as conn:
        own = f"{now:013d}.100000.{a.device_id}"
        conn.execute("UPDATE change_log SET hlc = ? WHERE seq = (SELECT max(seq) FROM change_log)", (own,))
        conn.execute("INSERT INTO applied_change (origin_device, device_seq, table_name, row_id, op, hlc, payload, "
                     "applied_at) VALUES (?, 1, 'park', ?, 'update', ?, '{}', '2026-01-01')",
                     ("0" * 16, park.id, other))
    reopened = Store.open(a.path, now_ms=lambda: now)
    devices.opened.append(reopened)
    edit(reopened, Park, park.id, name="之后")
    after = stamps(reopened)[-2]  # the update (its audit event follows)
    assert after not in (own, other)
    assert parse(after)[:2] > (now, 100_000)
    assert is_valid(after)


def test_a_stamp_far_ahead_from_a_bundle_is_set_aside_and_does_not_move_the_clock(devices):
    a, b = devices.new("a"), devices.new("b")
    park = make_park(a)
    apply_page(b, outbox_page(a, 0, 100))
    year_2286 = format_stamp(9_999_999_999_999, 0, a.device_id)
    forged = {**outbox_page(a, 0, 1)[0], "device_seq": 500, "op": "update", "hlc": year_2286,
              "payload": {"name": "未来"}, "base": {}}
    result = apply_page(b, [forged])
    assert result.kept == 1 and result.applied == 0
    assert "clock_ahead" in inbox_problems(b)
    assert [p.name for p in rows(b, Park)] == [park.name]
    edit(b, Park, park.id, name="之后")
    assert abs(parse(stamps(b)[-2])[0] - wall_clock_ms()) < 60_000
    reopened = Store.open(b.path)  # a restart does not observe it either
    devices.opened.append(reopened)
    assert abs(parse(reopened.clock.tick())[0] - wall_clock_ms()) < 60_000
    # Its writer re-stamps it (same device and sequence): the new version replaces the set-aside one.
    fixed = {**forged, "hlc": format_stamp(wall_clock_ms() + 1000, 0, a.device_id)}
    assert apply_page(reopened, [fixed]).applied == 1
    assert [p.name for p in rows(reopened, Park)] == ["未来"]
    assert "clock_ahead" not in inbox_problems(reopened)


# --- the hub's rule --------------------------------------------------------------------------------


def test_the_hub_refuses_stamps_too_far_ahead_and_says_its_time(tmp_path):
    app = create_app(new_sqlite_hub(tmp_path / "hub.db"), max_clock_skew_s=60)
    with serve(app) as url:
        token = token_for(app, "laptop")
        with httpx.Client(base_url=url + API, headers={"Authorization": f"Bearer {token}"}) as http:
            me = http.get("/me").json()
            assert abs(me["now_ms"] - wall_clock_ms()) < 60_000
            template = {"device_id": "d" * 16, "table": "inspector", "op": "insert", "actor_id": None}

            def change(seq: int, millis: int, **extra) -> dict:
                row_id = f"0192aaaa-0000-7000-8000-{seq:012d}"
                return {**template, "device_seq": seq, "row_id": row_id, "hlc": format_stamp(millis, 0, "d" * 16),
                        "payload": {"id": row_id, "name": f"检查员{seq}", "id_number": f"3301{seq}", "agency": "平湖市",
                                    "hlc": format_stamp(millis, 0, "d" * 16), "origin_device": "d" * 16,
                                    "deleted": False, "created_at": "2026-12-06T08:00:00+00:00",
                                    "updated_at": "2026-12-06T08:00:00+00:00"}, **extra}

            now = wall_clock_ms()
            answer = http.post("/push", json={"changes": [
                change(1, 9_999_999_999_999),  # year 2286: accepted before
                change(2, now + 5 * 60_000),  # 5 minutes ahead: over this hub's 60 s
                change(3, now + 10_000),  # within the skew
                change(4, now, op="update", base={"name": format_stamp(now + HOUR, 0, "e" * 16)}),
                change(5, now, op="update", base={"name": "1.2.x"}),
            ]}).json()
    codes = {r["device_seq"]: r["code"] for r in answer["rejected"]}
    assert codes == {1: "clock_ahead", 2: "clock_ahead", 4: "clock_ahead", 5: "bad_hlc"}
    message = next(r["message"] for r in answer["rejected"] if r["device_seq"] == 2)
    assert "hub time" in message and "now_ms=" in message
    with app.state.engine.connect() as conn:
        held = [r.row_id for r in conn.execute(select(row_state.c.row_id))]
    assert held == ["0192aaaa-0000-7000-8000-000000000003"]


def test_hub_serve_takes_max_clock_skew(tmp_path, monkeypatch, capsys):
    import uvicorn

    from inspect_app.cli import main

    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    url = new_sqlite_hub(tmp_path / "hub.db")
    assert main(["hub", "serve", "--db", url, "--max-clock-skew", "90"]) == 0
    assert served[0].state.max_clock_skew_ms == 90_000
    for bad in ("0", "soon", "nan"):
        with pytest.raises(SystemExit) as stopped:
            main(["hub", "serve", "--db", url, "--max-clock-skew", bad])
        assert stopped.value.code == 2 and "--max-clock-skew" in capsys.readouterr().err


# --- a device whose clock is off ------------------------------------------------------------------


def test_a_counter_at_its_last_value_still_syncs(hub, devices):
    now = wall_clock_ms()
    a = devices.new("a", now_ms=lambda: now)  # a wall clock that stands still: only the counter moves
    a.clock.observe(format_stamp(now, MAX_COUNTER - 1, "0" * 16))
    park = make_park(a)
    make_tenant(a, park.id)
    summary = sync_once(a, hub.state.url, token_for(hub, "a"))
    assert summary.rejected == 0 and rejected(a) == []
    assert all(is_valid(s, a.device_id) for s in stamps(a))


class EditDuringPush(httpx.BaseTransport):
    """Real HTTP; just before the first push, `action()` runs (an edit made while the sync runs)."""

    def __init__(self, action):
        self.inner, self.action = httpx.HTTPTransport(verify=tls_context()), action

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/push") and self.action:
            action, self.action = self.action, None
            action()
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_devices_hours_ahead_and_behind_sync_to_the_same_data_with_every_conflict(hub, devices):
    raw = {"a": 0, "fast": 3 * HOUR, "slow": -3 * HOUR}  # each machine's clock error

    def machine(name: str):
        return lambda: wall_clock_ms() + raw[name]

    a, fast, slow = (devices.new(n, now_ms=machine(n)) for n in raw)
    tokens = {n: token_for(hub, n) for n in raw}
    stores = {"a": a, "fast": fast, "slow": slow}

    def sync(name: str, **kwargs):
        return sync_once(stores[name], hub.state.url, tokens[name], **kwargs)

    # fast works offline first: its stamps are 3 hours ahead; its first sync re-stamps them.
    own_park = make_park(fast, "PH-009")
    park = make_park(a)
    tenant = make_tenant(a, park.id)
    sync("a")
    assert max(parse(s)[0] for s in stamps(fast)) > wall_clock_ms() + 2 * HOUR
    summary = sync("fast")
    assert summary.rejected == 0 and summary.restamped == len(stamps(fast))
    assert summary.clock_corrected and abs(summary.clock_offset_ms + 3 * HOUR) < 60_000
    assert t("sync.clock_fast", amount=t("sync.clock_hours", hours="3")) in summary_line(summary)
    assert all(abs(parse(s)[0] - wall_clock_ms()) < 60_000 for s in stamps(fast))
    summary = sync("slow")
    assert summary.clock_corrected and abs(summary.clock_offset_ms - 3 * HOUR) < 60_000
    assert t("sync.clock_slow", amount=t("sync.clock_hours", hours="3")) in summary_line(summary)

    # The same fields edited on all three, synced in several orders.
    edit(slow, Tenant, tenant.id, name="慢", headcount=1)
    edit(fast, Tenant, tenant.id, name="快", headcount=2)
    edit(a, Tenant, tenant.id, name="准")
    writes = {}  # read before the syncs, which prune what the hub has acknowledged
    for store in stores.values():
        for change in outbox_page(store, 0, 10_000):
            if change["row_id"] == tenant.id and change["op"] == "update":
                for field in ("name", "headcount"):
                    if field in change["payload"]:
                        writes.setdefault(field, []).append((change["hlc"], change["payload"][field]))
    for name in ("fast", "slow", "a", "fast", "slow"):
        sync(name)
    edit(a, Tenant, tenant.id, contact_name="王工")
    edit(fast, Park, own_park.id, name="快的园区")
    for name in ("a", "slow", "fast", "a", "slow"):
        sync(name)

    # Later: fast's machine clock jumps 3 more hours ahead while a sync runs (after /me): the edit
    # made then is refused by the hub and sent again as a new entry with a corrected stamp.
    def jump_and_edit():
        raw["fast"] = 6 * HOUR
        edit(fast, Tenant, tenant.id, contact_phone="0573-85123456")

    edit(fast, Park, own_park.id, street="新埭镇")  # something to push, so that the push starts
    summary = sync("fast", transport=EditDuringPush(jump_and_edit))
    assert summary.restamped >= 1 and summary.rejected == 0
    for name in ("a", "slow", "fast", "a", "slow", "fast"):
        sync(name)

    everywhere = [synced_rows(s) for s in stores.values()]
    assert everywhere[0] == everywhere[1] == everywhere[2]
    assert [tn.contact_phone for tn in rows(slow, Tenant) if tn.id == tenant.id] == ["0573-85123456"]
    for store in stores.values():
        assert rejected(store) == []
        held = [row.hlc for model in (Park, Tenant) for row in rows(store, model)]
        assert all(is_valid(s) and parse(s)[0] < wall_clock_ms() + 60_000 for s in held)
        assert max(parse(store.clock.tick())[0] - wall_clock_ms() for _ in range(3)) < 60_000

    # Every expected losing value is kept: of the three names the two with the smaller stamps, of
    # the two headcounts the one with the smaller stamp.
    with a.read() as session:
        conflicts = session.execute(select(Conflict).where(Conflict.row_id == tenant.id)).scalars().all()
    lost = {(c.field, c.losing_value) for c in conflicts}
    names, headcounts = sorted(writes["name"]), sorted(writes["headcount"])
    assert {("name", f'"{value}"') for _, value in names[:-1]} <= lost
    assert ("headcount", str(headcounts[0][1])) in lost
    assert len(lost) == len(names) - 1 + len(headcounts) - 1
    assert [(tn.name, tn.headcount) for tn in rows(a, Tenant) if tn.id == tenant.id] == [
        (names[-1][1], headcounts[-1][1])]
