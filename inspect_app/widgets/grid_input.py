"""The one-line editor of a data grid: an Input that hands the grid's keys back to its screen."""

from __future__ import annotations

from textual.widgets import Input


class GridInput(Input):
    """Textual never lets a binding see a printable key that a focused Input would take, so the
    characters in `passed_on` (e.g. "[]" to switch quarter) are declared not consumed here, and
    Enter calls `on_enter` at once instead of posting a message: the cursor moves before the next
    key of a fast typist arrives."""

    def __init__(self, *args, passed_on: str = "", on_enter=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed_on = frozenset(passed_on)
        self.on_enter = on_enter

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character not in self.passed_on and super().check_consume_key(key, character)

    async def action_submit(self) -> None:
        if self.on_enter is None:
            await super().action_submit()
        else:
            self.on_enter()
