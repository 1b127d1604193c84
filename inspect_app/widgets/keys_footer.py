"""The footer of every screen: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer removes and re-mounts all its keys whenever the screen's bindings are updated,
which is at every focus change (each Tab in a form) even when the same keys stay shown, and a
compact footer then restyles each new key a second time as it gets its "-compact" class after
mounting. Both were a visible share of the TUI's CPU (each Tab of a form rebuilt ~10 widgets).
Here a new key carries the class from the start, and the footer is rebuilt only when what it
shows differs from what it last composed.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeysFooter(Footer):
    def __init__(self, *, compact: bool = False):
        super().__init__(compact=compact)
        self._shown: tuple | None = None  # what the last compose showed (None: nothing yet)

    def _keys(self) -> tuple:
        """What compose would show now: every shown binding with its key, label and state."""
        app = self.app
        keys = tuple((binding.key, app.get_key_display(binding), binding.description, binding.action,
                      binding.group, enabled, tooltip)
                     for (_, binding, enabled, tooltip) in self.screen.active_bindings.values() if binding.show)
        return keys, self.show_command_palette, app.ENABLE_COMMAND_PALETTE

    def compose(self):
        if self._bindings_ready:
            self._shown = self._keys()
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.set_class(self.compact, "-compact", update=False)  # styled once, when mounted
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        if self._shown is not None and self.is_attached and screen is self.screen and self._keys() == self._shown:
            return  # the same keys: nothing to rebuild
        super().bindings_changed(screen)
