"""Devices on the hub over real HTTP: a revoked device id stays revoked, token rotation, tokens
never starting with "-", and the per-device quota and clean-up of photo uploads no row names."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import select

from db.models import Tenant
from inspect_app import config
from inspect_app.cli import main
from inspect_app.hub import storage
from inspect_app.hub.app import create_app
from inspect_app.hub.storage import attachment, enrol_device, revoke_device, utc_now
from inspect_app.services.attachments import attach_file
from inspect_app.sync.changes import outbox_page
from inspect_app.sync.client import SyncAuthError, sync_once
from tests.hub_server import free_port, serve
from tests.images import image_bytes
from tests.new_files import new_sqlite_hub
from tests.test_sync_merge import make_park, make_tenant

# A real JPEG (attaching decodes it) padded after its end to 2 KiB; the hub is sent it and
# variants with a byte appended.
JPEG = image_bytes("JPEG", size=(16, 12)).ljust(2048, b"\x00")


def tenants_of(store) -> set[str]:
    with store.read() as session:
        return set(session.exec(select(Tenant.name)).all())


@pytest.fixture
def hub(tmp_path):
    return create_app(new_sqlite_hub(tmp_path / "hub.db"))


def test_a_revoked_device_id_cannot_come_back_under_a_new_token(hub, devices):
    laptop = devices.new("laptop")
    park = make_park(laptop)
    pushed = make_tenant(laptop, park.id, 1)
    first = enrol_device(hub.state.engine, "laptop-wang")[1]
    with serve(hub) as url:
        sync_once(laptop, url, first)
        revoke_device(hub.state.engine, "laptop-wang")
        again = enrol_device(hub.state.engine, "laptop-wang-2")[1]
        make_tenant(laptop, park.id, 2)  # something to push: the refusal comes before it

        with pytest.raises(SyncAuthError) as refused:
            sync_once(laptop, url, again)
        assert refused.value.key == "sync.device_id_revoked"
        assert "new database" in refused.value.message("en") and "吊销" in refused.value.message("zh_CN")

        # A device that skips the check and pushes as the revoked id directly: 403 with the code.
        answer = httpx.post(f"{url}/api/v1/push", json={"changes": outbox_page(laptop, 0, 1)},
                            headers={"Authorization": f"Bearer {again}"})
        assert answer.status_code == 403 and answer.json()["detail"]["code"] == "device_id_revoked"
        with hub.state.engine.connect() as conn:
            bound = conn.execute(select(storage.device.c.device_id)
                                 .where(storage.device.c.name == "laptop-wang-2")).scalar()
        assert bound is None  # the new enrolment did not take the revoked id

        # The way back the message gives: a new database syncs with the new token and gets it all.
        fresh = devices.new("fresh")
        sync_once(fresh, url, again)
        assert tenants_of(fresh) == {pushed.name}


def test_the_cli_says_how_to_set_up_again_after_revocation(hub, devices, capsys):
    laptop = devices.new("laptop")
    make_park(laptop)
    first = enrol_device(hub.state.engine, "laptop-wang")[1]
    with serve(hub) as url:
        sync_once(laptop, url, first)
        revoke_device(hub.state.engine, "laptop-wang")
        again = enrol_device(hub.state.engine, "laptop-wang-2")[1]
        code = main(["--lang", "en", "--db", str(laptop.path), "sync", "--hub", url, f"--token={again}"])
    err = capsys.readouterr().err
    assert code == 2
    assert "revoked this database's device id" in err and "Traceback" not in err and again not in err


def test_rotating_a_token_keeps_the_device_and_stops_the_old_token(hub, devices, tmp_path, capsys):
    laptop = devices.new("laptop")
    park = make_park(laptop)
    old = enrol_device(hub.state.engine, "laptop-wang")[1]
    hub_db = new_sqlite_hub(tmp_path / "hub.db")
    with serve(hub) as url:
        sync_once(laptop, url, old)
        assert main(["--lang", "en", "hub", "device", "rotate", "laptop-wang", "--hub-db", hub_db]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith("New token for device laptop-wang")
        new = out[1]
        with pytest.raises(SyncAuthError):
            sync_once(laptop, url, old)
        make_tenant(laptop, park.id, 1)
        assert sync_once(laptop, url, new).pushed == 1  # same database, same device id: goes on

    revoke_device(hub.state.engine, "laptop-wang")
    assert main(["--lang", "en", "hub", "device", "rotate", "laptop-wang", "--hub-db", hub_db]) == 2
    assert "revoked device gets no new token" in capsys.readouterr().err


def test_tokens_never_start_with_a_dash(monkeypatch, hub):
    made = iter(["-leading-dash", "-again", "fine-token"])
    monkeypatch.setattr(storage.secrets, "token_urlsafe", lambda _n: next(made))
    assert enrol_device(hub.state.engine, "a")[1] == "fine-token"
    monkeypatch.undo()
    tokens = [storage.new_token() for _ in range(2000)]  # ~31 would start with "-" without the rule
    assert not [t for t in tokens if t.startswith("-")] and min(map(len, tokens)) >= 43


def _put(url: str, token: str, data: bytes) -> httpx.Response:
    return httpx.put(f"{url}/api/v1/attachments/{hashlib.sha256(data).hexdigest()}", content=data,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"})


def test_uploads_no_row_names_have_a_per_device_quota(tmp_path, devices):
    hub = create_app(new_sqlite_hub(tmp_path / "hub.db"), attachment_quota_bytes=5000)
    other = enrol_device(hub.state.engine, "other")[1]
    laptop = devices.new("laptop")
    park = make_park(laptop)
    tenant = make_tenant(laptop, park.id, 1)
    token = enrol_device(hub.state.engine, "laptop")[1]
    with serve(hub) as url:
        assert _put(url, token, JPEG + b"1").status_code == 201  # 2 KiB pending
        assert _put(url, token, JPEG + b"2").status_code == 201  # 4 KiB pending
        refused = _put(url, token, JPEG + b"3")
        assert refused.status_code == 507
        assert refused.json()["detail"]["code"] == "attachment_quota" and "5000 bytes" in refused.text
        assert _put(url, other, JPEG + b"3").status_code == 201  # another device has its own quota

        # The client treats a refused upload like a missing photo: counted, the sync goes on.
        for n in (4, 5):
            photo = tmp_path / f"p{n}.jpg"
            photo.write_bytes(JPEG + bytes([n]))
            attach_file(laptop, path=photo, owner_table="tenant", owner_id=tenant.id, strip_metadata=False)
        summary = sync_once(laptop, url, token)
        assert summary.attachments_up == 0 and summary.attachments_missing == 2 and summary.rejected == 0
        assert summary.pushed > 0

    # Rows naming the uploads free the quota: they count no more.
    with hub.state.engine.begin() as conn:
        for n in (1, 2):
            digest = hashlib.sha256(JPEG + str(n).encode()).hexdigest()
            conn.execute(storage.row_state.insert().values(
                table_name="attachment", row_id=f"row-{n}", park_id=None, sha256=digest, values={},
                field_hlcs={}, deleted=False))
    with serve(hub) as url:
        assert _put(url, token, JPEG + b"6").status_code == 201


def test_the_hub_deletes_uploads_no_row_names_after_a_day(tmp_path, monkeypatch):
    url_db = new_sqlite_hub(tmp_path / "hub.db")
    hub = create_app(url_db)
    token = enrol_device(hub.state.engine, "laptop")[1]
    named, stray, recent = JPEG + b"n", JPEG + b"s", JPEG + b"r"
    with serve(hub) as url:
        for data in (named, stray, recent):
            assert _put(url, token, data).status_code == 201
    digest = {data: hashlib.sha256(data).hexdigest() for data in (named, stray, recent)}
    with hub.state.engine.begin() as conn:
        conn.execute(storage.row_state.insert().values(
            table_name="attachment", row_id="row-n", park_id=None, sha256=digest[named], values={},
            field_hlcs={}, deleted=False))
        conn.execute(update(attachment).where(attachment.c.sha256.in_([digest[named], digest[stray]]))
                     .values(created_at=utc_now() - timedelta(days=1, minutes=1)))

    def held(app) -> set[str]:
        with app.state.engine.connect() as conn:
            return set(conn.execute(select(attachment.c.sha256)).scalars())

    restarted = create_app(url_db)  # at start
    assert held(restarted) == {digest[named], digest[recent]}

    # And on an upload, at most once an hour: here "now", with the recent one made old.
    with restarted.state.engine.begin() as conn:
        conn.execute(update(attachment).where(attachment.c.sha256 == digest[recent])
                     .values(created_at=utc_now() - timedelta(days=2)))
    monkeypatch.setattr("inspect_app.hub.app._UploadCleanup.EVERY_S", 0.0)
    with serve(restarted) as url:
        assert _put(url, token, JPEG + b"x").status_code == 201
    assert held(restarted) == {digest[named], hashlib.sha256(JPEG + b"x").hexdigest()}


def test_hub_serve_prints_where_its_log_goes(tmp_path):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "inspect_app", "--lang", "en", "hub", "serve", "--db",
                               str(tmp_path / "hub.db"), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ})
    try:
        first, second = server.stdout.readline(), server.stdout.readline()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert first.startswith("Hub listening on")
    assert second.startswith(f"Hub log (pushes, refusals, clean-ups): {config.log_dir() / 'parkinspect.log'};")
