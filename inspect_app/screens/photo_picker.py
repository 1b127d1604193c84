"""Pick photos off a phone, a camera's card or a USB stick and attach them to a record.

The path box names a folder (Tab completes it; the places list under it offers the last folder
used on this device, the DCIM folders of removable drives and the home Pictures folder). The
folder's images are listed at once, newest file first, from one directory scan; the time each was
taken (EXIF) is then read in a thread worker, a batch at a time, and the list re-sorted by it
when all are read — a folder of 2,000 photos shows its first rows at once and never freezes the
screen. Space selects (several at once), Enter or `a` attaches the selected ones (the highlighted
one when none is selected). A file path typed or pasted into the box is attached as it is.

Attaching checks every chosen file first (a file that is not a readable image is named and
nothing is attached), then copies each in a thread worker (decoding, turning upright and
stripping EXIF a 12-megapixel photo takes a moment). Dismisses with the number attached, or None.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Header, Input, Select
from textual.worker import get_current_worker

from forms.i18n import t
from inspect_app.screens.base import AppScreen
from inspect_app.screens.ledger_import import PathSuggester
from inspect_app.services import photo_folder
from inspect_app.services.attachments import attach_file, check_file
from inspect_app.services.errors import UserError
from inspect_app.services.photo_folder import FolderPhoto
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.plain import DataTable, Label, Static, as_typed

EXIF_BATCH = 50  # photos whose EXIF time is read between two updates of the list
MARK_WIDTH = 2
TIME_WIDTH = 16  # "2026-11-26 14:03"
SIZE_WIDTH = 8


class PhotoPickerScreen(AppScreen[int | None]):
    DEFAULT_CSS = """
    PhotoPickerScreen #picker-title { height: 1; padding: 0 1; text-style: bold; }
    PhotoPickerScreen #picker-path-line { height: 1; padding: 0 1; }
    PhotoPickerScreen #picker-path-line Label { width: auto; padding-right: 1; }
    PhotoPickerScreen #picker-path { width: 1fr; }
    PhotoPickerScreen #picker-places { margin: 0 1; }
    PhotoPickerScreen #picker-list { height: 1fr; }
    PhotoPickerScreen #picker-status { height: auto; max-height: 3; padding: 0 1; }
    PhotoPickerScreen #picker-status.-error { color: $error; text-style: bold; }
    """
    # The list, not the path box composed above it, has the focus from the first moment: an Enter
    # typed right behind the `a` that opened the picker takes the newest photo (on_mount decides after).
    AUTO_FOCUS = "#picker-list"
    BINDINGS = [
        Binding("space", "toggle", "tui.photos.toggle", id="photos.toggle"),
        Binding("a", "attach", "tui.photos.attach", id="photos.attach"),
        Binding("ctrl+a", "select_all", "tui.photos.select_all", id="photos.select_all", show=False),
        # Tab completes the path box (its own binding, so the app's focus move steps aside).
        Binding("tab", "complete", "tui.photos.complete", id="photos.complete", show=False),
        Binding("escape", "back", "tui.common.back", id="photos.back"),
    ]

    def __init__(self, owner_table: str, owner_id: str, subject: str):
        super().__init__()
        self.owner_table = owner_table
        self.owner_id = owner_id
        self.subject = subject
        self.folder: Path | None = None
        self.photos: list[FolderPhoto] = []
        self.taken: dict[Path, object] = {}  # path -> datetime | None, once its EXIF is read
        self.chosen: set[Path] = set()
        self.exif_done = False
        self.attaching = False
        self._generation = 0  # a newer listing makes an older worker's results stale

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.photos.pick_title", subject=self.subject), id="picker-title")
        with Horizontal(id="picker-path-line"):
            yield Label(t("tui.photos.folder"))
            yield Input(id="picker-path", compact=True, suggester=PathSuggester(),
                        placeholder=t("tui.photos.path_placeholder"))
        yield Select([], id="picker-places", compact=True, prompt=t("tui.photos.places"))
        yield DataTable(id="picker-list", cursor_type="row", zebra_stripes=True)
        yield Static("", id="picker-status")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#picker-list", DataTable)
        for key, width in (("mark", MARK_WIDTH), ("taken", TIME_WIDTH), ("size", SIZE_WIDTH), ("name", None)):
            table.add_column(t(f"tui.photos.col_{key}"), key=key, width=width)
        starts = photo_folder.start_folders(self.app.store)
        self.query_one("#picker-places", Select).set_options([(as_typed(str(p)), str(p)) for p in starts])
        if starts:
            self.show_folder(starts[0])
            table.focus()
        else:
            self._status(t("tui.photos.no_start"))
            self.query_one("#picker-path", Input).focus()

    # --- the folder --------------------------------------------------------------------------------

    @on(Input.Submitted, "#picker-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip().strip("'\"")
        if not text:
            return
        path = Path(text).expanduser()
        if path.is_dir():
            self.show_folder(path)
            self.query_one("#picker-list", DataTable).focus()
        elif path.is_file():  # a pasted file path: attached as it is
            self.attach_paths([path])
        else:
            self._status(t("tui.photos.no_such_path", path=str(path)), error=True)

    @on(Select.Changed, "#picker-places")
    def _place_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and Path(event.value) != self.folder:
            self.show_folder(Path(event.value))

    def show_folder(self, folder: Path) -> None:
        """List the folder's images at once (file times); EXIF times follow from a worker."""
        try:
            photos = photo_folder.list_photos(folder)
        except OSError as exc:
            self._status(t("tui.photos.folder_unreadable", folder=str(folder), reason=exc.strerror or str(exc)),
                         error=True)
            return
        self._generation += 1
        self.folder, self.photos, self.taken, self.chosen = folder, photos, {}, set()
        self.exif_done = not photos
        path_input = self.query_one("#picker-path", Input)
        path_input.value = str(folder)
        path_input.cursor_position = len(path_input.value)
        self._fill_table()
        if photos:
            photo_folder.remember_folder(self.app.store, folder)
            self._status(t("tui.photos.listed", count=len(photos), folder=str(folder)))
            self._read_exif(self._generation, [p.path for p in photos])
        else:
            self._status(t("tui.photos.no_photos", folder=str(folder)))

    def _fill_table(self, keep: Path | None = None) -> None:
        table = self.query_one("#picker-list", DataTable)
        table.clear()
        for photo in self.photos:
            table.add_row(*self._cells(photo), key=str(photo.path))
        if keep is not None and self.photos:
            table.move_cursor(row=table.get_row_index(str(keep)))

    def _cells(self, photo: FolderPhoto) -> list[Text]:
        taken = self.taken.get(photo.path)
        # Until its EXIF is read (or when it has none), a photo shows its file time, dimmed.
        time = Text(photo_folder.shown_time(taken or photo.modified), style="" if taken else "dim")
        return [Text("✓" if photo.path in self.chosen else "", style="bold green"), time,
                Text(photo_folder.shown_size(photo.size), justify="right"), Text(photo.path.name)]

    @work(thread=True, exclusive=True, group="photo-exif")
    def _read_exif(self, generation: int, paths: list[Path]) -> None:
        worker = get_current_worker()
        for start in range(0, len(paths), EXIF_BATCH):
            if worker.is_cancelled:
                return
            batch = {path: photo_folder.taken_at(path) for path in paths[start:start + EXIF_BATCH]}
            self.app.call_from_thread(self._exif_read, generation, batch)
        self.app.call_from_thread(self._exif_finished, generation)

    def _exif_read(self, generation: int, batch: dict) -> None:
        if generation != self._generation:
            return
        self.taken.update(batch)
        table = self.query_one("#picker-list", DataTable)
        for photo in self.photos:
            if photo.path in batch and batch[photo.path] is not None:
                table.update_cell(str(photo.path), "taken", self._cells(photo)[1])

    def _exif_finished(self, generation: int) -> None:
        """Every time is known: newest taken first (the file time for a photo without EXIF)."""
        if generation != self._generation:
            return
        self.exif_done = True
        current = self._highlighted()
        self.photos.sort(key=lambda p: (self.taken.get(p.path) or p.modified, p.path.name), reverse=True)
        self._fill_table(keep=current.path if current else None)

    # --- choosing -----------------------------------------------------------------------------

    def _highlighted(self) -> FolderPhoto | None:
        table = self.query_one("#picker-list", DataTable)
        if not self.photos or not 0 <= table.cursor_row < len(self.photos):
            return None
        return self.photos[table.cursor_row]

    def action_toggle(self) -> None:
        photo = self._highlighted()
        if photo is None:
            return
        self.chosen ^= {photo.path}
        table = self.query_one("#picker-list", DataTable)
        table.update_cell(str(photo.path), "mark", self._cells(photo)[0])
        table.action_cursor_down()
        self._status(t("tui.photos.chosen", count=len(self.chosen)))

    def action_select_all(self) -> None:
        self.chosen = set() if len(self.chosen) == len(self.photos) else {p.path for p in self.photos}
        table = self.query_one("#picker-list", DataTable)
        for photo in self.photos:
            table.update_cell(str(photo.path), "mark", self._cells(photo)[0])
        self._status(t("tui.photos.chosen", count=len(self.chosen)))

    @on(DataTable.RowSelected, "#picker-list")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_attach()

    def action_attach(self) -> None:
        if self.chosen:
            paths = [p.path for p in self.photos if p.path in self.chosen]  # in the list's order
        else:
            photo = self._highlighted()
            paths = [photo.path] if photo else []
        if paths:
            self.attach_paths(paths)

    def action_complete(self) -> None:
        path_input = self.query_one("#picker-path", Input)
        if self.focused is path_input and path_input.cursor_at_end and path_input._suggestion:
            path_input.action_cursor_right()  # takes the suggested completion
        else:
            self.focus_next()

    # --- attaching ----------------------------------------------------------------------------

    def attach_paths(self, paths: list[Path]) -> None:
        if self.attaching:
            return
        self.attaching = True
        self._status(t("tui.photos.attaching", count=len(paths)))
        self._copy_photos(paths)

    @work(thread=True, exclusive=True, group="photo-attach")
    def _copy_photos(self, paths: list[Path]) -> None:
        store = self.app.store
        try:
            for path in paths:  # every file checked before any is copied: one bad file, none attached
                check_file(path)
            for n, path in enumerate(paths, start=1):
                attach_file(store, path=path, owner_table=self.owner_table, owner_id=self.owner_id,
                            strip_metadata=self.app.settings.strip_photo_metadata)
                self.app.call_from_thread(self._status, t("tui.photos.attaching_n", n=n, count=len(paths)))
        except UserError as exc:
            self.app.call_from_thread(self._refused, exc.message())
            return
        except OSError as exc:  # exists but unreadable: permissions, a phone unplugged mid-copy
            self.app.call_from_thread(self._refused, t("tui.photos.unreadable", reason=exc.strerror or str(exc)))
            return
        self.app.call_from_thread(self._photos_attached, len(paths))

    def _refused(self, message: str) -> None:
        self.attaching = False
        self._status(message, error=True)
        self.app.bell()

    def _photos_attached(self, count: int) -> None:
        self.attaching = False
        self.notify(t("tui.photos.attached", count=count))
        self.dismiss(count)

    def action_back(self) -> None:
        if not self.attaching:
            self.dismiss(None)

    def _status(self, message: str, *, error: bool = False) -> None:
        status = self.query_one("#picker-status", Static)
        status.update(message)
        status.set_class(error, "-error")

    def palette_commands(self):
        yield SystemCommand(t("tui.photos.attach"), t("tui.photos.attach_help"), self.action_attach)
        yield SystemCommand(t("tui.photos.select_all"), "", self.action_select_all)
