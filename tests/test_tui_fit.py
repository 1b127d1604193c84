"""Every main screen whole at 80×24 in both languages: the footer's keys, the table's columns, the
status lines and notifications, none cut.

One app per language; each screen is pushed in turn on a small park with a finished inspection,
its hazards and a notice (the factories of tests/test_tui_typing_safety.py).
"""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable, Static
from textual.widgets._footer import FooterKey
from textual.widgets._toast import Toast

from inspect_app import formatting
from inspect_app.app import make_app
from inspect_app.screens.audit import AuditScreen
from inspect_app.screens.buildings import BuildingsScreen
from inspect_app.screens.conflicts import ConflictsScreen
from inspect_app.screens.entry import EntryScreen
from inspect_app.screens.exit_list import ExitListScreen
from inspect_app.screens.hazards import HazardsScreen
from inspect_app.screens.ledger import LedgerScreen
from inspect_app.screens.notices import NoticesScreen
from inspect_app.screens.overview import CountyOverviewScreen, ParkOverviewScreen
from inspect_app.screens.stars import StarScreen
from inspect_app.services.notices import issue_rectification_notice
from tests import test_tui_notices as notices_tui
from tests.conftest import TODAY
from tests.test_notices import AGENCY
from tests.test_tui_issuing import walked
from tests.test_tui_notices import NOW, SIZE, complete, inspect, settle
from tests.test_tui_typing_safety import screens_with_text_fields

inspector, tenant, keys, key = notices_tui.inspector, notices_tui.tenant, notices_tui.keys, notices_tui.key
WIDTH = SIZE[0]


def screen_lines(app) -> list[str]:
    """The terminal's text as a person sees it, one string per row (a wide character once)."""
    update = app.screen._compositor.render_update(full=True)
    return ["".join(segment.text for segment in strip) for strip in update.strips]


def shown_text(app, widget) -> str:
    """What of `widget` is on screen: its region's text, rows joined."""
    region = widget.region
    rows = []
    for line in screen_lines(app)[region.y:region.bottom]:
        cells, text = 0, ""
        for char in line:  # cut the row at the widget's columns, counting cells
            if region.x <= cells < region.right:
                text += char
            cells += cell_len(char)
        rows.append(text)
    return "".join(rows)


def squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def footer_problems(screen) -> list[str]:
    problems = []
    keys = [k for k in screen.query(FooterKey) if k.display]
    # The palette's ^p is docked on the right, drawn over whatever keys run under it.
    palette = [k.region.x for k in keys if k.has_class("-command-palette")]
    right_edge = min(palette, default=WIDTH)
    for footer_key in keys:
        label = f"{footer_key.key_display} {footer_key.description}"
        region = footer_key.region
        edge = WIDTH if footer_key.has_class("-command-palette") else right_edge
        if region.right > edge or region.width < cell_len(footer_key.key_display) + cell_len(
                footer_key.description) + 1:
            problems.append(f"footer key cut: {label!r} at {region}")
    return problems


def table_problems(screen) -> list[str]:
    problems = []
    for table in screen.query(DataTable):
        if not table.display or not table.region.width:
            continue
        used = sum(column.get_render_width(table) for column in table.columns.values())
        if used > table.scrollable_content_region.width:
            problems.append(f"#{table.id}: columns need {used} of {table.scrollable_content_region.width} cells")
    return problems


def message_problems(app, screen) -> list[str]:
    """Status lines and notifications show their whole text (wrapped if need be)."""
    problems = []
    widgets = [w for w in screen.query(Static) if w.has_class("status-line") and w.display and w.region.width]
    widgets += [toast for toast in app.screen.query(Toast)]
    for widget in widgets:
        full = squeezed(str(widget.visual) if hasattr(widget, "visual") else str(widget.render()))
        if full and full not in squeezed(shown_text(app, widget)):
            problems.append(f"message cut: {full!r} shows as {shown_text(app, widget)!r}")
    return problems


def main_screens(store, park, tenant, hazards, notice_number, inspection_id, tmp_path):
    own = [(name, factory) for name, factory, prepare in
           screens_with_text_fields(store, park, tenant, hazards, notice_number, inspection_id, tmp_path)
           if name not in {"export path", "import default", "photo picker", "re-inspection"}]
    return [
        ("county search", lambda: LedgerScreen(None, focus_search=True)),
        ("hazards", lambda: HazardsScreen()),
        ("notices", lambda: NoticesScreen()),
        ("county overview", lambda: CountyOverviewScreen()),
        ("park overview", lambda: ParkOverviewScreen(park.id)),
        ("stars", lambda: StarScreen(park.id)),
        ("audit", lambda: AuditScreen(hazards[0])),
        ("conflicts", lambda: ConflictsScreen()),
        ("buildings", lambda: BuildingsScreen(park.id, park.name)),
        ("entry", lambda: EntryScreen(park.id, park.name)),
        ("exit list", lambda: ExitListScreen(park.id, park.name)),
        *own,
    ]


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_every_main_screen_fits_80_by_24_whole(language, store, park, tenant, inspector, key, tmp_path):
    hazards = inspect(store, park, tenant, inspector)
    complete(store, hazards[1:])
    notice_number = issue_rectification_notice(store, hazard_ids=hazards[1:], agency=AGENCY, keys_dir=key,
                                               now=NOW).number
    inspection_id = walked(store, park, tenant, inspector)
    app = make_app(store, language=language, today=TODAY)
    problems = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        problems += [f"park list: {p}" for p in footer_problems(app.screen) + table_problems(app.screen)
                     + message_problems(app, app.screen)]
        for name, factory in main_screens(store, park, tenant, hazards, notice_number, inspection_id, tmp_path):
            screen = factory()
            app.push_screen(screen)
            await settle(app, pilot)
            await pilot.pause()
            problems += [f"{name}: {p}" for p in footer_problems(screen) + table_problems(screen)
                         + message_problems(app, screen)]
            app.pop_screen()
            await settle(app, pilot)
    assert not problems, "\n".join(problems)


def test_a_narrow_name_keeps_what_tells_two_tenants_apart():
    assert formatting.narrow_name("平湖市佳嘉新材料科技有限公司", 12) == "佳嘉新材料…"
    assert formatting.narrow_name("平湖市佳嘉新材料科技有限公司", 14) == "佳嘉新材料科技"
    assert formatting.narrow_name("平湖市鑫诺电子有限公司", 16) == "鑫诺电子有限公司"  # fits: the form stays
    assert formatting.short_name("平湖市佳嘉服饰") == "佳嘉服饰"
    assert formatting.narrow_name("Acme Tools Co., Ltd.", 10) == "Acme Tools"
