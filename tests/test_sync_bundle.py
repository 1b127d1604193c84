"""Sync bundles (docs/SYNC.md, "Bundles"): export, import, refusals that write nothing."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from db.attachment_files import attachments_dir
from db.errors import UserError
from db.models import Attachment, AttachmentLink, Tenant
from db.store import Store
from inspect_app.cli import main
from inspect_app.services.attachments import attach_file
from inspect_app.sync.bundle import MANIFEST, export_bundle, import_bundle
from tests.images import PNG
from tests.test_sync_merge import edit, make_park, make_tenant, rows, snapshot


@pytest.fixture
def office(devices, tmp_path):
    """Device A with a park, a tenant, an edit and a photo; device B empty."""
    return make_office(devices, tmp_path)


def make_office(devices, tmp_path):
    a, b = devices.new("a"), devices.new("b")
    tenant = make_tenant(a, make_park(a).id)
    edit(a, Tenant, tenant.id, headcount=12)
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    attach_file(a, path=photo, owner_table="tenant", owner_id=tenant.id, caption="门口")
    return a, b


def stored_files(store: Store) -> list[str]:
    folder = attachments_dir(store)
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def rewrite(source: Path, target: Path, change) -> None:
    """Copy a bundle, letting `change(name, data)` alter members (returns new bytes or None to drop)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = change(name, old.read(name))
            if data is not None:
                new.writestr(name, data)


def test_a_bundle_carries_data_and_photos_and_a_second_import_changes_nothing(office, tmp_path):
    a, b = office
    bundle = tmp_path / "a.zip"
    summary = export_bundle(a, bundle)
    assert summary.attachments == 1 and summary.changes > 0
    first = import_bundle(b, bundle)
    assert first.result.applied == summary.changes and first.attachments_added == 1
    assert snapshot(b) == snapshot(a)
    assert stored_files(b) == stored_files(a) != []
    assert [(link.caption, link.owner_id) for link in rows(b, AttachmentLink)] == [("门口", rows(a, Tenant)[0].id)]
    before = snapshot(b)
    again = import_bundle(b, bundle)
    assert again.result.applied == 0 and again.result.duplicates == summary.changes and again.attachments_added == 0
    assert snapshot(b) == before


def test_a_bundle_relays_what_its_device_received(office, devices, tmp_path):
    a, b = office
    c = devices.new("c")
    export_bundle(a, tmp_path / "a.zip")
    import_bundle(b, tmp_path / "a.zip")
    export_bundle(b, tmp_path / "b.zip")  # B made no change of its own
    import_bundle(c, tmp_path / "b.zip")
    assert snapshot(c) == snapshot(a)
    assert len(rows(c, Attachment)) == 1 and stored_files(c) == stored_files(a)


def test_export_refuses_to_overwrite_without_force(office, tmp_path):
    a, _ = office
    target = tmp_path / "a.zip"
    target.write_bytes(b"keep me")
    with pytest.raises(UserError) as refused:
        export_bundle(a, target)
    assert refused.value.key == "sync.bundle_exists" and target.read_bytes() == b"keep me"
    export_bundle(a, target, force=True)
    assert zipfile.is_zipfile(target)


def _tamper_changes(name: str, data: bytes) -> bytes:
    if name != "changes.jsonl":
        return data
    return data.replace(b'"headcount": 12', b'"headcount": 99')


@pytest.mark.parametrize(("change", "key"), [
    (_tamper_changes, "sync.bundle_corrupt"),
    (lambda name, data: data[:-3] + b"xyz" if name.startswith("attachments/") else data, "sync.bundle_corrupt"),
    (lambda name, data: None if name.startswith("attachments/") else data, "sync.bundle_corrupt"),
    (lambda name, data: None if name == MANIFEST else data, "sync.bundle_foreign"),
    (lambda name, data: json.dumps({**json.loads(data), "version": 99}).encode() if name == MANIFEST else data,
     "sync.bundle_newer"),
])
def test_a_changed_bundle_is_refused_whole_and_nothing_is_written(office, tmp_path, change, key):
    a, b = office
    export_bundle(a, tmp_path / "a.zip")
    rewrite(tmp_path / "a.zip", tmp_path / "bad.zip", change)
    before = snapshot(b)
    with pytest.raises(UserError) as refused:
        import_bundle(b, tmp_path / "bad.zip")
    assert refused.value.key == key
    assert snapshot(b) == before and stored_files(b) == []
    with b.read_connection() as conn:
        assert conn.execute("SELECT count(*) FROM applied_change").fetchone()[0] == 0


def test_a_tampered_change_is_caught_by_its_hash(office, tmp_path):
    """The tamper above really changes the member (so the refusal is the hash check's doing)."""
    a, _ = office
    export_bundle(a, tmp_path / "a.zip")
    with zipfile.ZipFile(tmp_path / "a.zip") as bundle:
        body = bundle.read("changes.jsonl")
    assert _tamper_changes("changes.jsonl", body) != body


def test_a_truncated_bundle_is_refused(office, tmp_path):
    a, b = office
    export_bundle(a, tmp_path / "a.zip")
    data = (tmp_path / "a.zip").read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError) as refused:
        import_bundle(b, tmp_path / "cut.zip")
    assert refused.value.key == "sync.bundle_unreadable"
    assert rows(b, Tenant) == []


def test_a_foreign_file_is_refused(office, tmp_path):
    _, b = office
    other = tmp_path / "photos.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("IMG_0001.jpg", b"\xff\xd8\xff")
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a bundle")
    for path in (other, text_file):
        with pytest.raises(UserError) as refused:
            import_bundle(b, path)
        assert refused.value.key == "sync.bundle_foreign"
    assert rows(b, Tenant) == []


def test_cli_export_and_import_bundle(office, tmp_path, capsys):
    a, b = office
    bundle = tmp_path / "a.zip"
    assert main(["--db", str(a.path), "sync", "export-bundle", str(bundle)]) == 0
    assert "已导出离线包" in capsys.readouterr().out
    assert main(["--db", str(b.path), "--lang", "en", "sync", "import-bundle", str(bundle), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["applied"] > 0 and report["attachments"] == 1
    assert main(["--db", str(b.path), "sync", "import-bundle", str(tmp_path / "missing.zip")]) == 2
    assert "找不到离线包" in capsys.readouterr().err


def test_bare_sync_says_no_hub_is_configured(db_path, capsys):
    assert main(["--db", str(db_path), "--lang", "en", "sync"]) == 2
    assert "No hub is configured" in capsys.readouterr().err


def test_the_same_photo_attached_offline_on_two_devices_is_kept_once_per_device(devices, tmp_path):
    a, b = devices.new("a"), devices.new("b")
    tenant = make_tenant(a, make_park(a).id)
    export_bundle(a, tmp_path / "a0.zip")
    import_bundle(b, tmp_path / "a0.zip")
    photo = tmp_path / "同一张.png"
    photo.write_bytes(PNG)
    for store in (a, b):
        attach_file(store, path=photo, owner_table="tenant", owner_id=tenant.id, caption=store.device_id)
    export_bundle(b, tmp_path / "b.zip")
    imported = import_bundle(a, tmp_path / "b.zip")
    assert imported.result.kept == 1  # B's attachment row: same content, unique sha256 already held
    assert len(rows(a, Attachment)) == 1
    assert sorted(link.caption for link in rows(a, AttachmentLink)) == sorted([a.device_id, b.device_id])
    with a.read_connection() as conn:
        problem = conn.execute("SELECT problem FROM applied_change WHERE table_name = 'attachment'").fetchone()[0]
    assert problem.startswith("unique:")


def test_a_device_holding_only_merged_rows_passes_the_check(office, tmp_path):
    from inspect_app.services.maintenance import check_database

    a, b = office
    export_bundle(a, tmp_path / "a.zip")
    import_bundle(b, tmp_path / "a.zip")
    report = check_database(b.path)
    assert report["ok"], report["problems"]
