"""A checkbox that reads in sunlight: `[X]` when ticked, `[ ]` when not.

Textual's checkbox draws `▐X▌` either way and tells the two apart by colour only, which a laptop
screen outdoors does not show. ASCII, so that it keeps its width in every Windows console font.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList


class YesNoBox(Checkbox):
    @property
    def _button(self) -> Content:
        mark_style = self.get_visual_style("toggle--button")
        return Content.assemble("[", ("X" if self.value else " ", mark_style), "]")


class YesNoList(SelectionList):
    """A selection list whose boxes read `[X]` / `[ ]`, as YesNoBox, instead of `▐X▌` for both."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        index = self.scroll_offset.y + y
        if len(segments) < 3 or index >= self.option_count:
            return strip
        selected = self.get_option_at_index(index).value in self._selected
        left, inner, right = segments[:3]
        mark = [Segment("[", left.style), Segment("X" if selected else " ", inner.style), Segment("]", right.style)]
        return Strip([*mark, *segments[3:]], strip.cell_length)
