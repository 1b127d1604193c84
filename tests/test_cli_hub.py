"""`parkinspect hub …`: enrol, list and revoke devices; serve the hub."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
from sqlalchemy import select

from inspect_app import config
from inspect_app.cli import main
from inspect_app.hub.storage import device, open_engine


def _add(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["hub", "device", "add", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_device_add_prints_the_token_once_and_the_hub_keeps_only_its_hash(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    code, out, _ = _add(capsys, "巡查笔记本-1", "--hub-db", url)
    assert code == 0
    lines = out.splitlines()
    assert "巡查笔记本-1" in lines[0]
    token = lines[1]
    assert len(token) >= 40 and out.count(token) == 1
    engine = open_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(device)).all()
    engine.dispose()
    assert [r.token_sha256 for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in (tmp_path / "hub.db").read_bytes().decode("latin-1")


def test_list_revoke_and_refusals_in_the_users_language(tmp_path, capsys):
    url = str(tmp_path / "hub.db")  # a bare path is a SQLite file
    for n in range(3):
        assert _add(capsys, f"laptop-{n}", "--hub-db", url)[0] == 0
    code, _, err = _add(capsys, "laptop-1", "--hub-db", url)
    assert code == 2 and "laptop-1" in err and "已有" in err
    assert main(["--lang", "en", "hub", "device", "add", "laptop-9", "--park", "PH-404", "--hub-db", url]) == 2
    assert "The hub knows no park PH-404" in capsys.readouterr().err

    assert main(["hub", "device", "revoke", "laptop-1", "--hub-db", url]) == 0
    capsys.readouterr()
    assert main(["--lang", "en", "hub", "device", "list", "--limit", "2", "--offset", "1", "--hub-db", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("laptop-1  revoked") and out[1].startswith("laptop-2  active")
    assert out[-1] == "Devices 2–3 of 3"
    assert main(["--lang", "en", "hub", "device", "revoke", "nobody", "--hub-db", url]) == 2
    assert "No device is named nobody" in capsys.readouterr().err


def test_the_default_hub_database_is_in_the_data_folder(capsys):
    assert main(["hub", "device", "add", "laptop-a"]) == 0
    assert (config.data_dir() / "hub.db").exists()


def test_hub_serve_answers_on_loopback(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    server = subprocess.Popen([sys.executable, "-m", "inspect_app", "--lang", "en", "hub", "serve", "--db", url,
                               "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env={**os.environ}, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "the hub did not start"
                time.sleep(0.1)
        assert answer.json() == {"status": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/me").status_code == 401
        assert "server" not in answer.headers
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=20)
    assert f"Hub listening on http://127.0.0.1:{port}" in out
    assert "This hub has no agency root: devices sync as usual" in out
