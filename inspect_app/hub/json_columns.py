"""How the hub writes its JSON columns (one definition for the storage and the migrations' engine)."""

from __future__ import annotations

import json


def compact_json(value) -> str:
    """JSON columns as written: UTF-8 text (a Chinese character is 3 bytes, not a 6-byte \\u escape)
    without the spaces of json.dumps' default separators — most of what the hub stores is JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
