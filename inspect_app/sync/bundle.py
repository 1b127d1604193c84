"""Sync bundles for offices without a network (docs/SYNC.md, "Bundles").

A bundle is a zip: `manifest.json` (format, version, source device, counts, sha256 of every other
member), `changes.jsonl` (one wire change a line: this device's outbox and every change it
received, so bundles relay) and `attachments/<sha256><suffix>` (the files of the attachment rows).
Import checks the whole file before writing anything: a file that is not a bundle, comes from a
newer version, is truncated or has any member that does not match its hash is refused whole.
Applying is the same merge as a pull, so importing a bundle twice changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from db.attachment_files import attachments_dir, find
from db.backup import BUNDLE_EXPORTED_SEQ_SETTING
from db.durable import replace_durably, write_durably
from db.errors import UserError
from db.store import Store
from inspect_app.sync.apply import ApplyResult, SyncFormatError, apply_page, check_change
from inspect_app.sync.changes import inbox_changes, outbox_page
from inspect_app.sync.retry import retry_unknown

FORMAT = "parkinspect-sync-bundle"
VERSION = 1
MANIFEST = "manifest.json"
CHANGES = "changes.jsonl"
ATTACHMENT_NAME = re.compile(r"^attachments/([0-9a-f]{64})(\.[a-z0-9]{1,8})?$")


@dataclass(frozen=True)
class ExportSummary:
    changes: int
    attachments: int


@dataclass(frozen=True)
class ImportSummary:
    result: ApplyResult
    attachments_added: int


def export_bundle(store: Store, target: Path | str, *, force: bool = False) -> ExportSummary:
    target = Path(target)
    if target.exists() and not force:
        raise UserError("sync.bundle_exists", file=str(target))
    changes = outbox_page(store, 0, 2**62) + inbox_changes(store)
    files = _attachment_files(store)
    partial = target.with_name(target.name + ".partial")
    members: dict[str, str] = {}
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            body = "".join(json.dumps(c, ensure_ascii=False, sort_keys=True) + "\n" for c in changes).encode()
            bundle.writestr(CHANGES, body)
            members[CHANGES] = hashlib.sha256(body).hexdigest()
            for name, path in files.items():
                data = path.read_bytes()
                bundle.writestr(name, data, compress_type=zipfile.ZIP_STORED)  # photos are compressed already
                members[name] = hashlib.sha256(data).hexdigest()
            manifest = {"format": FORMAT, "version": VERSION, "device_id": store.device_id,
                        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                        "counts": {"changes": len(changes), "attachments": len(files)}, "members": members}
            bundle.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        replace_durably(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UserError("sync.bundle_write_failed", file=str(target), reason=exc.strerror or str(exc)) from exc
    _remember_exported(store, max((c["device_seq"] for c in changes if c["device_id"] == store.device_id), default=0))
    return ExportSummary(len(changes), len(files))


def _remember_exported(store: Store, last_seq: int) -> None:
    """After the file is written: these changes have left the device (a restore checks this)."""
    if not last_seq:
        return
    with store.connect() as conn, conn:
        conn.execute(
            "INSERT INTO local_setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            (BUNDLE_EXPORTED_SEQ_SETTING, str(last_seq)))


def import_bundle(store: Store, source: Path | str) -> ImportSummary:
    """Check the whole bundle, then store its files and merge its changes; refusals write nothing."""
    source = Path(source)
    changes, files = read_bundle(source)
    added = _store_attachments(store, files)
    retried = retry_unknown(store)  # once after an upgrade, as the pull does (sync/retry.py)
    result = apply_page(store, changes)
    result.applied += retried.applied
    result.conflicts += retried.conflicts
    return ImportSummary(result, added)


def read_bundle(source: Path) -> tuple[list[dict], dict[str, bytes]]:
    """(changes, {attachment member name: bytes}) of a bundle whose every member checked out."""
    if not source.is_file():
        raise UserError("sync.bundle_missing", file=str(source))
    try:
        with zipfile.ZipFile(source) as bundle:
            manifest = _manifest(bundle, source)
            names = set(bundle.namelist()) - {MANIFEST}
            members = manifest["members"]
            if names != set(members):
                raise UserError("sync.bundle_corrupt", file=str(source), member=", ".join(sorted(names ^ set(members))))
            contents = {}
            for name in sorted(names):
                data = bundle.read(name)
                if hashlib.sha256(data).hexdigest() != members[name]:
                    raise UserError("sync.bundle_corrupt", file=str(source), member=name)
                contents[name] = data
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError, zlib.error,
            NotImplementedError) as exc:
        # ValueError/EOFError/zlib.error: a truncated or damaged member (bad CRC, cut-off or
        # corrupt deflate stream); NotImplementedError: a header byte now names a zip version or
        # compression method that zipfile does not know.
        # A file that does not even start like a zip is something else, not a damaged bundle.
        with source.open("rb") as handle:
            is_zip = handle.read(4) == b"PK\x03\x04"
        raise UserError("sync.bundle_unreadable" if is_zip else "sync.bundle_foreign", file=str(source)) from exc
    if CHANGES not in contents:
        raise UserError("sync.bundle_corrupt", file=str(source), member=CHANGES)
    files = {name: data for name, data in contents.items() if name != CHANGES}
    for name in files:  # a file is named by its content
        named = ATTACHMENT_NAME.match(name)
        if named is None or named.group(1) != hashlib.sha256(files[name]).hexdigest():
            raise UserError("sync.bundle_corrupt", file=str(source), member=name)
    changes = _changes(contents[CHANGES], source)
    if len(changes) != manifest["counts"].get("changes") or len(files) != manifest["counts"].get("attachments"):
        raise UserError("sync.bundle_corrupt", file=str(source), member=MANIFEST)
    return changes, files


def _manifest(bundle: zipfile.ZipFile, source: Path) -> dict:
    try:
        manifest = json.loads(bundle.read(MANIFEST))
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError("sync.bundle_foreign", file=str(source)) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UserError("sync.bundle_foreign", file=str(source))
    version = manifest.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise UserError("sync.bundle_newer", file=str(source), version=str(version))
    if not isinstance(manifest.get("members"), dict) or not isinstance(manifest.get("counts"), dict):
        raise UserError("sync.bundle_corrupt", file=str(source), member=MANIFEST)
    return manifest


def _changes(body: bytes, source: Path) -> list[dict]:
    changes = []
    try:
        for line in body.decode("utf-8").splitlines():
            if line.strip():
                change = json.loads(line)
                if not isinstance(change, dict):
                    raise SyncFormatError("not an object")
                check_change(change)
                changes.append(change)
    except (UnicodeDecodeError, json.JSONDecodeError, SyncFormatError) as exc:
        raise UserError("sync.bundle_corrupt", file=str(source), member=CHANGES) from exc
    return changes


def _attachment_files(store: Store) -> dict[str, Path]:
    """{member name: file} for every stored attachment file (content-addressed, checked by hash on import)."""
    folder = attachments_dir(store)
    with store.connect() as conn:
        hashes = [row[0] for row in conn.execute("SELECT sha256 FROM attachment ORDER BY sha256")]
    files = {}
    for digest in hashes:
        found = find(folder, digest)
        if found is not None:
            files[f"attachments/{found.name}"] = found
    return files


def _store_attachments(store: Store, files: dict[str, bytes]) -> int:
    """Write the files not already here (content-addressed: a file present is the same file)."""
    folder = attachments_dir(store)
    added = 0
    for name, data in files.items():
        digest = ATTACHMENT_NAME.match(name).group(1)
        target = folder / digest[:2] / name.removeprefix("attachments/")
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == digest:
            continue
        write_durably(target, data)
        added += 1
    return added
