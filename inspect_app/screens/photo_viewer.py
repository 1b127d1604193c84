"""The photos of an item or a hazard: a list, the highlighted one drawn beside it, `o` opens it.

The picture is drawn with half blocks (widgets/photo_thumbnail.py), so it shows in any terminal
with colour; `o` (or Enter) hands the kept copy to the system's viewer for the real photo.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Header

from forms.i18n import t
from inspect_app.screens.base import AppScreen
from inspect_app.services.attachments import StoredFile
from inspect_app.services.errors import UserError
from inspect_app.services.photo_folder import shown_size
from inspect_app.services.system_viewer import open_in_viewer
from inspect_app.widgets.keys_footer import KeysFooter
from inspect_app.widgets.photo_thumbnail import half_blocks
from inspect_app.widgets.plain import DataTable, Static

LIST_WIDTH = 30


class PhotoViewerScreen(AppScreen[None]):
    DEFAULT_CSS = f"""
    PhotoViewerScreen #viewer-title {{ height: 1; padding: 0 1; text-style: bold; }}
    PhotoViewerScreen #viewer-list {{ width: {LIST_WIDTH}; height: 1fr; }}
    PhotoViewerScreen #viewer-picture {{ width: 1fr; height: 1fr; padding: 0 1; }}
    PhotoViewerScreen #viewer-status {{ height: auto; max-height: 3; padding: 0 1; }}
    PhotoViewerScreen #viewer-status.-error {{ color: $error; text-style: bold; }}
    """
    BINDINGS = [
        Binding("o", "open", "tui.photos.open", id="photos.open"),
        Binding("escape", "back", "tui.common.back", id="photos.viewer_back"),
    ]

    def __init__(self, files: list[StoredFile], subject: str):
        super().__init__()
        self.files = files
        self.subject = subject

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("tui.photos.viewer_title", subject=self.subject, count=len(self.files)),
                     id="viewer-title")
        with Horizontal():
            yield DataTable(id="viewer-list", cursor_type="row", zebra_stripes=True)
            yield Static("", id="viewer-picture")
        yield Static(t("tui.photos.viewer_hint") if self.files else t("tui.photos.none"), id="viewer-status")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#viewer-list", DataTable)
        table.add_column(t("tui.photos.col_name"), key="name", width=LIST_WIDTH - 12)
        table.add_column(t("tui.photos.col_size"), key="size", width=8)
        for n, file in enumerate(self.files):
            size = file.path.stat().st_size if file.path.is_file() else 0
            table.add_row(Text(file.original_name or file.sha256[:12]), Text(shown_size(size), justify="right"),
                          key=str(n))
        table.focus()
        self.call_after_refresh(self._draw)

    def _current(self) -> StoredFile | None:
        table = self.query_one("#viewer-list", DataTable)
        return self.files[table.cursor_row] if self.files and 0 <= table.cursor_row < len(self.files) else None

    @on(DataTable.RowHighlighted, "#viewer-list")
    def _highlighted(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self.call_after_refresh(self._draw)

    def _draw(self) -> None:
        picture = self.query_one("#viewer-picture", Static)
        file = self._current()
        if file is None:
            picture.update("")
            return
        region = picture.content_region
        drawn = half_blocks(file.path, region.width, region.height)
        picture.update(drawn if drawn is not None else Text(t("tui.photos.cannot_draw"), style="dim"))

    @on(DataTable.RowSelected, "#viewer-list")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        file = self._current()
        if file is None:
            return
        status = self.query_one("#viewer-status", Static)
        try:
            open_in_viewer(file.path)
        except UserError as exc:
            status.update(exc.message())
            status.add_class("-error")
            return
        status.update(t("tui.photos.opened", name=file.original_name or file.path.name))
        status.remove_class("-error")

    def action_back(self) -> None:
        self.dismiss(None)
