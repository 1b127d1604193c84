"""The attachments folder beside a database: photos and PDFs kept once, named by their sha256.

Layout: `<database folder>/attachments/<sha[:2]>/<sha><suffix>`. A file is written whole or not at
all (`db.durable.write_durably`: a cut leaves at most a `.partial`), and never changed afterwards,
so copying between two such folders only ever adds files. Backup and restore use `copy_named` to
carry the files a database names along with it.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from db.durable import replace_durably

if TYPE_CHECKING:
    from db.store import Store

FOLDER_NAME = "attachments"
SHA256 = re.compile(r"[0-9a-f]{64}")  # a name that is anything else is never looked up as a path
# The kinds of file a device keeps as evidence, by suffix (the services check what is attached,
# the sync names files it receives by them).
MEDIA_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".heic": "image/heic",
               ".webp": "image/webp", ".pdf": "application/pdf"}


def folder_beside(db_path: Path) -> Path:
    return Path(db_path).parent / FOLDER_NAME


def attachments_dir(store: Store) -> Path:
    """The attachments folder of an open database."""
    return folder_beside(store.path)


def suffix_for(original_name: str | None, media_type: str | None) -> str:
    """The file suffix a stored attachment gets: its original name's, else its media type's."""
    return Path(original_name or "").suffix.lower() or next(
        (s for s, m in MEDIA_TYPES.items() if m == media_type), "")


def find(folder: Path, digest: str) -> Path | None:
    """The complete file of this content in `folder`, or None (also for a name that is no sha256)."""
    if not SHA256.fullmatch(digest):
        return None
    sub = folder / digest[:2]
    if not sub.is_dir():
        return None
    found = sorted(p for p in sub.glob(f"{digest}*") if not p.name.endswith(".partial"))
    return found[0] if found else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def named_by(db_file: Path) -> list[str]:
    """sha256 of every attachment the database's `attachment` table names."""
    conn = sqlite3.connect(f"{Path(db_file).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("SELECT sha256 FROM attachment ORDER BY sha256")]
    except sqlite3.OperationalError:  # a file from before attachments existed
        return []
    finally:
        conn.close()


@dataclass
class CopyReport:
    copied: int = 0
    already_there: int = 0
    missing: list[str] = field(default_factory=list)  # named by the database, not in the source folder
    damaged: list[str] = field(default_factory=list)  # in the source folder, but its content is not its name


def copy_named(db_file: Path, source: Path, target: Path) -> CopyReport:
    """Copy into `target` each file `db_file` names that `target` lacks, checking its content.

    A file already in `target` under its name is kept (content-addressed: the same name is the
    same content). A source file whose sha256 is not its name is not copied and is reported, as
    is a named file the source lacks. OSError (disk full, no permission) is the caller's.
    """
    report = CopyReport()
    for digest in named_by(db_file):
        if not SHA256.fullmatch(digest):  # a crafted file ("../../x"): never made into a path
            report.damaged.append(digest)
            continue
        if find(target, digest) is not None:
            report.already_there += 1
            continue
        origin = find(source, digest)
        if origin is None:
            report.missing.append(digest)
            continue
        destination = target / digest[:2] / origin.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".partial")
        shutil.copyfile(origin, partial)
        if sha256_of(partial) != digest:
            partial.unlink()
            report.damaged.append(digest)
            continue
        replace_durably(partial, destination)
        report.copied += 1
    return report
