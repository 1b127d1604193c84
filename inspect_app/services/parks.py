"""What the first screen shows: every park's figures and who is inspecting.

Plain SQL through `Store.read_connection()` (db/overview.py): these run before the ORM has loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from db import overview
from db.overview import ParkSummary  # also the park list's: it takes it from here
from db.store import Store
from forms import china_time


def park_summaries(store: Store, today: date | None = None, limit: int | None = None) -> list[ParkSummary]:
    """Every park's figures in code order, or the first `limit` parks' (the list's first screenful)."""
    with store.read_connection() as conn:
        return overview.park_summaries(conn, today or china_time.today(), limit)


def agency_warning(store: Store, agency: Mapping[str, Any]) -> str | None:
    """What the park list warns about: "agency" when no agency name is set anywhere (neither
    `[agency] name` of the office's settings, Settings.agency, nor the inspector profile: issuing
    is refused), "short" when the short name is not configured (numbers would carry the
    placeholder 园检安整), else None."""
    name, short = agency.get("name"), agency.get("short")
    if not (isinstance(name, str) and name.strip()):
        with store.read_connection() as conn:
            if not (overview.inspector_agency(conn) or "").strip():
                return "agency"
    if not (isinstance(short, str) and short.strip()):
        return "short"
    return None


def inspector_name(store: Store) -> str | None:
    with store.read_connection() as conn:
        return overview.inspector_name(conn)


def is_office(store: Store) -> bool:
    """Whether this device does the office's work (services/office_role.py): only the office
    reviews notices waiting for approval."""
    # Not at import: this module is on the start-up path (tests/test_startup.py), office_role is not.
    from inspect_app.services.office_role import is_office as office

    return office(store)
