"""Which hub this device syncs with, and its token: `<config dir>/hub.toml`, mode 0600.

Not in the database: backups and sync bundles copy the database, and a token must not travel
with them. Kept per device id, because a token is bound to one device at its first push (one
computer may hold several device databases, e.g. a trainer's). Never logged.

    [devices."3f9a…"]
    url = "https://hub.example.org"
    token = "…"
"""

from __future__ import annotations

import json
import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from db.errors import UserError

log = logging.getLogger(__name__)
FILE_NAME = "hub.toml"  # in the config folder: inspect_app/config.py hub_file, Settings.hub_file


@dataclass(frozen=True)
class HubSettings:
    url: str
    token: str


def normalise_hub_url(url: str) -> str:
    """`http(s)://host[:port][/prefix]` without a trailing slash; anything else is refused."""
    cleaned = (url or "").strip().rstrip("/")
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise UserError("sync.bad_url", field="hub", url=url)
    return cleaned


def load_hub(hub_file: Path, device_id: str) -> HubSettings | None:
    """This device's remembered hub in `hub_file` (Settings.hub_file), or None (no file, no entry,
    or an unreadable file)."""
    entry = _read(hub_file).get(device_id)
    if isinstance(entry, dict) and isinstance(entry.get("url"), str) and isinstance(entry.get("token"), str):
        return HubSettings(entry["url"], entry["token"])
    return None


def save_hub(hub_file: Path, device_id: str, url: str, token: str) -> Path:
    """Remember (or replace) this device's hub and token; the file is written whole with mode 0600."""
    devices = _read(hub_file)
    devices[device_id] = {"url": url, "token": token}
    path = hub_file
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# ParkInspect: the sync hub and token of each device database on this computer.",
             "# Keep this file private; `parkinspect sync --hub URL --token T` rewrites it.", ""]
    for key, entry in sorted(devices.items()):
        # JSON strings are valid TOML basic strings (the same escapes).
        lines += [f"[devices.{json.dumps(key)}]", f"url = {json.dumps(entry['url'])}",
                  f"token = {json.dumps(entry['token'])}", ""]
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        if hasattr(os, "fchmod"):  # an older partial file may have had wider permissions
            os.fchmod(handle.fileno(), 0o600)
        handle.write("\n".join(lines))
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)
    return path


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            devices = tomllib.load(handle).get("devices", {})
    except (OSError, tomllib.TOMLDecodeError):
        log.warning("ignoring unreadable hub settings file %s", path)
        return {}
    return {k: dict(v) for k, v in devices.items() if isinstance(v, dict)} if isinstance(devices, dict) else {}
