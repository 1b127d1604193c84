"""Hybrid logical clock: the `hlc` stamp on every synced row and change-log entry.

A stamp is `{unix millis:013d}.{counter:05d}.{device id}`: fixed width, so comparing strings
compares (time, counter, device) — the deterministic "clock, then device id" order that sync uses
to pick the same winner on every device. The width is part of the contract: the clock never
makes a wider stamp (at the last counter value it moves to the next millisecond instead of
counting on), and stamps from elsewhere are checked with `is_valid` before anything compares them.

The clock never goes backwards even when the wall clock does, and `observe` moves it past stamps
seen from other devices. Its wall clock is the machine's plus `offset_ms`, the correction a sync
learns from the hub's time (docs/SYNC.md, "Clocks").
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

MAX_COUNTER = 99_999  # 5 digits
MAX_MILLIS = 9_999_999_999_999  # 13 digits: 2286-11-20
# How far ahead of the receiver's time a stamp may be: the hub refuses, a device sets aside, beyond this.
MAX_SKEW_MS = 600_000
_STAMP = re.compile(r"([0-9]{13})\.([0-9]{5})\.([^\s]+)", re.ASCII)


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


def parse(stamp: str) -> tuple[int, int, str]:
    """(millis, counter, device) of a stamp, compared as numbers: also right for a stamp of another
    width written before the width was enforced."""
    millis, counter, device = stamp.split(".", 2)
    return int(millis), int(counter), device


def is_valid(stamp: object, device_id: str | None = None) -> bool:
    """A stamp of the fixed width (and, when given, of that device): only these may be compared as strings."""
    if not isinstance(stamp, str):
        return False
    match = _STAMP.fullmatch(stamp)
    return match is not None and (device_id is None or match.group(3) == device_id)


def millis_of(stamp: str) -> int:
    return int(stamp.split(".", 1)[0])


def newest(stamps) -> str | None:
    """The numerically greatest stamp (not the string max: a wider stamp would sort wrongly)."""
    return max((s for s in stamps if s), key=lambda s: parse(s)[:2], default=None)


def format_stamp(millis: int, counter: int, device: str) -> str:
    return f"{millis:013d}.{counter:05d}.{device}"


class HybridClock:
    def __init__(self, device_id: str, now_ms: Callable[[], int] = wall_clock_ms, last: str | None = None,
                 offset_ms: int = 0):
        self.device_id = device_id
        self._now_ms = now_ms
        self.offset_ms = offset_ms
        self._lock = threading.Lock()
        self._millis, self._counter = (parse(last)[:2] if last else (0, 0))

    def machine_ms(self) -> int:
        """The machine's own time, uncorrected: what a sync compares with the hub's."""
        return self._now_ms()

    def wall_ms(self) -> int:
        """The machine's time corrected by what the last sync learned from the hub."""
        return self._now_ms() + self.offset_ms

    def tick(self) -> str:
        with self._lock:
            now = self.wall_ms()
            if now > self._millis:
                self._millis, self._counter = now, 0
            elif self._counter < MAX_COUNTER:
                self._counter += 1
            else:  # never a sixth digit: a wider stamp would sort before narrower ones as a string
                self._millis, self._counter = self._millis + 1, 0
            return format_stamp(self._millis, self._counter, self.device_id)

    def observe(self, stamp: str) -> None:
        millis, counter, _ = parse(stamp)
        with self._lock:
            if (millis, counter) > (self._millis, self._counter):
                self._millis, self._counter = millis, counter

    def reset(self, last: str | None) -> None:
        """Set the clock back to `last` (None: to nothing). Only for stamps that never left the
        device being re-made (inspect_app/sync/clock_fix.py): anything else would re-use stamps."""
        with self._lock:
            self._millis, self._counter = (parse(last)[:2] if last else (0, 0))

    @property
    def last(self) -> str:
        with self._lock:
            return format_stamp(self._millis, self._counter, self.device_id)
