"""Key bindings whose descriptions are catalogue keys, translated when a screen is built.

Textual reads `BINDINGS` when a class is defined, before the user's language is known, so the
descriptions there are catalogue keys (`tui.ledger.add`) and `translate_bindings` swaps in the
text of the current language when each node is created. Every binding has an id so that it can
be remapped in a keymap file, and the footer and command palette read the same bindings.
"""

from __future__ import annotations

import dataclasses

from textual.binding import BindingsMap
from textual.dom import DOMNode

from forms.i18n import t


def translate_bindings(node: DOMNode) -> None:
    keys = {
        key: [
            dataclasses.replace(b, description=t(b.description), tooltip=t(b.tooltip) if b.tooltip else "")
            if b.description.startswith("tui.") else b
            for b in bindings
        ]
        for key, bindings in node._bindings.key_to_bindings.items()
    }
    node._bindings = BindingsMap.from_keys(keys)


class TranslatedBindings:
    """Mixin for screens and widgets: translate this node's bindings after it is constructed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        translate_bindings(self)
