"""The hub's clock rule for pushed stamps: none may be more than a bounded skew ahead of its own time.

Why: a stamp from the future wins every later write of its field on every device, and each device
that receives it moves its own clock there (year 2286 was accepted once). A device whose clock is
ahead is told the hub's time in the refusal; it corrects its clock and re-stamps the change
(inspect_app/sync/clock_fix.py), so nothing is lost.

A change's `base` holds stamps too (the field clocks its writer saw): they are held to the same
rule, since a base from the future would mark every later losing write as seen.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from db.clock import MAX_SKEW_MS, is_valid, millis_of


def hub_now_ms() -> int:
    return int(time.time() * 1000)


def clock_refusal(hlc: str, base: dict | None, now_ms: int, max_skew_ms: int = MAX_SKEW_MS) -> tuple[str, str] | None:
    """(code, message) when a stamp of this change is malformed or too far ahead; None when it may pass.
    The change's own stamp is checked for its device elsewhere (`bad_hlc`)."""
    for name, seen in (base or {}).items():
        if seen and not is_valid(seen):  # "" or null: the writer saw no write of it
            return "bad_hlc", f"base of {name!r} is not a stamp (millis.counter.device_id)"
    stamps = [hlc, *(s for s in (base or {}).values() if isinstance(s, str))]
    ahead = max((millis_of(s) for s in stamps if is_valid(s)), default=0) - now_ms
    if ahead > max_skew_ms:
        hub_time = datetime.fromtimestamp(now_ms / 1000, UTC).isoformat(timespec="seconds")
        return "clock_ahead", (f"stamp is {ahead // 1000} s ahead of the hub's clock (more than "
                               f"{max_skew_ms // 1000} s); hub time {hub_time} now_ms={now_ms}")
    return None
