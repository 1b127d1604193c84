"""Open a file in the system's own viewer: the photo at full size, zoomable, beside the app.

Windows `os.startfile` (the viewer the file type is associated with), macOS `open`, elsewhere
`xdg-open` when it is installed. A machine with none (a server, a bare Linux) gets a refusal a
person reads, naming where the file is so it can be copied off.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from db.errors import UserError


def viewer_command(path: Path, platform: str | None = None) -> list[str] | None:
    """The command that opens `path` on this platform; None on Windows (os.startfile does) or
    where no opener is installed."""
    platform = platform or sys.platform
    if platform == "win32":
        return None
    if platform == "darwin":
        return ["open", str(path)]
    opener = shutil.which("xdg-open")
    return [opener, str(path)] if opener else None


def open_in_viewer(path: Path, platform: str | None = None) -> None:
    """Hand `path` to the system's viewer and return at once; UserError when there is none."""
    platform = platform or sys.platform
    if not path.is_file():
        raise UserError("errors.photo_file_missing", path=str(path))
    try:
        if platform == "win32":
            os.startfile(str(path))  # noqa: S606 - the associated viewer; no shell involved
            return
        command = viewer_command(path, platform)
        if command is None:
            raise UserError("errors.photo_no_viewer", path=str(path))
        # Its own session, output discarded: the viewer must neither draw over the TUI nor die with it.
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,  # noqa: S603
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise UserError("errors.photo_viewer_failed", path=str(path), reason=exc.strerror or str(exc)) from None
