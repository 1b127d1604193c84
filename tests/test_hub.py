"""The sync hub (inspect_app/hub): enrolment, push, pull, park scoping, auth, limits, attachments.

Every test runs against a SQLite hub and a PostgreSQL hub (a throwaway server, tests/postgres.py;
skipped with the reason where PostgreSQL is not installed, a failure under CI). Requests go through
httpx's ASGI transport; one test talks to a real uvicorn server on loopback. The changes pushed
are real outbox entries of device databases (db.store.Store), not hand-made dicts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

import inspect_app
from db.clock import wall_clock_ms
from db.models import CheckResult, Hazard, Inspection, Inspector, Park, RectificationItem, Tenant
from db.store import Store
from inspect_app.hub.app import create_app
from inspect_app.hub.push import RowCache
from inspect_app.hub.storage import attachment, change, device, enrol_device, revoke_device, row_state
from tests.conftest import make_credit_code
from tests.hub_server import serve
from tests.new_files import new_device_file

# A stamp of the near future: within the hub's allowed clock skew.
LATE_MS = wall_clock_ms() + 60_000

API = "/api/v1"


@pytest.fixture
def hub(hub_url):
    app = create_app(hub_url)
    yield app
    app.state.engine.dispose()


def client(app, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub", headers=headers)


def enrol(app, name: str, parks: list[str] | None = None) -> str:
    return enrol_device(app.state.engine, name, parks)[1]


# --- device databases and their outboxes --------------------------------------------------------


def open_device(tmp_path, name: str, now_ms=wall_clock_ms) -> Store:
    path = tmp_path / f"{name}.db"
    if not path.exists():  # a new device (Store.open gives it its own id); an existing one is opened again
        new_device_file(path)
    return Store.open(path, now_ms=now_ms)


class SteppingClock:
    """A machine clock shared by the devices of a test that moves on 1 ms at every reading: a write
    made after another is stamped later, without sleeping for the wall clock to tick."""

    def __init__(self):
        self.ms = wall_clock_ms()

    def __call__(self) -> int:
        self.ms += 1
        return self.ms


def outbox(store: Store, after: int = 0) -> list[dict]:
    """This device's change log as wire changes (docs/SYNC.md)."""
    with store.connect() as conn:
        rows = conn.execute("SELECT seq, device_id, table_name, row_id, op, hlc, actor_id, payload "
                            "FROM change_log WHERE seq > ? ORDER BY seq", (after,)).fetchall()
    return [{"device_id": device_id, "device_seq": seq, "table": table, "row_id": row_id, "op": op, "hlc": hlc,
             "actor_id": actor, "payload": json.loads(payload), "base": {}}
            for seq, device_id, table, row_id, op, hlc, actor, payload in rows]


def copy_device(store: Store, tmp_path, name: str, now_ms=wall_clock_ms) -> tuple[Store, int]:
    """Another device holding a copy of this one's rows (standing in for a device-side pull), and
    the last change-log seq of the copy: its own changes come after it."""
    store.backup_to(tmp_path / f"{name}.db")
    with Store.open(tmp_path / f"{name}.db").connect() as conn:
        conn.execute("UPDATE local_setting SET value = ? WHERE key = 'device_id'", (name.encode().hex()[:16].ljust(16, "0"),))
        last = conn.execute("SELECT max(seq) FROM change_log").fetchone()[0]
    return Store.open(tmp_path / f"{name}.db", now_ms=now_ms), last


def add_park(store: Store, code: str, n: int = 1) -> dict[str, str]:
    """A park with a tenant, an inspection with a failed item, its hazard and 五落实 item; their ids."""
    with store.transaction() as session:
        park = Park(code=code, name=f"园区{code}", district="平湖市", street="当湖街道", function_type="manufacturing",
                    developer_type="government", land_area_mu=10, floor_area_m2=5000)
        session.add(park)
        session.flush()
        tenant = Tenant(park_id=park.id, name=f"企业{code}", credit_code=make_credit_code(n), rented_area_m2=100,
                        headcount=5, scale="below", lease_use="production")
        session.add(tenant)
        session.flush()
        inspection = Inspection(park_id=park.id, tenant_id=tenant.id, template_id="fire_safety", template_version="1")
        session.add(inspection)
        session.flush()
        # With its own copy of the item, as results were written before checklist_item (every result
        # carries one or names an item: `parkinspect check`).
        result = CheckResult(inspection_id=inspection.id, item_code="A01", outcome="fail", category="消防设施",
                             item_text="灭火器配置符合要求", default_severity="general", major_possible=False)
        session.add(result)
        session.flush()
        hazard = Hazard(park_id=park.id, tenant_id=tenant.id, inspection_id=inspection.id, check_result_id=result.id,
                        location="3号楼", description="灭火器过期", severity="general", found_on=date(2026, 11, 26))
        session.add(hazard)
        session.flush()
        item = RectificationItem(hazard_id=hazard.id, measures="更换灭火器")
        session.add(item)
    return {"park": park.id, "tenant": tenant.id, "inspection": inspection.id, "check_result": result.id,
            "hazard": hazard.id, "rectification_item": item.id}


def add_inspector(store: Store, name: str) -> str:
    with store.transaction() as session:
        inspector = Inspector(name=name, id_number="330482199001011234", agency="平湖市消防救援大队")
        session.add(inspector)
    return inspector.id


def rename_tenant(store: Store, tenant_id: str, name: str) -> None:
    with store.transaction() as session:
        session.get(Tenant, tenant_id).name = name


def count(app, table=change) -> int:
    with app.state.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


async def push(app, token: str, changes: list[dict]) -> httpx.Response:
    async with client(app, token) as http:
        return await http.post(f"{API}/push", json={"changes": changes})


async def pull_all(app, token: str, limit: int = 1000) -> list[dict]:
    pulled, after = [], 0
    async with client(app, token) as http:
        while True:
            page = (await http.get(f"{API}/changes", params={"after": after, "limit": limit})).json()
            pulled += page["changes"]
            after = page["next_after"]
            if not page["has_more"]:
                return pulled


# --- push and pull --------------------------------------------------------------------------------


async def test_a_pushed_change_reaches_another_device_but_not_its_maker(hub, tmp_path):
    laptop_a, laptop_b = open_device(tmp_path, "a"), open_device(tmp_path, "b")
    token_a, token_b = enrol(hub, "laptop-a"), enrol(hub, "laptop-b")
    ids = add_park(laptop_a, "PH-001")
    inspector = add_inspector(laptop_b, "李明")
    sent_a, sent_b = outbox(laptop_a), outbox(laptop_b)

    answer = await push(hub, token_a, sent_a)
    assert answer.status_code == 200
    assert answer.json() == {"acked_through": sent_a[-1]["device_seq"], "rejected": []}
    assert (await push(hub, token_b, sent_b)).json()["rejected"] == []

    got_b = await pull_all(hub, token_b)
    assert [(c["device_id"], c["device_seq"]) for c in got_b] == [(laptop_a.device_id, c["device_seq"]) for c in sent_a]
    assert [c["payload"] for c in got_b] == [c["payload"] for c in sent_a]
    assert {c["row_id"] for c in got_b} >= set(ids.values())
    assert all(isinstance(c["seq"], int) for c in got_b)
    got_a = await pull_all(hub, token_a)
    assert [c["row_id"] for c in got_a if c["table"] == "inspector"] == [inspector]
    assert {c["device_id"] for c in got_a} == {laptop_b.device_id}

    async with client(hub, token_a) as http:
        me = (await http.get(f"{API}/me")).json()
    assert abs(me.pop("now_ms") - time.time() * 1000) < 60_000  # the hub's clock: devices correct theirs
    hub_id = me.pop("hub_id")
    assert len(hub_id) == 32 and int(hub_id, 16) >= 0
    assert me == {"name": "laptop-a", "device_id": laptop_a.device_id, "parks": [],
                  "last_device_seq": sent_a[-1]["device_seq"], "epoch": 1, "acked_seq": sent_a[-1]["device_seq"],
                  "notice_block": "H001", "agency_root": None}
    with hub.state.engine.connect() as conn:
        state = conn.execute(select(row_state).where(row_state.c.row_id == ids["rectification_item"])).one()
    assert state.park_id == ids["park"]
    laptop_a.close()
    laptop_b.close()


async def test_the_same_batch_twice_is_stored_once_and_acknowledged_the_same(hub, tmp_path):
    laptop = open_device(tmp_path, "a")
    token = enrol(hub, "laptop-a")
    add_park(laptop, "PH-001")
    sent = outbox(laptop)
    first = (await push(hub, token, sent)).json()
    stored = count(hub)
    second = (await push(hub, token, sent)).json()
    assert second == first == {"acked_through": sent[-1]["device_seq"], "rejected": []}
    assert count(hub) == stored == len(sent)
    # A batch that overlaps the last one (a cut after the hub committed) adds only the new ones.
    rename_tenant(laptop, outbox(laptop)[1]["row_id"], "新名称有限公司")
    more = outbox(laptop)
    third = (await push(hub, token, more[-5:])).json()
    assert third["acked_through"] == more[-1]["device_seq"]
    assert count(hub) == len(more)
    # An empty push tells the device where the hub is.
    assert (await push(hub, token, [])).json() == {"acked_through": more[-1]["device_seq"], "rejected": []}
    laptop.close()


async def test_pages_follow_the_cursor_without_gaps_or_repeats(hub, tmp_path):
    laptop = open_device(tmp_path, "a")
    token_a, token_b = enrol(hub, "laptop-a"), enrol(hub, "laptop-b")
    for n in range(3):
        add_park(laptop, f"PH-00{n}", n)
    sent = outbox(laptop)
    await push(hub, token_a, sent)
    async with client(hub, token_b) as http:
        first = (await http.get(f"{API}/changes", params={"after": 0, "limit": 4})).json()
        assert len(first["changes"]) == 4 and first["has_more"] is True
        assert first["next_after"] == first["changes"][-1]["seq"]
        assert (await http.get(f"{API}/changes", params={"limit": 1001})).status_code == 422
        assert (await http.get(f"{API}/changes", params={"after": -1})).status_code == 422
    pages = await pull_all(hub, token_b, limit=4)
    assert [c["device_seq"] for c in pages] == [c["device_seq"] for c in sent]
    seqs = [c["seq"] for c in pages]
    assert seqs == sorted(set(seqs))
    async with client(hub, token_b) as http:
        last = (await http.get(f"{API}/changes", params={"after": seqs[-1]})).json()
        check = last.pop("check")
        again = await http.get(f"{API}/changes", params={"after": seqs[-1], "check": check})
        wrong = await http.get(f"{API}/changes", params={"after": seqs[-1], "check": "0" * 24})
    assert last == {"changes": [], "next_after": seqs[-1], "has_more": False}
    assert again.status_code == 200 and again.json()["check"] == check
    assert wrong.status_code == 409 and wrong.json()["detail"]["code"] == "history_changed"
    laptop.close()


async def test_greater_clock_wins_each_field_whatever_the_push_order(hub, tmp_path):
    clock = SteppingClock()
    laptop_a, laptop_b = open_device(tmp_path, "a", clock), open_device(tmp_path, "b", clock)
    token_a, token_b = enrol(hub, "laptop-a"), enrol(hub, "laptop-b")
    ids = add_park(laptop_a, "PH-001")
    await push(hub, token_a, outbox(laptop_a))
    laptop_b.close()
    laptop_b, done_b = copy_device(laptop_a, tmp_path, "b2", clock)
    done_a = outbox(laptop_a)[-1]["device_seq"]
    rename_tenant(laptop_a, ids["tenant"], "甲改的名称")
    rename_tenant(laptop_b, ids["tenant"], "乙后改的名称")
    await push(hub, token_b, outbox(laptop_b, done_b))  # the later edit arrives first
    await push(hub, token_a, outbox(laptop_a, done_a))
    with hub.state.engine.connect() as conn:
        state = RowCache(conn).get("tenant", ids["tenant"])  # as the push reads it (stored compactly)
    assert state.values["name"] == "乙后改的名称"
    assert state.field_hlcs["name"].endswith(laptop_b.device_id)
    laptop_a.close()
    laptop_b.close()


async def test_refused_changes_are_reported_and_not_written_the_rest_applied(hub, tmp_path):
    laptop = open_device(tmp_path, "a")
    token = enrol(hub, "laptop-a")
    add_park(laptop, "PH-001")
    sent = outbox(laptop)
    device_id, last = laptop.device_id, sent[-1]["device_seq"]
    notice_insert = next(c for c in sent if c["table"] == "audit_event")  # an append-only row

    def bad(seq: int, **fields) -> dict:
        return {**sent[0], "device_seq": seq, "hlc": f"{LATE_MS}.00000.{device_id}", **fields}

    refused = [
        bad(last + 1, table="no_such_table"),
        bad(last + 2, payload={"not_a_column": 1}),
        bad(last + 3, hlc=f"{LATE_MS}.00000.someoneelse"),
        {**notice_insert, "device_seq": last + 4, "op": "update", "payload": {"action": "forged"},
         "hlc": f"{LATE_MS}.00001.{device_id}"},
        bad(last + 5, row_id="0192aaaa-0000-7000-8000-000000000000"),  # payload id differs
    ]
    answer = (await push(hub, token, sent + refused)).json()
    assert answer["acked_through"] == last + 5
    assert [(r["device_seq"], r["code"]) for r in answer["rejected"]] == [
        (last + 1, "unknown_table"), (last + 2, "unknown_field"), (last + 3, "bad_hlc"),
        (last + 4, "append_only"), (last + 5, "bad_row")]
    assert all(r["message"] for r in answer["rejected"])
    assert count(hub) == len(sent)
    with hub.state.engine.connect() as conn:
        audit = RowCache(conn).get("audit_event", notice_insert["row_id"])
    assert audit.values["action"] != "forged"
    laptop.close()


# --- park scoping ---------------------------------------------------------------------------------


async def test_a_device_limited_to_a_park_sees_only_that_park_and_shared_rows(hub, tmp_path):
    office = open_device(tmp_path, "office")
    token_office = enrol(hub, "office")
    p = add_park(office, "PH-P", 1)
    q = add_park(office, "PH-Q", 2)
    inspector = add_inspector(office, "李明")
    await push(hub, token_office, outbox(office))
    field, copied = copy_device(office, tmp_path, "field")
    token_field = enrol(hub, "field", ["PH-P"])  # by code; the hub stores the park's id
    async with client(hub, token_field) as http:
        assert (await http.get(f"{API}/me")).json()["parks"] == [p["park"]]

    pulled = await pull_all(hub, token_field, limit=3)
    rows = {c["row_id"] for c in pulled}
    assert set(p.values()) <= rows
    assert not set(q.values()) & rows
    assert inspector in rows
    audit_rows = [c for c in pulled if c["table"] == "audit_event"]
    assert audit_rows and all(c["payload"]["row_id"] not in q.values() for c in audit_rows)
    everything = await pull_all(hub, enrol(hub, "county"))
    assert set(q.values()) <= {c["row_id"] for c in everything}

    # Writing into another park is refused; into its own park accepted; a row whose park the hub
    # cannot tell (its parent never reached the hub) is refused from a park-limited device, and
    # taken from a device with every park but held back from park-limited ones.
    template = next(c for c in outbox(office) if c["table"] == "check_result")

    def orphan(store: Store, seq: int, row_id: str) -> dict:
        payload = {**template["payload"], "id": row_id, "inspection_id": "0192aaaa-0000-7000-8000-00000000dead"}
        return {**template, "device_id": store.device_id, "device_seq": seq, "row_id": row_id,
                "hlc": f"{LATE_MS}.00000.{store.device_id}", "payload": payload}

    answer = (await push(hub, token_field, [orphan(field, 9000, "0192aaaa-0000-7000-8000-000000000001")])).json()
    assert [r["code"] for r in answer["rejected"]] == ["unknown_parent"]
    answer = (await push(hub, token_office, [orphan(office, 9000, "0192aaaa-0000-7000-8000-000000000002")])).json()
    assert answer["rejected"] == []
    assert "0192aaaa-0000-7000-8000-000000000002" not in {c["row_id"] for c in await pull_all(hub, token_field)}
    with field.transaction() as session:
        mine = Tenant(park_id=p["park"], name="新企业", credit_code=make_credit_code(7), rented_area_m2=50,
                      headcount=3, scale="below", lease_use="production")
        theirs = Tenant(park_id=q["park"], name="越权企业", credit_code=make_credit_code(8), rented_area_m2=50,
                        headcount=3, scale="below", lease_use="production")
        session.add_all([mine, theirs])
    answer = (await push(hub, token_field, outbox(field, copied))).json()
    assert [r["code"] for r in answer["rejected"]] == ["park_not_assigned"]
    with hub.state.engine.connect() as conn:
        held = {r.row_id for r in conn.execute(select(row_state.c.row_id).where(row_state.c.table_name == "tenant"))}
    assert mine.id in held and theirs.id not in held
    office.close()
    field.close()


async def test_attachments_of_other_parks_are_not_served_to_a_limited_device(hub, tmp_path):
    from inspect_app.services.attachments import attach_file
    from tests.images import image_bytes

    office = open_device(tmp_path, "office")
    token_office = enrol(hub, "office")
    p, q = add_park(office, "PH-P", 1), add_park(office, "PH-Q", 2)
    photo_p, photo_q = tmp_path / "p.jpg", tmp_path / "q.jpg"
    photo_p.write_bytes(image_bytes("JPEG", seed=1))
    photo_q.write_bytes(image_bytes("JPEG", seed=2))
    sha_p = attach_file(office, path=photo_p, owner_table="hazard", owner_id=p["hazard"], strip_metadata=False)
    sha_q = attach_file(office, path=photo_q, owner_table="hazard", owner_id=q["hazard"], strip_metadata=False)
    async with client(hub, token_office) as http:
        for path in (photo_p, photo_q):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert (await http.put(f"{API}/attachments/{digest}", content=path.read_bytes())).status_code == 201
    sent = outbox(office)
    # The first attachment row arrives in one push, its link in the next: the row gets its park then.
    cut = next(i for i, c in enumerate(sent) if c["table"] == "attachment") + 1
    assert sent[cut:] and all(c["table"] != "attachment_link" for c in sent[:cut])
    await push(hub, token_office, sent[:cut])
    await push(hub, token_office, sent[cut:])
    token_field = enrol(hub, "field", ["PH-P"])
    pulled = await pull_all(hub, token_field)
    shas = {c["payload"].get("sha256") for c in pulled if c["table"] == "attachment"}
    assert shas == {sha_p}
    async with client(hub, token_field) as http:
        assert (await http.get(f"{API}/attachments/{sha_p}")).content == photo_p.read_bytes()
        assert (await http.get(f"{API}/attachments/{sha_q}")).status_code == 404
    office.close()


# --- authentication -------------------------------------------------------------------------------


async def test_every_endpoint_but_health_refuses_missing_forged_and_revoked_tokens(hub, tmp_path):
    token = enrol(hub, "laptop-a")
    sha = "0" * 64
    calls = [("GET", f"{API}/me", None), ("POST", f"{API}/push", {"changes": []}),
             ("GET", f"{API}/changes", None), ("HEAD", f"{API}/attachments/{sha}", None),
             ("PUT", f"{API}/attachments/{sha}", None), ("GET", f"{API}/attachments/{sha}", None)]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for headers in ({}, {"Authorization": f"Bearer {forged}"}, {"Authorization": f"Basic {token}"},
                    {"Authorization": "Bearer "}):
        async with client(hub) as http:
            for method, path, body in calls:
                answer = await http.request(method, path, json=body, headers=headers)
                assert answer.status_code == 401, (method, path, headers)
    async with client(hub) as http:
        assert (await http.get(f"{API}/health")).json() == {"status": "ok"}
    async with client(hub, token) as http:
        assert (await http.get(f"{API}/me")).status_code == 200
        revoke_device(hub.state.engine, "laptop-a")
        assert (await http.get(f"{API}/me")).status_code == 401
        assert (await http.post(f"{API}/push", json={"changes": []})).status_code == 401
    with hub.state.engine.connect() as conn:
        kept = conn.execute(select(device.c.token_sha256)).scalars().all()
    assert kept == [hashlib.sha256(token.encode()).hexdigest()]  # the hash is kept, never the token


async def test_a_device_cannot_push_another_devices_changes(hub, tmp_path):
    laptop_a, laptop_b = open_device(tmp_path, "a"), open_device(tmp_path, "b")
    token_a, token_b = enrol(hub, "laptop-a"), enrol(hub, "laptop-b")
    add_park(laptop_a, "PH-001")
    add_park(laptop_b, "PH-002", 2)
    sent_a, sent_b = outbox(laptop_a), outbox(laptop_b)
    assert (await push(hub, token_a, sent_a[:2])).status_code == 200  # A's token is now held to A's id
    assert count(hub) == 2
    assert (await push(hub, token_a, sent_b)).status_code == 403
    assert (await push(hub, token_a, sent_a[2:] + sent_b[:1])).status_code == 403  # mixed batch: nothing
    assert (await push(hub, token_b, sent_a[2:])).status_code == 403  # B cannot take A's id either
    assert count(hub) == 2
    assert (await push(hub, token_b, sent_b)).status_code == 200
    laptop_a.close()
    laptop_b.close()


# --- limits and malformed requests ----------------------------------------------------------------


async def test_oversized_and_malformed_pushes_are_refused_and_write_nothing(hub_url, tmp_path):
    app = create_app(hub_url, max_body_bytes=20_000)
    laptop = open_device(tmp_path, "a")
    token = enrol(app, "laptop-a")
    add_park(laptop, "PH-001")
    sent = outbox(laptop)
    big = {**sent[0], "payload": {**sent[0]["payload"], "name": "x" * 30_000}}
    async with client(app, token) as http:
        assert (await http.post(f"{API}/push", json={"changes": [big]})).status_code == 413

        async def chunks():  # no Content-Length: the limit applies while reading
            body = json.dumps({"changes": [big]}).encode()
            for start in range(0, len(body), 4096):
                yield body[start:start + 4096]

        assert (await http.post(f"{API}/push", content=chunks(),
                                headers={"Content-Type": "application/json"})).status_code == 413
        malformed = [b"{not json", b"[]", b'{"changes": "all"}', json.dumps({"changes": [{**sent[0], "op": "merge"}]}),
                     json.dumps({"changes": [{**sent[0], "device_seq": "one"}]}),
                     json.dumps({"changes": [{k: v for k, v in sent[0].items() if k != "row_id"}]}),
                     json.dumps({"changes": [{**sent[0], "row_id": "bad\u0000id"}]}),
                     json.dumps({"changes": [sent[0]], "extra": 1})]
        for body in malformed:
            answer = await http.post(f"{API}/push", content=body, headers={"Content-Type": "application/json"})
            assert answer.status_code == 422, body
    assert count(app) == 0
    app.state.engine.dispose()
    laptop.close()


async def test_more_than_500_changes_in_one_push_is_refused(hub, tmp_path):
    laptop = open_device(tmp_path, "a")
    token = enrol(hub, "laptop-a")
    add_park(laptop, "PH-001")
    first = outbox(laptop)[0]
    changes = [{**first, "device_seq": n} for n in range(1, 502)]
    assert (await push(hub, token, changes)).status_code == 422
    assert count(hub) == 0
    laptop.close()


async def test_attachments_are_stored_by_hash_and_a_mismatch_is_refused(hub_url):
    app = create_app(hub_url, max_attachment_bytes=1000)
    token = enrol(app, "laptop-a")
    content = b"\xff\xd8\xff photo bytes"
    sha = hashlib.sha256(content).hexdigest()
    async with client(app, token) as http:
        assert (await http.head(f"{API}/attachments/{sha}")).status_code == 404
        wrong = await http.put(f"{API}/attachments/{sha}", content=content + b"!")
        assert wrong.status_code == 422
        assert (await http.head(f"{API}/attachments/{sha}")).status_code == 404
        stored = await http.put(f"{API}/attachments/{sha}", content=content)
        assert stored.status_code == 201 and stored.json() == {"sha256": sha, "size": len(content), "created": True}
        again = await http.put(f"{API}/attachments/{sha}", content=content)
        assert again.status_code == 200 and again.json()["created"] is False
        assert (await http.head(f"{API}/attachments/{sha}")).status_code == 200
        assert (await http.get(f"{API}/attachments/{sha}")).content == content
        big = b"x" * 1001
        assert (await http.put(f"{API}/attachments/{hashlib.sha256(big).hexdigest()}", content=big)).status_code == 413
        assert (await http.get(f"{API}/attachments/{sha.upper()}")).status_code == 422
    assert count(app, attachment) == 1
    app.state.engine.dispose()


async def test_a_device_over_its_rate_is_told_to_wait(hub_url):
    app = create_app(hub_url, rate_per_second=0.01, burst=3)
    token = enrol(app, "laptop-a")
    async with client(app, token) as http:
        codes = [(await http.get(f"{API}/me")).status_code for _ in range(4)]
        limited = await http.get(f"{API}/me")
    assert codes == [200, 200, 200, 429]
    assert int(limited.headers["Retry-After"]) >= 1
    async with client(app, enrol(app, "laptop-b")) as http:
        assert (await http.get(f"{API}/me")).status_code == 200  # per device
    app.state.engine.dispose()


# --- schema, logs, real HTTP ----------------------------------------------------------------------


async def test_the_openapi_schema_lists_every_endpoint(hub):
    async with client(hub) as http:
        schema = (await http.get("/openapi.json")).json()
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert operations == {(f"{API}/health", "get"), (f"{API}/me", "get"), (f"{API}/push", "post"),
                          (f"{API}/changes", "get"), (f"{API}/attachments/{{sha256}}", "head"),
                          (f"{API}/attachments/{{sha256}}", "put"), (f"{API}/attachments/{{sha256}}", "get"),
                          (f"{API}/snapshot", "get"), (f"{API}/snapshot/changes", "post"),
                          (f"{API}/checkpoints", "post"), (f"{API}/agency/enrol", "post"),
                          (f"{API}/agency/root", "get"), (f"{API}/agency/crl", "get")}
    assert {"PushRequest", "PushResponse", "ChangesPage", "WireChange", "Me", "SnapshotPage", "RowChangesRequest"} <= set(
        schema["components"]["schemas"])
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert schema["info"]["version"] == inspect_app.__version__  # pyproject.toml's, written there only


async def test_no_token_reaches_the_logs(hub, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    laptop = open_device(tmp_path, "a")
    token = enrol(hub, "laptop-a")
    other = enrol(hub, "laptop-b")
    add_park(laptop, "PH-001")
    await push(hub, token, outbox(laptop))
    await push(hub, other, outbox(laptop))  # refused: another device's changes
    await pull_all(hub, other)
    revoke_device(hub.state.engine, "laptop-b")
    async with client(hub, other) as http:
        await http.get(f"{API}/me")
    async with client(hub, token[::-1]) as http:
        await http.get(f"{API}/me")
    assert caplog.records, "the hub logs what it does"
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in (token, other, token[::-1]):
        assert secret not in text
    assert "Bearer" not in text
    laptop.close()



def test_a_real_uvicorn_server_on_loopback_serves_push_and_pull(hub, tmp_path):
    laptop = open_device(tmp_path, "a")
    token_a, token_b = enrol(hub, "laptop-a"), enrol(hub, "laptop-b")
    add_park(laptop, "PH-001")
    sent = outbox(laptop)
    with serve(hub) as base:
        assert httpx.get(f"{base}{API}/health").json() == {"status": "ok"}
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token_a}"}) as http:
            assert http.post(f"{API}/push", json={"changes": sent}).json()["rejected"] == []
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token_b}"}) as http:
            page = http.get(f"{API}/changes", params={"limit": 1000}).json()
        assert [c["device_seq"] for c in page["changes"]] == [c["device_seq"] for c in sent]
        assert httpx.get(f"{base}{API}/me").status_code == 401
    laptop.close()


def test_without_postgresql_the_tests_skip_except_where_it_is_required(monkeypatch):
    from tests import postgres

    monkeypatch.delenv(postgres.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="not found"):
        postgres._unavailable("PostgreSQL's initdb/pg_ctl not found")
    monkeypatch.setenv(postgres.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="requires PostgreSQL"):
        postgres._unavailable("PostgreSQL's initdb/pg_ctl not found")


async def test_a_tombstone_merges_like_a_field_and_edits_still_land_in_the_deleted_row(hub, tmp_path):
    clock = SteppingClock()
    laptop_a = open_device(tmp_path, "a", clock)
    token_a, token_b = enrol(hub, "laptop-a"), enrol(hub, "laptop-b")
    ids = add_park(laptop_a, "PH-001")
    await push(hub, token_a, outbox(laptop_a))
    laptop_b, done_b = copy_device(laptop_a, tmp_path, "b2", clock)
    done_a = outbox(laptop_a)[-1]["device_seq"]
    with laptop_b.transaction() as session:
        session.get(Tenant, ids["tenant"]).deleted = True
    rename_tenant(laptop_a, ids["tenant"], "删除后仍改名")
    await push(hub, token_a, outbox(laptop_a, done_a))
    deletes = outbox(laptop_b, done_b)
    assert [c["op"] for c in deletes if c["table"] == "tenant"] == ["delete"]
    assert (await push(hub, token_b, deletes)).json()["rejected"] == []
    with hub.state.engine.connect() as conn:
        state = RowCache(conn).get("tenant", ids["tenant"])
    assert state.deleted is True
    assert state.values["name"] == "删除后仍改名"
    laptop_a.close()
    laptop_b.close()
