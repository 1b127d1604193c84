"""What the first screen shows: every park's figures and who is inspecting.

Plain SQL through `Store.connect()` (db/overview.py): these run before the ORM has loaded.
"""

from __future__ import annotations

from datetime import date

from db import overview
from db.overview import ParkSummary
from db.store import Store
from forms import china_time


def park_summaries(store: Store, today: date | None = None) -> list[ParkSummary]:
    with store.connect() as conn:
        return overview.park_summaries(conn, today or china_time.today())


def inspector_name(store: Store) -> str | None:
    with store.connect() as conn:
        return overview.inspector_name(conn)
