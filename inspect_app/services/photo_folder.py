"""Photos in a folder a person picks from: a USB stick, a phone's DCIM, a synced folder.

Listing is one `os.scandir` (names, sizes, file times): a folder of 2,000 photos lists at once.
The time a photo was taken comes from its EXIF DateTimeOriginal, read one file at a time by
`taken_at` (only the file's header: Pillow decodes no pixels for it), which the picker calls
in a thread worker after the list is shown; until then, and for a photo without it, the file's
modification time stands in. Times are shown in China time (forms/china_time.py): a camera's
clock has no zone, so its EXIF time is taken as China time unless the photo names its offset.

Where a person starts: the folder they last picked from on this device (`local_setting`), then
the DCIM folders of removable drives (Windows: drive letters D: to Z:; macOS /Volumes; Linux
/media and /run/media), then the home Pictures folder.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import platformdirs

from db.attachment_files import MEDIA_TYPES
from db.local_settings import read_setting
from db.models import LocalSetting
from db.store import Store
from forms import china_time

LAST_FOLDER_KEY = "photo_folder"  # local_setting: the folder this device last picked photos from
IMAGE_SUFFIXES = frozenset(s for s, media in MEDIA_TYPES.items() if media.startswith("image/"))
EXIF_IFD = 0x8769
DATE_TIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011
DATE_TIME = 0x0132  # IFD0's "file changed" time: a fallback some cameras fill instead


@dataclass(frozen=True)
class FolderPhoto:
    path: Path
    size: int
    modified: datetime  # the file's time, aware (UTC)


def list_photos(folder: Path) -> list[FolderPhoto]:
    """The image files directly in `folder`, newest file time first. OSError is the caller's."""
    photos = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") or Path(entry.name).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                if not entry.is_file():
                    continue
                stat = entry.stat()
            except OSError:  # vanished or unreadable: not offered
                continue
            photos.append(FolderPhoto(Path(entry.path), stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC)))
    photos.sort(key=lambda p: (p.modified, p.path.name), reverse=True)
    return photos


def taken_at(path: Path) -> datetime | None:
    """When the photo was taken by its EXIF (aware), or None: no EXIF time, not readable."""
    from PIL import Image  # Pillow: when a folder's photos are read, in a worker

    try:
        with Image.open(path) as image:
            exif = image.getexif()
            sub = exif.get_ifd(EXIF_IFD)
            text = sub.get(DATE_TIME_ORIGINAL) or exif.get(DATE_TIME)
            offset = sub.get(OFFSET_TIME_ORIGINAL)
    except Exception:  # noqa: BLE001 - any unreadable file just has no EXIF time
        return None
    return _exif_time(text, offset)


def _exif_time(text: object, offset: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.strptime(text.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:  # "0000:00:00 00:00:00", blanks: cameras write those too
        return None
    zone = _offset_zone(offset) or china_time.zone()
    return moment.replace(tzinfo=zone)


def _offset_zone(offset: object) -> timezone | None:
    """EXIF's OffsetTimeOriginal ("+08:00") as a zone, or None."""
    if not isinstance(offset, str) or len(offset.strip("\x00 ")) != 6:
        return None
    text = offset.strip("\x00 ")
    try:
        sign = {"+": 1, "-": -1}[text[0]]
        hours, minutes = int(text[1:3]), int(text[4:6])
    except (KeyError, ValueError):
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def shown_time(moment: datetime) -> str:
    """How a photo's time reads on the picker: China time to the minute."""
    return china_time.local(moment).strftime("%Y-%m-%d %H:%M")


def shown_size(size: int) -> str:
    """A file's size as the picker shows it: "860 KB", "2.4 MB"."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


# --- where to start --------------------------------------------------------------------------------


def start_folders(store: Store | None = None, *, platform: str | None = None) -> list[Path]:
    """Folders worth offering first, each once, those that exist: the last one picked from, the
    DCIM folders (and their camera sub-folders) of removable drives, the home Pictures folder."""
    found: list[Path] = []
    last = last_folder(store) if store is not None else None
    if last is not None:
        found.append(last)
    for volume in removable_volumes(platform or sys.platform):
        dcim = volume / "DCIM"
        if _is_dir(dcim):
            found.append(dcim)
            found.extend(sorted(p for p in _subfolders(dcim)))
        else:
            found.append(volume)
    pictures = pictures_folder()
    if pictures is not None:
        found.append(pictures)
    unique: list[Path] = []
    for folder in found:
        if folder not in unique:
            unique.append(folder)
    return unique


def removable_volumes(platform: str) -> list[Path]:
    """Drives a USB stick, a camera's card or a phone shows up as (those that exist now)."""
    if platform == "win32":
        # C: is the system; A: and B: were floppies. Asking for a drive letter is cheap.
        candidates = [Path(f"{letter}:\\") for letter in "DEFGHIJKLMNOPQRSTUVWXYZ"]
        return [p for p in candidates if _is_dir(p)]
    if platform == "darwin":
        roots = [Path("/Volumes")]
    else:
        user = os.environ.get("USER") or os.environ.get("LOGNAME") or ""
        roots = [Path("/media") / user, Path("/run/media") / user, Path("/media"), Path("/mnt")]
    volumes: list[Path] = []
    for root in roots:
        for child in _subfolders(root):
            if child not in volumes and child not in roots:
                volumes.append(child)
    return volumes


def pictures_folder() -> Path | None:

    folder = Path(platformdirs.user_pictures_dir())
    return folder if _is_dir(folder) else None


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a drive letter with no disk in it
        return False


def _subfolders(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and _is_dir(p))
    except OSError:
        return []


# --- the last folder, per device ---------------------------------------------------------------------


def last_folder(store: Store) -> Path | None:
    """The folder this device last picked photos from, if it still exists."""
    with store.read_connection() as conn:
        value = read_setting(conn, LAST_FOLDER_KEY)
    if not value:
        return None
    folder = Path(value)
    return folder if _is_dir(folder) else None


def remember_folder(store: Store, folder: Path) -> None:
    """Offer `folder` first next time on this device (local: never synced)."""
    with store.transaction() as session:
        session.merge(LocalSetting(key=LAST_FOLDER_KEY, value=str(folder)))
