"""What the record forms share (the tenant form, the building form): one FormRow per field of a
pydantic model — a label, the field, its message underneath — built from a table of (field, kind);
the focus on the first field to fill; a save that validates with the model, shows each refusal
next to its field and writes nothing, or writes once and tells the other screens; Esc that asks
before dropping what was typed.

A subclass says which `MODEL`, which `FIELDS` and `REQUIRED`, where the labels are
(`LABELS`: "fields.tenant"), how to `write` a valid model and what to do `after_save`.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ValidationError
from textual.widget import Widget
from textual.widgets import Input, Select, SelectionList

from forms.catalogues import CHOICE_LISTS, label
from forms.errors import field_messages
from forms.i18n import t
from inspect_app import formatting
from inspect_app.screens.base import TENANT, AppScreen
from inspect_app.screens.confirm import ConfirmScreen
from inspect_app.services.errors import UserError
from inspect_app.widgets.form_row import FormRow, first_to_fill, show_form_result
from inspect_app.widgets.plain import Static
from inspect_app.widgets.yes_no_box import YesNoBox, YesNoList


class FieldFormScreen(AppScreen[str | None]):
    """A form over `MODEL`; `FIELDS`: (field, kind), kind "text", "bool", "multi:<list>" or
    "select:<list>" of forms.catalogues."""

    MODEL: type[BaseModel]
    FIELDS: tuple[tuple[str, str], ...]
    REQUIRED: frozenset[str]
    LABELS: str  # the catalogue prefix of the fields' labels

    initial: dict[str, object]

    def field_rows(self, values: dict[str, object]) -> Iterator[FormRow]:
        for name, kind in self.FIELDS:
            yield FormRow(name, t(f"{self.LABELS}.{name}"), self._control(name, kind, values.get(name)),
                          required=name in self.REQUIRED)

    def placeholder_of(self, name: str) -> str:
        """The hint shown in an empty text field."""
        return ""

    def _control(self, name: str, kind: str, value: object) -> Widget:
        widget_id = f"field-{name}"
        if kind == "bool":
            return YesNoBox(t("common.yes"), value=bool(value), id=widget_id, compact=True)
        if kind.startswith("select:"):
            options = [(label(kind[7:], code), code) for code in CHOICE_LISTS[kind[7:]]]
            return Select(options, value=value if value else Select.NULL, prompt=t("tui.form.choose"),
                          id=widget_id, compact=True, allow_blank=name not in self.REQUIRED)
        if kind.startswith("multi:"):
            chosen = set(value or [])
            return YesNoList(*[(label(kind[6:], c), c, c in chosen) for c in CHOICE_LISTS[kind[6:]]],
                             id=widget_id, compact=True)
        return Input(formatting.input_text(value), placeholder=self.placeholder_of(name), id=widget_id,
                     compact=True)

    def on_mount(self) -> None:
        self.initial = self.values()
        row = first_to_fill(self.query(FormRow))
        (row.control if row is not None else self.query_one("#field-name")).focus()

    def values(self) -> dict[str, object]:
        """What the person has typed, field by field, before validation."""
        result: dict[str, object] = {}
        for name, _kind in self.FIELDS:
            widget = self.query_one(f"#field-{name}")
            if isinstance(widget, Select):
                result[name] = "" if widget.value is Select.NULL else widget.value
            elif isinstance(widget, SelectionList):
                result[name] = list(widget.selected)
            else:
                result[name] = widget.value
        return result

    def write(self, data: BaseModel):
        """Save the valid `data` (one transaction); a UserError names the field it refuses."""
        raise NotImplementedError

    def after_save(self, data: BaseModel, saved) -> str | None:
        """Say what was saved; return what the form is dismissed with."""
        raise NotImplementedError

    def action_save(self) -> None:
        try:
            data = self.MODEL.model_validate(self.values())
        except ValidationError as exc:
            self.show_errors(field_messages(exc))
            return
        try:
            saved = self.write(data)
        except UserError as exc:
            self.show_errors({exc.field or "name": exc.message()})
            return
        self.announce(TENANT)  # a building's save too: the rules' results of its tenants may have changed
        self.show_errors({})
        self.dismiss(self.after_save(data, saved))

    def show_errors(self, messages: dict[str, str]) -> None:
        text = t("tui.form.invalid", count=len(messages)) if messages else t("tui.form.hint")
        show_form_result(self.query(FormRow), messages, self.query_one("#form-status", Static), text)

    def action_cancel(self) -> None:
        if self.values() == self.initial:
            self.dismiss(None)
            return
        self.app.push_screen(ConfirmScreen(t("tui.form.discard")),
                             lambda yes: self.dismiss(None) if yes else None)
