"""One labelled form field with the place for its error message right underneath."""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Select

from inspect_app.widgets.plain import Label, Static


class FormRow(Vertical):
    """Label | input on one line, the validation message (hidden when empty) on the next."""

    DEFAULT_CSS = """
    FormRow { height: auto; }
    FormRow > Horizontal { height: auto; }
    FormRow .form-label { width: 22; padding: 0 1; color: $text-muted; }
    FormRow .form-error { display: none; color: $error; padding: 0 1 0 23; }
    FormRow.-invalid .form-error { display: block; }
    FormRow.-invalid .form-label { color: $error; text-style: bold; }
    """

    def __init__(self, field: str, label: str, control: Widget, *, required: bool = False):
        super().__init__(id=f"row-{field}")
        self.field = field
        self.required = required
        self.label = label + (" *" if required else "")
        self.control = control
        self.refused_value: object = None  # what the field held when its message was shown

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label, classes="form-label")
            yield self.control
        yield Static("", classes="form-error")

    def show_error(self, message: str | None) -> None:
        self.query_one(".form-error", Static).update(message or "")
        self.set_class(bool(message), "-invalid")
        self.refused_value = getattr(self.control, "value", None) if message else None

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _value_changed(self) -> None:
        # The person is correcting the field: the message about what it held no longer applies and
        # must not stay under the new value until the next save. The next save checks it again.
        # A change event can arrive after the save that refused the value: compare, do not assume.
        if self.has_class("-invalid") and getattr(self.control, "value", None) != self.refused_value:
            self.show_error(None)


def show_form_errors(rows: Iterable[FormRow], messages: dict[str, str]) -> FormRow | None:
    """Put each message under its field and clear the others; return the first row with one."""
    first = None
    for row in rows:
        message = messages.get(row.field)
        row.show_error(message)
        if message and first is None:
            first = row
    return first


def show_form_result(rows: Iterable[FormRow], messages: dict[str, str], status, text: str) -> None:
    """Each message under its field, `text` on the form's status line (a Static), and the focus on
    the first refused field that can take it, scrolled into view: what every form does after a save."""
    first = show_form_errors(rows, messages)
    status.update(text)
    if first is not None and not first.control.disabled:
        first.control.focus()
        first.scroll_visible()


def first_to_fill(rows: Iterable[FormRow]) -> FormRow | None:
    """The row where a person starts typing on a form: its first empty required text field, None
    when every one holds something. A form opens with the focus there (else on its first field),
    never on a header line or a button, so that the first keys typed are text (inspect_app/bindings.py)."""
    for row in rows:
        if row.required and isinstance(row.control, Input) and not row.control.value.strip():
            return row
    return None
