"""The hub is an optional extra: a laptop without FastAPI, uvicorn and psycopg opens the app and
syncs, and `parkinspect hub …` says how to install the hub instead of a traceback.

Each check runs tests/device_probe.py in a fresh interpreter whose import system refuses those
modules (and starlette), as if `pip install .` had not brought them; every attempt is recorded."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select, update

from inspect_app.hub.app import create_app
from inspect_app.hub.storage import device, enrol_device, row_state, token_hash
from tests.hub_server import serve

ROOT = Path(__file__).resolve().parents[1]
PROBE = Path(__file__).with_name("device_probe.py")
INSTALL_SENTENCE = "The hub is not installed on this computer (no fastapi). Install it with: pip install 'parkinspect[hub]'"


def probe(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PARKINSPECT_LANG": "en"}
    return subprocess.run([sys.executable, str(PROBE), "--without-hub", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=180)


def blocked(result: subprocess.CompletedProcess) -> list[str]:
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("blocked: "), result.stderr
    return json.loads(last.removeprefix("blocked: "))


def test_without_the_hub_extra_the_app_opens_and_syncs(tmp_path):
    db = tmp_path / "laptop.db"
    made = probe("cli", "--db", str(db), "demo", "--parks", "2", "--tenants-per-park", "3", cwd=tmp_path)
    assert made.returncode == 0 and blocked(made) == [], made.stderr

    opened = probe("tui", str(db), cwd=tmp_path)
    assert opened.returncode == 0, opened.stderr
    assert json.loads(opened.stdout.strip().splitlines()[-1]) == {"parks": 2, "blocked": []}

    hub = create_app(f"sqlite:///{tmp_path / 'hub.db'}")
    enrol_device(hub.state.engine, "laptop")
    token = "-" + secrets.token_urlsafe(32)  # tokens made before the rule may start with "-"
    with hub.state.engine.begin() as conn:
        conn.execute(update(device).where(device.c.name == "laptop").values(token_sha256=token_hash(token)))
    with serve(hub) as url:
        synced = probe("cli", "--db", str(db), "sync", "--hub", url, f"--token={token}", cwd=tmp_path)
    assert synced.returncode == 0 and blocked(synced) == [], synced.stderr
    assert "pushed" in synced.stdout.lower() and token not in synced.stdout + synced.stderr
    with hub.state.engine.connect() as conn:
        tenants = conn.execute(select(func.count()).select_from(row_state)
                               .where(row_state.c.table_name == "tenant")).scalar()
    assert tenants == 6


def test_hub_commands_without_the_extra_say_how_to_install_it(tmp_path):
    for command in (["hub", "serve", "--db", str(tmp_path / "hub.db")], ["hub", "device", "add", "laptop"],
                    ["hub", "device", "list"]):
        result = probe("cli", *command, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.splitlines()[0] == INSTALL_SENTENCE
        assert "Traceback" not in result.stderr and not (tmp_path / "hub.db").exists()
