"""Key bindings whose descriptions are catalogue keys, translated when a screen is built.

Textual reads `BINDINGS` when a class is defined, before the user's language is known, so the
descriptions there are catalogue keys (`tui.ledger.add`) and `translate_bindings` swaps in the
text of the current language when each node is created. Every binding has an id so that it can
be remapped in a keymap file, and the footer and command palette read the same bindings.
"""

from __future__ import annotations

import dataclasses
import functools

from textual.app import App
from textual.binding import BindingsMap
from textual.dom import DOMNode
from textual.widgets import DataTable, Input

from forms.i18n import catalogue, current_language, t

# --- the footer at 80 columns ---------------------------------------------------------------------
#
# The one rule: every screen's footer shows its keys whole at 80×24 in every language.
#
# 1. The footer is compact (`KeysFooter(compact=True)`, inspect_app/widgets/keys_footer.py): one space between keys, none around them.
# 2. A footer label is short: a binding whose catalogue key has a `<key>_short` sibling
#    (`tui.ledger.add_short = "新增"` next to `tui.ledger.add = "新增企业"`) shows the short text
#    in the footer; the long one becomes the binding's tooltip, shown on hover and in the F1 keys
#    panel next to the short one. The command palette keeps its own long descriptions (`*_help`).
# 3. The footer shows the keys an inspector needs on that screen to do its work and to leave it;
#    the rest are `show=False` and stay in the ^p palette and the F1 keys panel (a screen's
#    status line names a hidden key where it matters: "F6 同步", "(c) 冲突").
# 4. tests/test_tui_fit.py pushes every main screen at 80×24 in zh_CN and en and fails when a
#    footer key lies beyond column 80 or is cut; a new binding that does not fit fails there.


def _footer_label(key: str) -> tuple[str, str]:
    """(footer label, tooltip) for a catalogue key: the short label and the long one, if any."""
    short = f"{key}_short"
    if short in catalogue(current_language()):
        return t(short), t(key)
    return t(key), ""


def translate_bindings(node: DOMNode) -> None:
    def translated(b):
        if not b.description.startswith("tui."):
            return b
        description, tooltip = _footer_label(b.description)
        return dataclasses.replace(b, description=description, tooltip=t(b.tooltip) if b.tooltip else tooltip)

    _replace_bindings(node, lambda _key, b: translated(b))


def relabel_binding(node: DOMNode, key: str, description: str) -> None:
    """Give one of this node's bindings another footer label (already translated)."""
    _replace_bindings(node, lambda bound, b: dataclasses.replace(b, description=description) if bound == key else b)


def _replace_bindings(node: DOMNode, change) -> None:
    """Rebuild the node's own bindings map with `change(key, binding)` applied to each binding."""
    keys = {key: [change(key, b) for b in bindings] for key, bindings in node._bindings.key_to_bindings.items()}
    node._bindings = BindingsMap.from_keys(keys)


class TranslatedBindings:
    """Mixin for screens and widgets: translate this node's bindings after it is constructed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        translate_bindings(self)


# --- keys while a person types ------------------------------------------------------------------
#
# The one rule: a key that types a character (a letter, a digit, a sign) is text whenever a text
# field (Input, TextArea) has the focus, and never a binding then. How it holds everywhere:
#
# 1. A focused text field consumes every printable key before any non-priority binding sees it
#    (Textual's Input and TextArea stop the key), and no plain-character binding is a priority one.
# 2. A key the field did not see — typed before a screen had placed its focus, e.g. a name typed
#    right after F opened the 五落实 form — reaches the bindings with the focus already in the
#    field; the app hands it on to the field as text, never to a binding (`ParkInspectApp`).
# 3. Every form opens with the focus in a field, the first empty one a person must fill
#    (`widgets/form_row.focus_first_empty`), never on a header line or a button; a screen whose
#    letter keys act on the whole record (the 五落实's R, D, H, N) offers them once Esc has left
#    the field, and shows them dimmed while a field has the focus.
# 4. A yes/no dialog ignores characters typed before it was shown (screens/confirm.py): the tail of
#    a name queued behind the key that opened it cannot answer "Yes (Y)".
# 5. Tab and Shift+Tab from a text field move the focus at once (a priority binding of the app),
#    so `AAA Tab BBB` sent in one burst — a fast typist, tmux, a barcode scanner — is two fields,
#    not one: a non-priority Tab acted only after the keys behind it had gone to the old field.
#    A widget or screen with a Tab binding of its own (the quarterly grid; a path box, whose Tab
#    completes the path in turn with the characters before it: widgets/path_input.py) keeps it.
#    Enter does the same on the forms where it goes to the next field (a screen that sets
#    `ENTER_MOVES_FOCUS = True`: the profile, the settings): `AAA Enter BBB` is two fields.

# 6. A form's save (Ctrl+S, Ctrl+N, the notice's Ctrl+S/Ctrl+R, the grid's Ctrl+S) pressed while a
#    text field has the focus waits for the keys typed before it to reach the field
#    (`ParkInspectApp.run_action`): `…信息化局 Ctrl+S` in one burst saves the whole name.
# 7. A key that opens a text field (`/` for the search, `f` for a failure's note) moves the focus
#    there at once (`focus_now`), not after the keys already queued behind it: Textual's
#    `focus()` waits its turn in the app's queue, so `/mld` typed fast searched nothing and `m`
#    opened the import screen. Keys that had already gone to the widget that took the opening
#    key (the checklist, for `f` and a note typed at once) are handed on to the field by the app
#    (`ParkInspectApp.on_key`): characters as text, Enter and Backspace as the field's own actions.

# 8. Enter on a list that opens another screen (the park list → the ledger, the ledger → the
#    tenant, the hazards → the 五落实, the tasks → an inspection) opens it while the key is read
#    (a priority binding of the app runs the screen's `ENTER_OPENS_ROW` action), not when the
#    table's RowSelected message comes round: `Enter i` typed fast on the park list started a
#    common-area inspection of the park being left, the `i` reaching the list before the ledger was up.

# The actions of rule 6: they take what the fields hold.
COMMIT_ACTIONS = frozenset({"save", "next", "issue", "submit_review", "save_row"})


def focus_now(widget) -> None:
    """Give `widget` the focus before the next queued key is handled (rule 7)."""
    widget.screen.set_focus(widget)


def action_name(action: object) -> str:
    """`save` from "save", "screen.save", "answer(True)" or Textual's parsed (namespace, name, args)."""
    if isinstance(action, str):
        return action.split("(", 1)[0].rsplit(".", 1)[-1]
    return str(action[1]) if isinstance(action, tuple) and len(action) > 1 else ""


# What Textual's Screen binds Tab to: the same move, only too late.
FOCUS_ACTIONS = frozenset({"focus_next", "focus_previous", "app.focus_next", "app.focus_previous"})


@functools.cache
def _text_fields() -> tuple[type, ...]:
    # Imported on first use: TextArea is heavy and the park list must paint fast (ARCHITECTURE.md).
    from textual.widgets import TextArea

    return (Input, TextArea)


def is_printable_key(key: str) -> bool:
    """A key that types one character: `a`, `Y`, `7` (signs have names: `slash`, `minus`)."""
    return len(key) == 1 and key.isprintable()


def is_text_field(widget: object) -> bool:
    """Whether `widget` takes typed characters as text (an Input, a TextArea)."""
    return isinstance(widget, _text_fields())


def enter_moves_focus_now(focused: object, form_moves_on_enter: bool) -> bool:
    """Whether the app's priority Enter should move the focus: from a one-line text field of a
    form whose Enter means "next field" (its screen's `ENTER_MOVES_FOCUS`, screens/base.py).
    Elsewhere Enter submits, as Textual does."""
    return form_moves_on_enter and isinstance(focused, Input)


def enter_opens_row_now(focused: object, opens_row: str) -> bool:
    """Whether the app's priority Enter should run the screen's row action (rule 8): the screen
    has one and the focus is on a list (a DataTable), not in a field or on a button."""
    return bool(opens_row) and isinstance(focused, DataTable)


def tab_moves_focus_now(focused: object, binding_chain) -> bool:
    """Whether the app's priority Tab should move the focus: from a text field, unless a node
    below the app (the field itself, its screen) binds the key for its own use."""
    if not is_text_field(focused):
        return False
    own = [binding for node, bindings in binding_chain if not isinstance(node, App)
           for key in ("tab", "shift+tab") for binding in bindings.key_to_bindings.get(key, ())]
    return all(binding.action in FOCUS_ACTIONS for binding in own)
