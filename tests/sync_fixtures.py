"""Fixtures of every sync test, loaded for all tests by tests/conftest.py (`pytest_plugins`), so
that a test module uses them by name instead of importing or copying them.

devices: a factory of new devices, each a new file (tests/new_files.py) opened as a Store (closed
after the test); hub_url: a hub database
URL, once SQLite and once PostgreSQL; served_hub: a SQLite hub served on loopback, `(app, base URL)`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from db.store import Store
from tests.hub_server import serve
from tests.new_files import new_device_file, new_sqlite_hub


class Devices:
    def __init__(self, folder: Path):
        self.folder, self.opened = folder, []

    def new(self, name: str, *, now_ms: Callable[[], int] | None = None) -> Store:
        """A new device; `now_ms` replaces its machine's wall clock (a clock that is off)."""
        path = new_device_file(self.folder / name / "parkinspect.db")
        store = Store.open(path) if now_ms is None else Store.open(path, now_ms=now_ms)
        self.opened.append(store)
        return store

    def close(self) -> None:
        for store in self.opened:
            store.close()


@pytest.fixture
def devices(tmp_path):
    made = Devices(tmp_path)
    yield made
    made.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return new_sqlite_hub(tmp_path / "hub.db")
    return request.getfixturevalue("postgres_hub_url")


@pytest.fixture
def loopback_hub(hub_url):
    """The hub served on loopback, once on SQLite and once on PostgreSQL (`hub_url`); its address
    in `app.state.base`, for devices that sync with `sync_once(store, hub.state.base, token)`."""
    from inspect_app.hub.app import create_app  # the hub extra: only tests that serve a hub need it

    app = create_app(hub_url)
    with serve(app) as url:
        app.state.base = url
        yield app
    app.state.engine.dispose()


@pytest.fixture
def served_hub(tmp_path):
    from inspect_app.hub.app import create_app  # the hub extra: only tests that serve a hub need it

    app = create_app(new_sqlite_hub(tmp_path / "hub.db"))
    with serve(app) as url:
        yield app, url
    app.state.engine.dispose()
