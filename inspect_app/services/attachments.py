"""Photos and other evidence, kept once by content (sha256) beside the database.

A file given by path is checked (exists, readable, an image or PDF, at most MAX_BYTES); an image
is decoded and, by default, its kept copy made without EXIF and turned upright
(`services/photo_copies.py`; the person's file is never changed). The kept bytes are hashed and
written to `<database folder>/attachments/<sha[:2]>/<sha><suffix>` unless that content is already
there; the `attachment` row (unique sha256) is written once and an `attachment_link` ties it to
the record. The same photo attached twice is stored once.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from db.attachment_files import MEDIA_TYPES, attachments_dir, suffix_for
from db.durable import replace_durably, write_durably
from db.errors import UserError
from db.models import Attachment, AttachmentLink, Hazard
from db.store import Store
from inspect_app.services.photo_copies import kept_bytes

MAX_BYTES = 25 * 1024 * 1024
# Leading bytes of each kind, so that a renamed text file is not stored as a photo.
SIGNATURES = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",),
              "image/webp": (b"RIFF",), "application/pdf": (b"%PDF",), "image/heic": (b"",)}


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    path: Path
    media_type: str
    original_name: str | None
    caption: str | None


def check_file(path: str | Path) -> Path:
    """The file a person named, if it can be attached (exists, an image or PDF by name and by its
    first bytes, not empty, at most MAX_BYTES, an image that decodes); a refusal otherwise.
    Reads, writes nothing."""
    source = _named_file(path)
    kept_bytes(source, MEDIA_TYPES[source.suffix.lower()], strip=False)  # decodes: refuses a broken image
    return source


def _named_file(path: str | Path) -> Path:
    """check_file without decoding the image (attach_file decodes it once, as it makes the copy)."""
    source = Path(str(path).strip().strip('"').strip("'")).expanduser()
    if not source.is_file():
        raise UserError("errors.attachment_missing", field="photo", path=str(source))
    media_type = MEDIA_TYPES.get(source.suffix.lower())
    if media_type is None:
        raise UserError("errors.attachment_type", field="photo", suffix=source.suffix or "-")
    size = source.stat().st_size
    if size == 0 or size > MAX_BYTES:
        raise UserError("errors.attachment_size", field="photo", mb=MAX_BYTES // (1024 * 1024))
    with source.open("rb") as handle:
        head = handle.read(16)
    if not any(head.startswith(sig) for sig in SIGNATURES[media_type]):
        raise UserError("errors.attachment_type", field="photo", suffix=source.suffix)
    return source


def attach_file(store: Store, *, path: str | Path, owner_table: str, owner_id: str, caption: str | None = None,
                strip_metadata: bool = True) -> str:
    """Store the file (once) and link it to the record; return the sha256 of what is kept.
    `strip_metadata`: the office's choice (Settings.strip_photo_metadata, `[photos] strip_metadata`
    of config.toml); true, the privacy default, unless it says otherwise. Refusals write nothing."""
    source = _named_file(path)
    media_type = MEDIA_TYPES[source.suffix.lower()]
    cleaned = kept_bytes(source, media_type, strip=strip_metadata)
    if cleaned is None:  # kept exactly as given
        size = source.stat().st_size
        digest, head = _hash(source)
        if not any(head.startswith(sig) for sig in SIGNATURES[media_type]):  # changed since it was checked
            raise UserError("errors.attachment_type", field="photo", suffix=source.suffix)
        target = attachments_dir(store) / digest[:2] / f"{digest}{source.suffix.lower()}"
        _copy_once(source, target, digest)
    else:
        size = len(cleaned)
        digest = hashlib.sha256(cleaned).hexdigest()
        target = attachments_dir(store) / digest[:2] / f"{digest}{source.suffix.lower()}"
        if not (target.exists() and _hash(target)[0] == digest):
            write_durably(target, cleaned)
    with store.transaction() as session:
        if session.exec(select(Attachment).where(Attachment.sha256 == digest)).first() is None:
            session.add(Attachment(sha256=digest, size=size, media_type=media_type, original_name=source.name))
        linked = session.exec(select(AttachmentLink).where(
            AttachmentLink.attachment_sha256 == digest, AttachmentLink.owner_table == owner_table,
            AttachmentLink.owner_id == owner_id, AttachmentLink.deleted == False)).first()  # noqa: E712
        if linked is None:
            session.add(AttachmentLink(attachment_sha256=digest, owner_table=owner_table, owner_id=owner_id,
                                       caption=caption))
    return digest


def files_of(store: Store, owner_table: str, owner_id: str) -> list[StoredFile]:
    with store.read() as session:
        rows = session.exec(
            select(Attachment, AttachmentLink.caption)
            .join(AttachmentLink, AttachmentLink.attachment_sha256 == Attachment.sha256)
            .where(AttachmentLink.owner_table == owner_table, AttachmentLink.owner_id == owner_id,
                   AttachmentLink.deleted == False)  # noqa: E712
            .order_by(AttachmentLink.created_at)
        ).all()
    directory = attachments_dir(store)
    return [StoredFile(a.sha256, directory / a.sha256[:2] / f"{a.sha256}{suffix_for(a.original_name, a.media_type)}", a.media_type,
                       a.original_name, caption) for a, caption in rows]


def hazard_files(store: Store, hazard_id: str) -> list[StoredFile]:
    """A hazard's photos: those taken of its failed item during the inspection, then any added to
    the hazard itself (each once) — what its notice shows."""
    with store.read() as session:
        hazard = session.get(Hazard, hazard_id)
        result_id = hazard.check_result_id if hazard is not None else None
    files = files_of(store, "check_result", result_id) if result_id else []
    seen = {f.sha256 for f in files}
    return files + [f for f in files_of(store, "hazard", hazard_id) if f.sha256 not in seen]


def _hash(path: Path) -> tuple[str, bytes]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        head = handle.read(16)
        digest.update(head)
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest(), head


def _copy_once(source: Path, target: Path, digest: str) -> None:
    """Copy to the content-addressed place unless that content is already there (checked)."""
    if target.exists() and _hash(target)[0] == digest:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(source, partial)
    if _hash(partial)[0] != digest:  # the file changed while it was copied
        partial.unlink()
        raise UserError("errors.attachment_changed", field="photo")
    replace_durably(partial, target)
