"""The command palette in the user's language.

Textual's palette takes a translated placeholder but writes its "No matches found" line in
English from inside `_start_no_matches_countdown`. This subclass replaces that one method with
the same behaviour and a translated line; `tests/test_tui_palette.py` fails if Textual renames
the method, so an upgrade cannot silently bring the English line back.
"""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

from forms.i18n import t


class TranslatedCommandPalette(CommandPalette):
    def __init__(self) -> None:
        super().__init__(id="--command-palette", placeholder=t("tui.app.palette_placeholder"))

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            # An empty search is discovery mode: nothing to report there, as in Textual.
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(t("tui.app.palette_no_matches"), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
