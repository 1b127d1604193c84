"""The photo picker and viewer in the TUI, driven with Pilot at 80×24."""

from __future__ import annotations

import threading

from textual.widgets import DataTable, Input

from inspect_app.app import make_app
from inspect_app.screens.inspection import InspectionScreen
from inspect_app.screens.photo_picker import PhotoPickerScreen
from inspect_app.screens.photo_viewer import PhotoViewerScreen
from inspect_app.services import photo_folder, system_viewer
from inspect_app.services.attachments import files_of
from tests.conftest import TODAY
from tests.images import image_bytes
from tests.pilot import settle
from tests.test_tui_inspection import SIZE, me, start_from_ledger, tenant  # noqa: F401 - fixtures

SLOW_FOLDER = 2000


def folder_of_photos(folder, n: int, *, same: bytes | None = None):
    folder.mkdir(exist_ok=True)
    for i in range(n):
        (folder / f"IMG_{i:04d}.jpg").write_bytes(same or image_bytes("JPEG", seed=i))
    return folder


async def test_space_selects_several_and_enter_attaches_them_all(store, park, tenant, me, tmp_path,  # noqa: F811
                                                                 monkeypatch):
    folder = folder_of_photos(tmp_path / "DCIM", 3)
    monkeypatch.setattr(photo_folder, "start_folders", lambda store: [folder])
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        walk = await start_from_ledger(app, pilot)
        item = walk.results[0]
        await pilot.press("a")
        await settle(app, pilot)
        picker = app.screen
        assert isinstance(picker, PhotoPickerScreen)
        assert picker.query_one("#picker-list", DataTable).row_count == 3 and picker.exif_done
        await pilot.press("space", "space")  # the first two
        await pilot.pause()
        assert len(picker.chosen) == 2
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is walk
        assert "照片 2 张" in str(walk.query_one("#detail").render())
        await pilot.press("v")  # and see them
        await settle(app, pilot)
        viewer = app.screen
        assert isinstance(viewer, PhotoViewerScreen)
        assert viewer.query_one("#viewer-list", DataTable).row_count == 2
        opened = []
        monkeypatch.setattr(system_viewer, "viewer_command", lambda path, platform=None: ["viewer", str(path)])
        monkeypatch.setattr(system_viewer.subprocess, "Popen", lambda command, **kw: opened.append(command))
        monkeypatch.setattr(system_viewer.sys, "platform", "linux")
        await pilot.press("o")
        await pilot.pause()
        assert len(opened) == 1 and opened[0][1] == str(viewer.files[0].path)
    # Newest first: the two written last.
    assert sorted(f.original_name for f in files_of(store, "check_result", item.id)) == ["IMG_0001.jpg",
                                                                                          "IMG_0002.jpg"]
    assert photo_folder.last_folder(store) == folder  # offered first next time on this device


async def test_one_unreadable_photo_among_the_chosen_attaches_none(store, park, tenant, me, tmp_path,  # noqa: F811
                                                                   monkeypatch):
    folder = folder_of_photos(tmp_path / "DCIM", 2)
    (folder / "IMG_0001.jpg").write_bytes(b"\xff\xd8\xff\xe0 a broken download")
    monkeypatch.setattr(photo_folder, "start_folders", lambda store: [folder])
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        walk = await start_from_ledger(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        picker = app.screen
        await pilot.press("ctrl+a", "enter")
        await settle(app, pilot)
        assert app.screen is picker
        status = picker.query_one("#picker-status")
        assert status.has_class("-error") and "IMG_0001.jpg" in str(status.render())
        assert files_of(store, "check_result", walk.results[0].id) == []


async def test_the_list_shows_before_the_exif_of_a_large_folder_is_read(store, park, tenant, me, tmp_path,  # noqa: F811
                                                                         monkeypatch):
    folder = folder_of_photos(tmp_path / "DCIM", SLOW_FOLDER, same=image_bytes("JPEG"))
    monkeypatch.setattr(photo_folder, "start_folders", lambda store: [folder])
    release, read = threading.Event(), []
    real_taken_at = photo_folder.taken_at

    def slow_taken_at(path):  # the first batch at once, then EXIF reading waits until released
        if len(read) >= 50:
            release.wait(30)
        read.append(path)
        return real_taken_at(path)

    monkeypatch.setattr(photo_folder, "taken_at", slow_taken_at)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        walk = await start_from_ledger(app, pilot)
        await pilot.press("a")
        for _ in range(5):
            await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PhotoPickerScreen)
        table = picker.query_one("#picker-list", DataTable)
        assert table.row_count == SLOW_FOLDER and not picker.exif_done and len(read) < SLOW_FOLDER
        await pilot.press("down", "space")  # the screen answers keys meanwhile
        await pilot.pause()
        assert len(picker.chosen) == 1
        release.set()
        await settle(app, pilot)
        assert picker.exif_done and len(read) == SLOW_FOLDER
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is walk


async def test_tab_completes_the_folder_path(store, park, tenant, me, tmp_path, monkeypatch):  # noqa: F811
    folder = folder_of_photos(tmp_path / "相机照片", 1)
    monkeypatch.setattr(photo_folder, "start_folders", lambda store: [])
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await start_from_ledger(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        picker = app.screen
        box = picker.query_one("#picker-path", Input)
        assert picker.focused is box
        box.value = str(tmp_path / "相机")
        box.cursor_position = len(box.value)
        await settle(app, pilot)
        await pilot.press("tab")
        await pilot.pause()
        assert box.value == str(folder) + "/" and picker.focused is box
        await pilot.press("enter")
        await settle(app, pilot)
        assert picker.query_one("#picker-list", DataTable).row_count == 1
        assert isinstance(app.screen, PhotoPickerScreen) and not isinstance(app.screen, InspectionScreen)
