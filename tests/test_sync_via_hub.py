"""Device side against the real hub (in-process, SQLite): outbox pages pushed, pages pulled and
merged with apply_page, cursors and refusals kept — what the HTTP client will do."""

from __future__ import annotations

import httpx
import pytest

from db.models import Conflict, Tenant
from inspect_app.hub.app import create_app
from inspect_app.hub.storage import enrol_device
from inspect_app.sync.apply import apply_page
from inspect_app.sync.changes import mark_pushed, outbox_page, push_cursor, record_rejected
from tests.test_sync_merge import edit, make_park, make_tenant, rows, snapshot

API = "/api/v1"
HUB = "http://hub"


@pytest.fixture
def hub(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'hub.db'}")
    yield app
    app.state.engine.dispose()


async def sync(app, store, token: str) -> None:
    """Push everything not yet acknowledged, then pull and merge page by page."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HUB, headers=headers) as http:
        pushed, pulled = push_cursor(store, HUB)
        while page := outbox_page(store, pushed, 500):
            answer = (await http.post(f"{API}/push", json={"changes": page})).json()
            record_rejected(store, answer["rejected"])
            mark_pushed(store, HUB, answer["acked_through"])
            pushed = answer["acked_through"]
        while True:
            page = (await http.get(f"{API}/changes", params={"after": pulled, "limit": 200})).json()
            apply_page(store, page["changes"], hub=HUB, hub_seq_cursor=page["next_after"])
            pulled = page["next_after"]
            if not page["has_more"]:
                return


async def test_two_devices_converge_through_the_hub_with_the_same_conflict(hub, devices):
    a, b = devices.new("a"), devices.new("b")
    token_a, token_b = (enrol_device(hub.state.engine, name, None)[1] for name in ("a", "b"))
    tenant = make_tenant(a, make_park(a).id)
    await sync(hub, a, token_a)
    await sync(hub, b, token_b)
    assert snapshot(b) == snapshot(a)
    edit(a, Tenant, tenant.id, contact_phone="13800000001", headcount=5)
    edit(b, Tenant, tenant.id, contact_phone="13800000002")
    for store, token in ((a, token_a), (b, token_b), (a, token_a)):
        await sync(hub, store, token)
    assert snapshot(a) == snapshot(b)
    assert rows(a, Tenant)[0].headcount == 5
    assert [c.field for c in rows(b, Conflict)] == ["contact_phone"]
    assert push_cursor(a, HUB)[0] == outbox_page(a, 0, 10_000)[-1]["device_seq"]
    with a.read_connection() as conn:
        assert conn.execute("SELECT count(*) FROM rejected_change").fetchone()[0] == 0
