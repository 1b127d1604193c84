"""Widgets that show text as it is written: no console markup.

Textual reads a string given to a Static, a Label or a DataTable cell as console markup, so a
tenant named "平湖[/x]精密" (a bracket typed in a form, or in a ledger spreadsheet someone imported)
stopped the app with a MarkupError the moment its row was drawn, and "[b]" turned into bold.
The app's own texts use no markup, so every screen takes these instead: what a person typed is
shown as typed, and a cell's text is not parsed again at each measure and redraw (markup and emoji
parsing were a third of a ledger keystroke's drawing on the UI thread).
"""

from __future__ import annotations

from rich.text import Text
from textual import widgets


class Static(widgets.Static):
    """Textual's Static without markup."""

    def __init__(self, content="", *, markup: bool = False, **kwargs):
        super().__init__(content, markup=markup, **kwargs)


class Label(widgets.Label):
    """Textual's Label without markup."""

    def __init__(self, content="", *, markup: bool = False, **kwargs):
        super().__init__(content, markup=markup, **kwargs)


def as_typed(value: object) -> object:
    """A string as written (a Text, which tables, option lists and selects show as it is); anything
    else unchanged. For a table cell, or an option's prompt that holds people's words (a park's or
    an inspector's name, a folder, a template's or a rule's title from an office's file)."""
    return Text(value, end="") if isinstance(value, str) else value


class DataTable(widgets.DataTable):
    """Textual's DataTable whose string cells are shown as written (`as_typed`)."""

    def add_row(self, *cells, height=1, key=None, label=None):
        return super().add_row(*(as_typed(cell) for cell in cells), height=height, key=key, label=label)

    def update_cell(self, row_key, column_key, value, *, update_width=False) -> None:
        super().update_cell(row_key, column_key, as_typed(value), update_width=update_width)

    def update_cell_at(self, coordinate, value, *, update_width=False) -> None:
        super().update_cell_at(coordinate, as_typed(value), update_width=update_width)
