"""The time zone documents and deadlines are reckoned in: China time unless the office says otherwise.

Inspectors' laptops may run on UTC or on whatever zone they were sold with; a notice issued at
01:30 Beijing time must still print today's date, and "today" for a deadline is the park's day.
Everything that turns an instant into a calendar date for a person (issue dates, deadlines,
overdue, "served within three working days") goes through here, never `date.today()` or a bare
`.astimezone()`.

The zone is `Asia/Shanghai` by default; `[locale] time_zone` in config.toml (applied at start-up
by `inspect_app/config.py` through `set_zone`) or the environment variable PARKINSPECT_TIME_ZONE
may name another IANA zone. The zone data comes from the `tzdata` package where the system has
none (Windows).
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"
ENV_VARIABLE = "PARKINSPECT_TIME_ZONE"

_zone: ZoneInfo | None = None


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValueError when there is none by that name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone: {name!r}") from exc


def set_zone(name: str | None) -> None:
    """Use this zone from now on (None: back to the environment or the default)."""
    global _zone
    _zone = zone_named(name) if name else None


def zone() -> ZoneInfo:
    if _zone is not None:
        return _zone
    configured = os.environ.get(ENV_VARIABLE, "").strip()
    if configured:
        try:
            return zone_named(configured)
        except ValueError:
            pass  # a mistyped variable must not stop the app: fall back to China time
    return ZoneInfo(DEFAULT_ZONE)


def now() -> datetime:
    """The current instant, expressed in the documents' zone (an aware datetime)."""
    return datetime.now(zone())


def today() -> date:
    """The calendar date in the documents' zone right now."""
    return now().date()


def local(instant: datetime) -> datetime:
    """An instant in the documents' zone; a naive value is taken as UTC (how the database stores it)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(zone())


def local_date(instant: datetime) -> date:
    """The calendar date of an instant in the documents' zone."""
    return local(instant).date()
