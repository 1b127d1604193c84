"""A DataTable that says where it was clicked: for a grid whose keyboard stays in an editor line."""

from __future__ import annotations

from textual import events
from textual.coordinate import Coordinate
from textual.message import Message

from inspect_app.widgets.plain import DataTable


class GridTable(DataTable):
    """DataTable stops the click after moving its cursor (and only the second click on a cell
    selects it); this posts `CellClicked` with the new cursor so the screen can follow at once."""

    class CellClicked(Message):
        def __init__(self, table: GridTable, coordinate: Coordinate):
            super().__init__()
            self.table = table
            self.coordinate = coordinate

        @property
        def control(self) -> GridTable:
            return self.table

    async def _on_click(self, event: events.Click) -> None:
        await super()._on_click(event)
        self.post_message(self.CellClicked(self, self.cursor_coordinate))
