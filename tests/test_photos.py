"""Photos off a phone or camera: the kept copy (EXIF stripped, upright), the folder listing and
its EXIF times, the system viewer per platform, the notice's photos."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import func, select

from db.attachment_files import attachments_dir
from db.errors import UserError
from db.models import Attachment, AttachmentLink
from inspect_app.config import load_settings
from inspect_app.services import photo_folder, system_viewer
from inspect_app.services.attachments import attach_file, files_of
from tests.images import image_bytes

GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112


def camera_exif(*, orientation: int = 1, taken: str | None = "2026:11:20 09:15:00") -> Image.Exif:
    """EXIF as a phone writes it: where (GPS), which phone, how it was held, when."""
    exif = Image.Exif()
    exif[MAKE] = "Xiaomi"
    exif[ORIENTATION] = orientation
    if taken:
        exif.get_ifd(photo_folder.EXIF_IFD)[photo_folder.DATE_TIME_ORIGINAL] = taken
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (30.0, 42.0, 11.0), 3: "E", 4: (121.0, 1.0, 5.0)})
    return exif


def phone_photo(path: Path, *, size=(40, 20), **exif) -> Path:
    path.write_bytes(image_bytes("JPEG", size=size, exif=camera_exif(**exif), quality=90))
    return path


def stored(store, digest: str) -> Path:
    [path] = [p for p in attachments_dir(store).rglob(f"{digest}*")]
    return path


def count(store, model) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_the_kept_copy_has_no_gps_nor_other_exif_and_is_upright_the_original_untouched(store, tmp_path):
    # Orientation 6: the camera was turned; the pixels are stored sideways (40 wide, 20 high).
    original = phone_photo(tmp_path / "IMG_0012.jpg", orientation=6)
    before = original.read_bytes()
    digest = attach_file(store, path=original, owner_table="hazard", owner_id="h1")
    assert original.read_bytes() == before  # the person's file is never changed
    with Image.open(stored(store, digest)) as kept:
        assert kept.format == "JPEG"
        assert not kept.getexif() and "exif" not in kept.info  # no GPS, no make, no orientation tag
        assert kept.size == (20, 40)  # turned upright in the pixels instead
    with Image.open(original) as source:
        assert source.getexif().get_ifd(GPS_IFD)  # the test photo really carried GPS


def test_an_upright_jpeg_keeps_its_quality_tables(store, tmp_path):
    original = phone_photo(tmp_path / "IMG_0013.jpg", size=(64, 48))
    digest = attach_file(store, path=original, owner_table="hazard", owner_id="h1")
    with Image.open(original) as source, Image.open(stored(store, digest)) as kept:
        assert kept.quantization == source.quantization  # the same quality, not a second lossy pass
        assert not kept.getexif()


def test_with_stripping_off_the_exif_is_kept(store, tmp_path, monkeypatch):
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "parkinspect" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[photos]\nstrip_metadata = false\n", encoding="utf-8")
    original = phone_photo(tmp_path / "IMG_0014.jpg")
    strip = load_settings().strip_photo_metadata  # what the TUI and the CLI pass on
    assert strip is False
    digest = attach_file(store, path=original, owner_table="hazard", owner_id="h1", strip_metadata=strip)
    assert stored(store, digest).read_bytes() == original.read_bytes()
    with Image.open(stored(store, digest)) as kept:
        assert kept.getexif().get_ifd(GPS_IFD)


@pytest.mark.parametrize("content", [b"\xff\xd8\xff\xe0 not really a jpeg" * 10,  # the right first bytes
                                     image_bytes("JPEG", size=(64, 48))[:300]])  # cut off mid-download
def test_a_file_that_is_not_a_readable_image_is_refused_and_nothing_is_written(store, tmp_path, content):
    bad = tmp_path / "IMG_0015.jpg"
    bad.write_bytes(content)
    with pytest.raises(UserError) as refused:
        attach_file(store, path=bad, owner_table="hazard", owner_id="h1")
    assert refused.value.key == "errors.photo_unreadable" and "IMG_0015.jpg" in refused.value.message()
    assert count(store, Attachment) == 0 and count(store, AttachmentLink) == 0
    assert not attachments_dir(store).exists() or not any(attachments_dir(store).rglob("*.*"))


def test_heic_is_refused_while_stripping_is_on(store, tmp_path):
    heic = tmp_path / "IMG_0016.HEIC"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 100)
    with pytest.raises(UserError) as refused:
        attach_file(store, path=heic, owner_table="hazard", owner_id="h1")
    assert refused.value.key == "errors.photo_heic_strip"
    assert count(store, Attachment) == 0


def test_the_notice_embeds_the_stripped_copy(store, tmp_path, monkeypatch):
    from exports import notice_layout
    from exports.notice_layout import _thumbnail

    digest = attach_file(store, path=phone_photo(tmp_path / "IMG_0017.jpg"), owner_table="hazard", owner_id="h1")
    [file] = files_of(store, "hazard", "h1")
    assert file.sha256 == digest and file.path == stored(store, digest)  # what notices read

    embedded = []  # the bytes the notice's reportlab Image is made of
    monkeypatch.setattr(notice_layout, "Image", lambda data, **size: embedded.append(data.getvalue()))
    _thumbnail(file.path)()
    with Image.open(io.BytesIO(embedded[0])) as picture:
        assert picture.format == "JPEG" and not picture.getexif()


def test_the_folder_lists_newest_taken_first_by_exif_else_the_file_time(tmp_path):
    old_exif = phone_photo(tmp_path / "a.jpg", taken="2026:11:01 08:00:00")
    new_exif = phone_photo(tmp_path / "b.jpg", taken="2026:11:25 16:30:00")
    no_exif = tmp_path / "c.png"
    no_exif.write_bytes(image_bytes("PNG"))
    (tmp_path / "notes.txt").write_text("not a photo")
    # File times say the opposite of EXIF (copied off the phone in the wrong order).
    for path, stamp in ((old_exif, "2026-11-26T10:00:00"), (new_exif, "2026-11-26T09:00:00"),
                        (no_exif, "2026-11-10T12:00:00")):
        moment = datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()
        os.utime(path, (moment, moment))
    listed = photo_folder.list_photos(tmp_path)
    assert [p.path.name for p in listed] == ["a.jpg", "b.jpg", "c.png"]  # by file time, before EXIF is read
    taken = {p.path.name: photo_folder.taken_at(p.path) for p in listed}
    assert taken["c.png"] is None
    ordered = sorted(listed, key=lambda p: taken[p.path.name] or p.modified, reverse=True)
    assert [p.path.name for p in ordered] == ["b.jpg", "c.png", "a.jpg"]
    assert photo_folder.shown_time(taken["b.jpg"]) == "2026-11-25 16:30"  # a camera's clock: China time
    assert photo_folder.shown_time(listed[2].modified) == "2026-11-10 20:00"  # the file time in China time


def test_an_exif_time_with_its_offset_is_shown_in_china_time():
    moment = photo_folder._exif_time("2026:11:25 10:30:00", "+02:00")
    assert photo_folder.shown_time(moment) == "2026-11-25 16:30"
    assert photo_folder._exif_time("0000:00:00 00:00:00", None) is None


def test_the_last_folder_is_remembered_per_device_and_offered_first(store, tmp_path):
    assert photo_folder.last_folder(store) is None
    photo_folder.remember_folder(store, tmp_path)
    assert photo_folder.last_folder(store) == tmp_path
    assert photo_folder.start_folders(store)[0] == tmp_path


def test_removable_drives_are_drive_letters_on_windows(monkeypatch):
    present = {"E:\\", "F:\\"}
    monkeypatch.setattr(photo_folder, "_is_dir", lambda p: str(p) in present)
    assert [str(p) for p in photo_folder.removable_volumes("win32")] == ["E:\\", "F:\\"]


@pytest.mark.parametrize("platform, which, expected", [
    ("darwin", None, ["open"]),
    ("linux", "/usr/bin/xdg-open", ["/usr/bin/xdg-open"]),
    ("linux", None, None),
])
def test_the_system_viewer_command_per_platform(tmp_path, monkeypatch, platform, which, expected):
    photo = tmp_path / "p.jpg"
    photo.write_bytes(image_bytes("JPEG"))
    monkeypatch.setattr(system_viewer.shutil, "which", lambda name: which if name == "xdg-open" else None)
    started = []
    monkeypatch.setattr(system_viewer.subprocess, "Popen", lambda command, **kw: started.append(command))
    command = system_viewer.viewer_command(photo, platform)
    assert command == (None if expected is None else [*expected, str(photo)])
    if expected is None:
        with pytest.raises(UserError) as refused:
            system_viewer.open_in_viewer(photo, platform)
        assert refused.value.key == "errors.photo_no_viewer" and str(photo) in refused.value.message()
        assert started == []
    else:
        system_viewer.open_in_viewer(photo, platform)
        assert started == [command]


def test_windows_opens_with_the_associated_viewer(tmp_path, monkeypatch):
    photo = tmp_path / "p.jpg"
    photo.write_bytes(image_bytes("JPEG"))
    opened = []
    monkeypatch.setattr(system_viewer.os, "startfile", opened.append, raising=False)
    assert system_viewer.viewer_command(photo, "win32") is None
    system_viewer.open_in_viewer(photo, "win32")
    assert opened == [str(photo)]


def test_a_photo_is_drawn_in_half_blocks(tmp_path):
    from inspect_app.widgets.photo_thumbnail import half_blocks

    photo = tmp_path / "wide.png"
    photo.write_bytes(image_bytes("PNG", size=(40, 20)))
    drawn = half_blocks(photo, 20, 10)
    lines = drawn.plain.split("\n")
    assert len(lines) == 5 and {len(line) for line in lines} == {20}  # 20×10 pixels, two per cell
    assert half_blocks(tmp_path / "missing.png", 20, 10) is None
