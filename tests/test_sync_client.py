"""The HTTP sync client (inspect_app/sync/client.py) against the real hub: in-process through
Starlette's test transport, and once over loopback with uvicorn. Faults (503, 429, lost
connections, answers lost after the hub committed) are injected by wrapping the transport; the
back-off sleeps are recorded, not slept."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import anyio.from_thread
import httpx
import pytest
from sqlalchemy import func, select

from db.attachment_files import attachments_dir
from db.models import Park, Tenant
from inspect_app.hub.app import create_app
from inspect_app.hub.storage import attachment, change, enrol_device, revoke_device
from inspect_app.services.attachments import attach_file
from inspect_app.sync import client
from inspect_app.sync.apply import apply_page
from inspect_app.sync.changes import outbox_page, push_cursor
from inspect_app.sync.client import SyncAuthError, SyncNetworkError, sync_once
from tests.hub_server import free_port, serve
from tests.images import JPEG
from tests.new_files import new_sqlite_hub
from tests.test_sync_merge import edit, make_park, make_tenant, snapshot

HUB = "http://hub"


class InProcess(httpx.BaseTransport):
    """A synchronous httpx transport that calls the ASGI app in this process (what sync_once needs;
    httpx's ASGITransport is async only): each request runs on an event loop in a helper thread,
    so it works from plain tests, from threads and beside a running event loop."""

    def __init__(self, app):
        self.asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> httpx.Response:
            response = await self.asgi.handle_async_request(request)
            return httpx.Response(response.status_code, headers=response.headers, content=await response.aread())

        with anyio.from_thread.start_blocking_portal() as portal:
            return portal.call(call)


def in_process_transport(app) -> httpx.BaseTransport:
    return InProcess(app)


class Faulty(httpx.BaseTransport):
    """Passes requests to `inner`, except where `fault(n, request)` (n = 1, 2, … per request)
    returns a response or raises; `after=True` faults come after the hub handled the request
    (its answer is lost)."""

    def __init__(self, inner: httpx.BaseTransport, fault=None, *, after: bool = False):
        self.inner, self.fault, self.after, self.requests = inner, fault, after, []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append((request.method, request.url.path, request.content))
        n = len(self.requests)
        if self.fault is not None and not self.after:
            injected = self.fault(n, request)
            if injected is not None:
                return injected
        response = self.inner.handle_request(request)
        if self.fault is not None and self.after:
            response.read()
            injected = self.fault(n, request)
            if injected is not None:
                return injected
        return response

    def paths(self, method: str) -> list[str]:
        return [path for m, path, _ in self.requests if m == method]


def cut_from(n: int):
    """Every request from the n-th on fails as if the cable was pulled."""
    def fault(i, request):
        if i >= n:
            raise httpx.ConnectError("cable pulled", request=request)
    return fault


@pytest.fixture
def hub(tmp_path):
    app = create_app(new_sqlite_hub(tmp_path / "hub.db"))
    yield app
    app.state.engine.dispose()


def enrol(app, name: str, parks: list[str] | None = None) -> str:
    return enrol_device(app.state.engine, name, parks)[1]


def hub_count(app, table=change) -> int:
    with app.state.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def no_sleep(delays: list[float]):
    return delays.append


def park_with_tenants(store, n: int = 3, code: str = "PH-001") -> tuple[Park, list[Tenant]]:
    park = make_park(store, code)
    return park, [make_tenant(store, park.id, i) for i in range(1, n + 1)]


def test_a_first_sync_pushes_and_the_other_device_pulls_the_same_data(hub, devices):
    a, b = devices.new("a"), devices.new("b")
    token_a, token_b = enrol(hub, "a"), enrol(hub, "b")
    park_with_tenants(a)
    sent = len(outbox_page(a, 0, 10_000))
    stages = []
    summary = sync_once(a, HUB, token_a, transport=in_process_transport(hub),
                        progress=lambda stage, done, total: stages.append((stage, done, total)))
    assert (summary.pushed, summary.pulled, summary.rejected) == (sent, 0, 0)
    assert ("push", sent, sent) in stages
    assert push_cursor(a, HUB)[0] == outbox_page(a, 0, 10_000)[-1]["device_seq"]
    summary = sync_once(b, HUB, token_b, transport=in_process_transport(hub))
    assert (summary.pushed, summary.pulled, summary.applied) == (0, sent, sent)
    assert snapshot(b) == snapshot(a)
    assert hub_count(hub) == sent


def test_an_incremental_sync_sends_and_receives_only_what_is_new(hub, devices):
    a, b = devices.new("a"), devices.new("b")
    token_a, token_b = enrol(hub, "a"), enrol(hub, "b")
    _, tenants = park_with_tenants(a)
    transport = in_process_transport(hub)
    sync_once(a, HUB, token_a, transport=transport)
    sync_once(b, HUB, token_b, transport=transport)
    again = sync_once(a, HUB, token_a, transport=transport)
    assert (again.pushed, again.pulled) == (0, 0)
    edit(b, Tenant, tenants[0].id, headcount=99)
    new = len(outbox_page(b, push_cursor(b, HUB)[0], 100))
    assert new == 2  # the update and its audit event
    assert sync_once(b, HUB, token_b, transport=transport).pushed == new
    summary = sync_once(a, HUB, token_a, transport=transport)
    assert (summary.pushed, summary.pulled, summary.applied) == (0, new, new)
    assert snapshot(a) == snapshot(b)


def test_concurrent_edits_end_as_one_conflict_counted_in_the_summary(hub, devices):
    a, b = devices.new("a"), devices.new("b")
    token_a, token_b = enrol(hub, "a"), enrol(hub, "b")
    _, tenants = park_with_tenants(a, 1)
    transport = in_process_transport(hub)
    sync_once(a, HUB, token_a, transport=transport)
    sync_once(b, HUB, token_b, transport=transport)
    edit(a, Tenant, tenants[0].id, contact_phone="13800000001")
    edit(b, Tenant, tenants[0].id, contact_phone="13800000002")
    sync_once(a, HUB, token_a, transport=transport)
    assert sync_once(b, HUB, token_b, transport=transport).conflicts == 1
    assert sync_once(a, HUB, token_a, transport=transport).conflicts == 1
    assert snapshot(a) == snapshot(b)


def test_a_revoked_or_unknown_token_stops_at_once_with_a_clear_message(hub, devices):
    a = devices.new("a")
    token = enrol(hub, "a")
    park_with_tenants(a, 1)
    revoke_device(hub.state.engine, "a")
    delays = []
    for bad in (token, "not-a-token"):
        with pytest.raises(SyncAuthError) as refused:
            sync_once(a, HUB, bad, transport=in_process_transport(hub), sleep=no_sleep(delays))
        assert "令牌" in refused.value.message() and "吊销" in refused.value.message()
        assert "revoked" in refused.value.message("en")
        assert bad not in refused.value.message()
    assert delays == [] and push_cursor(a, HUB) == (0, 0) and hub_count(hub) == 0


def test_another_devices_token_is_refused_before_anything_is_sent(hub, devices):
    a, b = devices.new("a"), devices.new("b")
    token_a = enrol(hub, "a")
    park_with_tenants(a, 1)
    park_with_tenants(b, 1, "PH-002")
    sync_once(a, HUB, token_a, transport=in_process_transport(hub))
    transport = Faulty(in_process_transport(hub))
    with pytest.raises(SyncAuthError) as refused:
        sync_once(b, HUB, token_a, transport=transport)
    assert refused.value.key == "sync.token_other_device"
    assert transport.paths("POST") == []


def test_503_and_lost_connections_are_retried_with_back_off_then_succeed(hub, devices):
    a = devices.new("a")
    token = enrol(hub, "a")
    park_with_tenants(a, 1)

    def fault(n, request):
        if n == 1:
            return httpx.Response(503)
        if n in (2, 3):
            raise httpx.ConnectError("no route", request=request)
        if n == 4:
            return httpx.Response(429, headers={"Retry-After": "7"})
        return None

    delays = []
    sent = len(outbox_page(a, 0, 100))  # before the sync prunes it
    summary = sync_once(a, HUB, token, transport=Faulty(in_process_transport(hub), fault), sleep=no_sleep(delays))
    assert delays == [1, 2, 4, 7]
    assert summary.pushed == sent == hub_count(hub)


def test_a_hub_that_stays_down_gives_up_after_the_last_try_with_capped_delays(hub, devices):
    a = devices.new("a")
    token = enrol(hub, "a")
    delays = []
    transport = Faulty(in_process_transport(hub), lambda n, request: httpx.Response(502))
    with pytest.raises(SyncNetworkError) as failed:
        sync_once(a, HUB, token, transport=transport, sleep=no_sleep(delays), max_tries=9)
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60]
    assert len(transport.requests) == 9
    assert "HTTP 502" in failed.value.message()


@pytest.mark.parametrize("after", [False, True], ids=["request-lost", "answer-lost"])
@pytest.mark.parametrize("cut_at", [2, 3, 4])
def test_a_sync_cut_mid_push_is_completed_by_the_next_without_doubles(hub, devices, monkeypatch, cut_at, after):
    monkeypatch.setattr(client, "PUSH_COUNT", 3)  # several batches
    a, b = devices.new("a"), devices.new("b")
    token_a, token_b = enrol(hub, "a"), enrol(hub, "b")
    park_with_tenants(a, 7)
    sent = len(outbox_page(a, 0, 10_000))
    # Request 1 is GET /me, then the pushes.
    with pytest.raises(SyncNetworkError):
        sync_once(a, HUB, token_a, transport=Faulty(in_process_transport(hub), cut_from(cut_at), after=after),
                  sleep=no_sleep([]))
    assert push_cursor(a, HUB)[0] < outbox_page(a, 0, 10_000)[-1]["device_seq"]  # not all acknowledged
    sync_once(a, HUB, token_a, transport=in_process_transport(hub))
    assert hub_count(hub) == sent
    sync_once(b, HUB, token_b, transport=in_process_transport(hub))
    assert snapshot(b) == snapshot(a)


def test_a_sync_cut_mid_pull_is_completed_by_the_next_without_doubles(hub, devices, monkeypatch):
    monkeypatch.setattr(client, "PULL_LIMIT", 4)
    # Pull by changes: an empty device's first sync would load a snapshot (tests/test_sync_snapshot.py).
    monkeypatch.setattr(client.snapshot, "needed", lambda store, hub: False)
    a, b = devices.new("a"), devices.new("b")
    token_a, token_b = enrol(hub, "a"), enrol(hub, "b")
    park_with_tenants(a, 10)
    sent = len(outbox_page(a, 0, 10_000))  # before the sync prunes it
    sync_once(a, HUB, token_a, transport=in_process_transport(hub))
    # b: /me, then its (empty-outbox) pushes none, then pulls: the second page's answer is lost.
    with pytest.raises(SyncNetworkError):
        sync_once(b, HUB, token_b, transport=Faulty(in_process_transport(hub), cut_from(3), after=True),
                  sleep=no_sleep([]))
    assert 0 < push_cursor(b, HUB)[1]
    summary = sync_once(b, HUB, token_b, transport=in_process_transport(hub))
    assert summary.pulled < sent
    assert snapshot(b) == snapshot(a)
    with b.read_connection() as conn:
        assert conn.execute("SELECT count(*) FROM applied_change").fetchone()[0] == sent


def test_pushes_are_split_by_bytes_under_the_body_limit(hub, devices, monkeypatch):
    monkeypatch.setattr(client, "PUSH_BYTES", 3000)
    a = devices.new("a")
    token = enrol(hub, "a")
    park_with_tenants(a, 6)
    sent = len(outbox_page(a, 0, 10_000))  # before the sync prunes it
    transport = Faulty(in_process_transport(hub))
    sync_once(a, HUB, token, transport=transport)
    bodies = [body for method, _, body in transport.requests if method == "POST"]
    assert len(bodies) > 2 and all(len(body) <= 3000 for body in bodies)
    assert hub_count(hub) == sent


def test_a_change_the_hub_rejects_is_kept_with_its_reason_and_never_sent_again(hub, devices):
    office, a = devices.new("office"), devices.new("a")
    mine, other = make_park(office, "PH-001"), make_park(office, "PH-002")
    sync_once(office, HUB, enrol(hub, "office"), transport=in_process_transport(hub))
    apply_page(a, outbox_page(office, 0, 100))  # a holds both parks (say, from a bundle)
    token = enrol(hub, "a", ["PH-001"])  # but may write only PH-001
    make_tenant(a, other.id)
    transport = Faulty(in_process_transport(hub))
    summary = sync_once(a, HUB, token, transport=transport)
    assert summary.rejected == 1
    with a.read_connection() as conn:
        rows = conn.execute("SELECT device_seq, code, change FROM rejected_change").fetchall()
    assert [(code, other.id in change) for _, code, change in rows] == [("park_not_assigned", True)]
    assert summary.pushed == 0 and push_cursor(a, HUB)[0] == rows[0][0]  # acknowledged as refused
    rejected_seq = rows[0][0]
    edit(a, Park, mine.id, name="新名字")
    transport = Faulty(in_process_transport(hub))
    summary = sync_once(a, HUB, token, transport=transport)
    assert (summary.pushed, summary.rejected) == (2, 0)  # the update and its audit event
    pushed = [body for method, _, body in transport.requests if method == "POST"]
    assert len(pushed) == 1 and f'"device_seq":{rejected_seq},'.encode() not in pushed[0]


def test_photos_go_up_before_their_rows_and_come_down_checked(hub, devices, tmp_path):
    a, b = devices.new("a"), devices.new("b")
    token_a, token_b = enrol(hub, "a"), enrol(hub, "b")
    _, tenants = park_with_tenants(a, 1)
    photo = tmp_path / "exit.jpg"
    photo.write_bytes(JPEG)
    digest = attach_file(a, path=photo, owner_table="tenant", owner_id=tenants[0].id)
    transport = Faulty(in_process_transport(hub))
    assert sync_once(a, HUB, token_a, transport=transport).attachments_up == 1
    methods = [(m, p.rsplit("/", 1)[-1]) for m, p, _ in transport.requests]
    assert methods.index(("PUT", digest)) < methods.index(("POST", "push"))
    assert hub_count(hub, attachment) == 1
    assert sync_once(a, HUB, token_a, transport=in_process_transport(hub)).attachments_up == 0
    summary = sync_once(b, HUB, token_b, transport=in_process_transport(hub))
    assert summary.attachments_down == 1
    stored = attachments_dir(b) / digest[:2] / f"{digest}.jpg"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest
    assert not list(attachments_dir(b).rglob("*.partial"))
    assert sync_once(b, HUB, token_b, transport=in_process_transport(hub)).attachments_down == 0


def test_a_photo_with_the_wrong_bytes_from_the_hub_is_not_stored(hub, devices, tmp_path):
    a, b = devices.new("a"), devices.new("b")
    token_a, token_b = enrol(hub, "a"), enrol(hub, "b")
    _, tenants = park_with_tenants(a, 1)
    photo = tmp_path / "exit.jpg"
    photo.write_bytes(JPEG)
    digest = attach_file(a, path=photo, owner_table="tenant", owner_id=tenants[0].id)
    sync_once(a, HUB, token_a, transport=in_process_transport(hub))

    def tampered(n, request):
        if request.method == "GET" and request.url.path.endswith(digest):
            return httpx.Response(200, content=b"\xff\xd8\xff not the photo")
        return None

    summary = sync_once(b, HUB, token_b, transport=Faulty(in_process_transport(hub), tampered))
    assert (summary.attachments_down, summary.attachments_missing) == (0, 1)
    assert not (attachments_dir(b) / digest[:2]).exists()
    assert sync_once(b, HUB, token_b, transport=in_process_transport(hub)).attachments_down == 1


def test_a_bad_hub_address_or_missing_token_is_refused_before_any_request(devices):
    a = devices.new("a")
    for url in ("hub.example", "ftp://hub", ""):
        with pytest.raises(client.UserError) as refused:
            sync_once(a, url, "t")
        assert refused.value.key == "sync.bad_url"
    with pytest.raises(client.UserError) as refused:
        sync_once(a, "http://hub", " ")
    assert refused.value.key == "sync.no_token"



@pytest.fixture
def live_hub(hub):
    """The hub served by uvicorn on a loopback port; yields its base URL."""
    with serve(hub) as url:
        yield url


def test_two_devices_sync_over_a_real_uvicorn_server_on_loopback(hub, live_hub, devices, tmp_path):
    a, b = devices.new("a"), devices.new("b")
    token_a, token_b = enrol(hub, "a"), enrol(hub, "b")
    _, tenants = park_with_tenants(a, 2)
    photo = tmp_path / "exit.jpg"
    photo.write_bytes(JPEG)
    attach_file(a, path=photo, owner_table="tenant", owner_id=tenants[0].id)
    url = live_hub + "/"
    sent = len(outbox_page(a, 0, 10_000))  # before the sync prunes it
    assert sync_once(a, url, token_a).attachments_up == 1
    summary = sync_once(b, url, token_b)
    assert summary.attachments_down == 1 and summary.pulled == sent
    assert snapshot(a) == snapshot(b)
    assert push_cursor(a, live_hub)[0] > 0


# --- parkinspect sync -------------------------------------------------------------------------------


def cli(capsys, *argv) -> tuple[int, str, str]:
    from inspect_app.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def test_cli_sync_remembers_the_hub_and_token_in_a_private_file_not_the_database(hub, live_hub, devices, capsys,
                                                                                caplog):
    from inspect_app.config import hub_file

    a, b = devices.new("a"), devices.new("b")
    token_a, token_b = enrol(hub, "a"), enrol(hub, "b")
    park_with_tenants(a, 2)
    sent = len(outbox_page(a, 0, 100))
    a_path, b_path = str(a.path), str(b.path)
    code, out, _ = cli(capsys, "--db", a_path, "sync", "--hub", live_hub, "--token", token_a)
    assert (code, out) == (0, f"已推送 {sent} 条，已拉取 0 条，冲突 0 条")
    assert cli(capsys, "--db", b_path, "sync", "--hub", live_hub + "/", "--token", token_b)[0] == 0
    if hasattr(os, "getuid"):
        assert stat.S_IMODE(hub_file().stat().st_mode) == 0o600
    assert token_a in hub_file().read_text() and token_b in hub_file().read_text()
    edit(b, Tenant, rows_of(b)[0], headcount=7)
    code, out, _ = cli(capsys, "--lang", "en", "--db", b_path, "sync", "--json")  # remembered, per database
    assert code == 0 and json.loads(out)["pushed"] == 2
    code, out, _ = cli(capsys, "--lang", "en", "--db", a_path, "sync")
    assert (code, out) == (0, "Pushed 0, pulled 2, conflicts 0")
    for store in (a, b):
        assert token_a.encode() not in store.path.read_bytes() and token_b.encode() not in store.path.read_bytes()
    assert token_a not in caplog.text and token_b not in caplog.text


def rows_of(store) -> list[str]:
    with store.read_connection() as conn:
        return [row[0] for row in conn.execute("SELECT id FROM tenant ORDER BY name")]


def test_cli_sync_without_a_hub_says_how_to_configure_one(devices, capsys):
    a = devices.new("a")
    code, _, err = cli(capsys, "--db", str(a.path), "sync")
    assert code == 2 and "parkinspect sync --hub" in err


def test_cli_sync_with_a_revoked_token_exits_2_and_remembers_nothing(hub, live_hub, devices, capsys):
    from inspect_app.config import hub_file

    a = devices.new("a")
    token = enrol(hub, "a")
    revoke_device(hub.state.engine, "a")
    code, out, err = cli(capsys, "--lang", "en", "--db", str(a.path), "sync", "--hub", live_hub, "--token", token)
    assert (code, out) == (2, "") and "revoked" in err and token not in err
    assert not hub_file().exists()


def test_cli_sync_exits_1_when_the_hub_cannot_be_reached(devices, capsys, monkeypatch):
    monkeypatch.setattr(client, "MAX_TRIES", 2)
    monkeypatch.setattr(client.time, "sleep", lambda seconds: None)
    a = devices.new("a")
    code, _, err = cli(capsys, "--db", str(a.path), "sync", "--hub", f"http://127.0.0.1:{free_port()}",
                       "--token", "t")
    assert code == 1 and "无法连接中心服务器" in err


def test_cli_sync_refuses_a_malformed_hub_address(devices, capsys):
    a = devices.new("a")
    code, _, err = cli(capsys, "--db", str(a.path), "sync", "--hub", "hub.example", "--token", "t")
    assert code == 2 and "hub.example" in err


def test_the_progress_line_draws_counts_in_place_and_clears_itself(capsys):
    from inspect_app.cli.sync import _ProgressLine

    bar = _ProgressLine()
    bar("push", 50, 100)
    bar("pull", 1000, None)
    bar.clear()
    err = capsys.readouterr().err
    assert "\r[" + "#" * 15 + "." * 15 + "] 推送 50/100 条" in err
    assert "\r拉取 1000 条" in err and err.endswith("\r")
