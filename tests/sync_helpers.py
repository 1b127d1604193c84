"""Driving a device's sync over HTTP in tests, and comparing devices' data."""

from __future__ import annotations

import httpx

from db.models import SYNCED_TABLES
from db.store import Store
from inspect_app.sync import snapshot
from inspect_app.sync.apply import apply_page
from inspect_app.sync.changes import mark_pushed, outbox_page, push_cursor, record_rejected
from inspect_app.sync.client import tls_context

API = "/api/v1"


def requester(http: httpx.Client):
    """The `request(method, path, **kwargs)` that snapshot.load expects, failing on non-2xx."""
    def request(method: str, path: str, **kwargs) -> httpx.Response:
        response = http.request(method, API + path, **kwargs)
        response.raise_for_status()
        return response
    return request


def push_all(store: Store, http: httpx.Client, hub_key: str) -> None:
    pushed, _ = push_cursor(store, hub_key)
    while batch := outbox_page(store, pushed, 500):
        answer = requester(http)("POST", "/push", json={"changes": batch}).json()
        record_rejected(store, answer["rejected"])
        mark_pushed(store, hub_key, answer["acked_through"])
        pushed = answer["acked_through"]


def pull_all(store: Store, http: httpx.Client, hub_key: str, *, use_snapshot: bool = True) -> None:
    request = requester(http)
    if use_snapshot and snapshot.needed(store, hub_key):
        snapshot.load(store, hub_key, request, page_rows=3)
    _, after = push_cursor(store, hub_key)
    while True:
        page = request("GET", "/changes", params={"after": after, "limit": 7}).json()
        apply_page(store, page["changes"], hub=hub_key, hub_seq_cursor=page["next_after"])
        after = max(after, page["next_after"])
        if not page["has_more"]:
            return


def sync(store: Store, base_url: str, token: str, *, use_snapshot: bool = True) -> None:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30,
                      verify=tls_context()) as http:
        push_all(store, http, base_url)
        pull_all(store, http, base_url, use_snapshot=use_snapshot)


def synced_rows(store: Store, *, tables=None, skip=("updated_at",)) -> dict[str, list[tuple]]:
    """Every synced table's rows (all columns but the local `updated_at`), by id."""
    found = {}
    with store.read_connection() as conn:
        for name in tables or SYNCED_TABLES:
            columns = [c.name for c in SYNCED_TABLES[name].__table__.columns if c.name not in skip]
            quoted = ", ".join(f'"{c}"' for c in columns)
            found[name] = conn.execute(f'SELECT {quoted} FROM "{name}" ORDER BY id').fetchall()
    return found
