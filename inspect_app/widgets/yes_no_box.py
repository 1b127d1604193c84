"""A checkbox that reads in sunlight: `[X]` when ticked, `[ ]` when not.

Textual's checkbox draws `▐X▌` either way and tells the two apart by colour only, which a laptop
screen outdoors does not show. ASCII, so that it keeps its width in every Windows console font.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class YesNoBox(Checkbox):
    @property
    def _button(self) -> Content:
        mark_style = self.get_visual_style("toggle--button")
        return Content.assemble("[", ("X" if self.value else " ", mark_style), "]")
