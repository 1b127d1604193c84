"""A text box for a file path whose last part completes from its folder: the completion shows in
grey as one types, and Tab (or →, as in any Input) takes it. Tab with nothing to complete moves the
focus on, as it does from any other field.

Tab is this widget's own binding, not a priority one: it acts in turn with the characters typed
before it, so `/tmp/台` Tab completes what was typed, not what had arrived when the key was read
(inspect_app/bindings.py, rule 5, lets a field keep a Tab binding of its own).
"""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.suggester import Suggester
from textual.widgets import Input


def complete_path(value: str) -> str | None:
    """`value` with its last part completed from the first matching entry of its folder (folders
    end with a slash); None when nothing matches or it is already whole. Hidden entries are left out."""
    if not value:
        return None
    typed = Path(value).expanduser()
    folder, stem = (typed, "") if value.endswith(("/", "\\")) else (typed.parent, typed.name)
    try:
        names = sorted(entry.name + ("/" if entry.is_dir() else "") for entry in folder.iterdir()
                       if entry.name.startswith(stem) and not entry.name.startswith("."))
    except OSError:
        return None
    if not names or names[0] == stem:
        return None
    return value + names[0][len(stem):]


class PathSuggester(Suggester):
    """The grey completion of `complete_path`, read afresh each time (files come and go)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value)


class PathInput(Input):
    BINDINGS = [Binding("tab", "complete", "", show=False, id="path_input.complete")]

    def __init__(self, value: str = "", **kwargs) -> None:
        super().__init__(value, suggester=PathSuggester(), **kwargs)

    def action_complete(self) -> None:
        completed = complete_path(self.value) if self.cursor_at_end else None
        if completed is None:
            self.screen.focus_next()
            return
        self.value = completed
        self.cursor_position = len(completed)
