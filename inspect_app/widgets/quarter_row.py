"""One tenant's line in the quarterly grid: a mark, the name, five fields, a message line under it.

The row only shows things; the screen decides when to check and save it. Placeholders hold the
previous quarter's figures, so the last value is in sight while the new one is typed.
"""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from forms.quarterly import NUMBER_FIELDS, QUARTERLY_FIELDS, QuarterlyInput
from inspect_app import formatting

NAME_WIDTH = 16
# "平湖市…", "浙江省…": the place most names start with says nothing in a park's own grid.
PLACE_PREFIX = re.compile(r"^[\u4e00-\u9fff]{2,3}?[省市县区](?=[\u4e00-\u9fff]{4})")
MARKS = {"": " ", "dirty": "•", "saving": "…", "saved": "✓", "warning": "!", "error": "✗"}


def figure_text(value: float | None) -> str:
    """A stored figure as a person would type it again: no grouping, no pointless decimals."""
    return formatting.input_text(value)


SWITCH_KEYS = frozenset("[]")  # the screen's keys to change quarter


class GridInput(Input):
    """An Input that leaves [ and ] to the screen (Textual never lets bindings see printable keys
    an Input would take), so the quarter can be switched from any cell."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character not in SWITCH_KEYS and super().check_consume_key(key, character)


def short_name(name: str) -> str:
    return PLACE_PREFIX.sub("", name)


class QuarterRow(Vertical):
    """The row's typed text is compared with `baseline` (what is stored) to know if it changed."""

    DEFAULT_CSS = """
    QuarterRow { height: auto; }
    QuarterRow > Horizontal { height: 1; }
    QuarterRow .q-mark { width: 2; color: $text-muted; }
    QuarterRow .q-name { width: 16; color: $text; }
    QuarterRow.-left .q-name { color: $text-muted; text-style: italic; }
    QuarterRow Input { margin-right: 1; }
    QuarterRow .q-msg { display: none; padding: 0 0 0 2; color: $error; }
    QuarterRow.-error .q-mark { color: $error; text-style: bold; }
    QuarterRow.-error .q-msg { display: block; }
    QuarterRow.-warning .q-mark { color: $warning; text-style: bold; }
    QuarterRow.-warning .q-msg { display: block; color: $warning; }
    QuarterRow.-saved .q-mark { color: $success; }
    QuarterRow.-active .q-name { text-style: bold; }
    """

    def __init__(self, index: int, *, tenant_id: str, name: str, in_park: bool, current: QuarterlyInput | None,
                 previous: QuarterlyInput | None):
        super().__init__(id=f"qrow-{index}", classes="" if in_park else "-left")
        self.index = index
        self.tenant_id = tenant_id
        self.tenant_name = name
        self.current = current
        self.previous = previous
        self.baseline = self._texts(current)
        self.state = ""

    @staticmethod
    def _texts(data: QuarterlyInput | None) -> dict[str, str]:
        if data is None:
            return {name: "" for name in QUARTERLY_FIELDS}
        return {name: figure_text(getattr(data, name)) if name in NUMBER_FIELDS else (getattr(data, name) or "")
                for name in QUARTERLY_FIELDS}

    def compose(self) -> ComposeResult:
        previous = self._texts(self.previous)
        with Horizontal():
            yield Static(MARKS[""], classes="q-mark")
            yield Static(formatting.clip(short_name(self.tenant_name), NAME_WIDTH - 1), classes="q-name")
            for name in QUARTERLY_FIELDS:
                # select_on_focus: moving into a filled cell and typing replaces it, as in a spreadsheet
                yield GridInput(self.baseline[name], placeholder=previous[name], compact=True, name=name,
                            classes=f"q-{name}", id=f"q-{self.index}-{name}")
        yield Static("", classes="q-msg")

    def input(self, name: str) -> Input:
        return self.query_one(f"#q-{self.index}-{name}", Input)

    def typed(self) -> dict[str, str]:
        return {name: self.input(name).value for name in QUARTERLY_FIELDS}

    def changed(self) -> bool:
        return {k: v.strip() for k, v in self.typed().items()} != {k: v.strip() for k, v in self.baseline.items()}

    def saved(self, data: QuarterlyInput, typed: dict[str, str]) -> None:
        """`typed` is what was saved; later typing keeps the row marked as changed."""
        self.current = data
        self.baseline = typed

    def show(self, state: str, message: str = "") -> None:
        self.state = state
        self.query_one(".q-mark", Static).update(MARKS[state])
        self.query_one(".q-msg", Static).update(message)
        for name in ("error", "warning", "saved"):
            self.set_class(state == name, f"-{name}")
