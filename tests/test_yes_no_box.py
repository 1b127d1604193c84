"""Ticked or not is told by a mark, not a colour alone (a laptop screen outdoors shows no colour)."""

from __future__ import annotations

from textual.app import App
from textual.widgets.selection_list import Selection

from inspect_app.widgets.yes_no_box import YesNoBox, YesNoList


class Boxes(App[None]):
    def compose(self):
        yield YesNoBox("是", False, id="box", compact=True)
        yield YesNoList(Selection("王芳", "a", True), Selection("李明", "b", False), id="list")


async def test_boxes_and_lists_read_x_when_ticked_and_blank_when_not():
    app = Boxes()
    async with app.run_test(size=(40, 6)) as pilot:
        box, names = app.query_one("#box", YesNoBox), app.query_one("#list", YesNoList)
        assert str(box.render()).startswith("[ ]")
        box.value = True
        assert str(box.render()).startswith("[X]")
        lines = [names.render_line(y).text for y in range(2)]
        assert lines[0].startswith("[X] 王芳") and lines[1].startswith("[ ] 李明")
        names.toggle("b")
        await pilot.pause()
        assert names.render_line(1).text.startswith("[X] 李明")
