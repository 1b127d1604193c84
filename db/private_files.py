"""Database files readable by their owner only: 0600 files in 0700 folders.

A device database holds tenants' contacts and inspection records, a hub database every park's;
other accounts on the same machine have no business reading them. SQLite creates a new file with
0644 (less the umask), and gives its `-wal`, `-shm` and `-journal` files the mode of the database
file, so creating the database file ourselves, empty and 0600, before SQLite opens it makes the
whole set private. Folders are made 0700 only when the app creates them: a folder that exists
already (the user's home, a shared drive) is the user's and is left as it is. On Windows the
modes mean little; the user profile's ACLs do the job there.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from db.durable import fsync_folder

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_private_folder(folder: Path) -> None:
    """Create `folder` and its missing parents as 0700 (`Path.mkdir(parents=True, mode=…)` gives
    the mode to the last folder only); folders that exist are not touched."""
    folder = Path(folder)
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for each in reversed(missing):
        try:
            each.mkdir(mode=FOLDER_MODE)
        except FileExistsError:  # made at the same moment by another process
            pass


def create_private_file(path: Path) -> bool:
    """Create `path` empty with mode 0600 unless it exists (then it is left as it is); its folder
    is created 0700 when missing. True when the file was created."""
    path = Path(path)
    make_private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def write_private_file(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all, readable by its owner only (a private key): a 0600
    temporary file in the same folder, flushed, renamed over `path`, the folder flushed."""
    path = Path(path)
    make_private_folder(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600 from the start
    try:
        os.chmod(tmp, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)
