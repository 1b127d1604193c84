"""Files that survive a power cut: data flushed to disk before a rename makes it the real file,
and the folder flushed after, so the new name itself is on disk.

Photos (content-addressed beside the database), bundles, backups and restores use these. Opened
for writing to flush: Windows refuses to flush a read-only handle.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_file(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def fsync_folder(folder: Path) -> None:
    if os.name != "posix":  # Windows cannot open a folder; a rename on NTFS is journalled
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_durably(partial: Path, target: Path) -> None:
    """Make the finished `partial` file `target`: its data on disk first, then the rename."""
    fsync_file(partial)
    partial.replace(target)
    fsync_folder(target.parent)


def write_durably(target: Path, data: bytes) -> None:
    """Write `target` whole or not at all: a cut leaves at most a `.partial` beside it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    replace_durably(partial, target)
