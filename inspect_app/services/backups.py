"""This device's database and its photos, copied out (`parkinspect backup`) and put back
(`parkinspect restore`).

The copying, the checks and the refusals are db/backup.py's; this brings the file to the current
schema before it is copied, and names the photo folders on both sides so that the caller can say
what was copied from where to where.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from db.attachment_files import CopyReport, folder_beside
from db.backup import RestoreRefused, attachments_of_backup, backup_with_attachments, restore_file
from db.store import Store

__all__ = ["PhotoCopy", "RestoreDone", "RestoreRefused", "backup_database", "restore_database"]


@dataclass(frozen=True)
class PhotoCopy:
    report: CopyReport  # copied, already there, missing, damaged
    source: Path  # the attachments folder the photos came from
    target: Path  # the one they went to


@dataclass(frozen=True)
class RestoreDone:
    kept: Path | None  # where the replaced file was kept (None when there was none)
    photos: PhotoCopy


def backup_database(db_path: Path, target: Path) -> PhotoCopy:
    """A consistent copy of the database at `target`, its photos beside it. Store.open first: a
    backup is always of the current schema (and an unopenable file raises StoreOpenError here).
    A file or photo that cannot be written or read raises OSError."""
    Store.open(db_path).close()
    report = backup_with_attachments(db_path, target)
    return PhotoCopy(report, source=folder_beside(db_path), target=attachments_of_backup(target))


def restore_database(backup: Path, db_path: Path) -> RestoreDone:
    """`backup` in place of the database, its photos back into the attachments folder.
    RestoreRefused (nothing changed) for a file that is not a sound ParkInspect database, a
    database in use, or one whose hub holds changes the backup lacks; OSError when writing fails."""
    restored = restore_file(backup, db_path)
    photos = PhotoCopy(restored.photos, source=attachments_of_backup(backup), target=folder_beside(db_path))
    return RestoreDone(kept=restored.kept, photos=photos)
