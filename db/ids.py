"""Time-ordered UUIDs (RFC 9562 version 7), made on the device.

Python gains uuid.uuid7 only in 3.14; this is the RFC's layout: 48 bits of Unix milliseconds,
version, 12 + 62 random bits. Keys sort by creation time, which keeps SQLite's B-trees append-mostly.
"""

from __future__ import annotations

import os
import time
import uuid


def new_id(now_ms: int | None = None) -> str:
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))
