"""Hybrid logical clock: the `hlc` stamp on every synced row and change-log entry.

A stamp is `{unix millis:013d}.{counter:05d}.{device id}`: fixed width, so comparing strings
compares (time, counter, device) — the deterministic "clock, then device id" order that sync uses
to pick the same winner on every device. The clock never goes backwards even when the wall clock
does, and `observe` moves it past stamps seen from other devices.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


def parse(stamp: str) -> tuple[int, int, str]:
    millis, counter, device = stamp.split(".", 2)
    return int(millis), int(counter), device


def format_stamp(millis: int, counter: int, device: str) -> str:
    return f"{millis:013d}.{counter:05d}.{device}"


class HybridClock:
    def __init__(self, device_id: str, now_ms: Callable[[], int] = wall_clock_ms, last: str | None = None):
        self.device_id = device_id
        self._now_ms = now_ms
        self._lock = threading.Lock()
        self._millis, self._counter = (parse(last)[:2] if last else (0, 0))

    def tick(self) -> str:
        with self._lock:
            now = self._now_ms()
            if now > self._millis:
                self._millis, self._counter = now, 0
            else:
                self._counter += 1
            return format_stamp(self._millis, self._counter, self.device_id)

    def observe(self, stamp: str) -> None:
        millis, counter, _ = parse(stamp)
        with self._lock:
            if (millis, counter) > (self._millis, self._counter):
                self._millis, self._counter = millis, counter
