"""What the main screens look like at 80×24, in Chinese and English: pytest-textual-snapshot keeps an
SVG of each screen under tests/__snapshots__/ and fails when a change draws it differently.

After a deliberate change of a screen's look, look at the report pytest prints and update:

    pytest tests/test_tui_snapshots.py --snapshot-update

The data is fixed (names, days, the app's today, inspection times), so a screen only changes when
the code does.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import Input, TextArea

from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.screens.hazards import HazardsScreen
from inspect_app.screens.inspection import InspectionScreen
from inspect_app.screens.notices import NoticesScreen
from inspect_app.screens.overview import ParkOverviewScreen
from inspect_app.screens.rectification import RectificationScreen
from inspect_app.services.inspections import start_inspection
from inspect_app.services.ledger import save_tenant
from tests import test_tui_notices as notices_tui
from tests.conftest import TODAY, tenant_values
from tests.test_tui_notices import FIRE, complete, inspect

inspector, tenant = notices_tui.inspector, notices_tui.tenant
SIZE = (80, 24)
STARTED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def day(store, park, tenant, inspector):
    """A park of six tenants: one inspected with two hazards (one with its 五落实), one inspection
    under way. Inspection times are set to a fixed moment: the ledger shows the day."""
    for n in range(2, 7):
        save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n)))
    hazards = inspect(store, park, tenant, inspector)
    complete(store, hazards[:1])
    ongoing = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE,
                               inspector_ids=[inspector.id])
    with store.connect() as conn:
        conn.execute("UPDATE inspection SET started_at = ?, finished_at = CASE WHEN finished_at IS NULL"
                     " THEN NULL ELSE ? END", (STARTED.isoformat(), STARTED.isoformat()))
        conn.commit()
    return {"park": park.id, "hazards": hazards, "ongoing": ongoing}


SCREENS = {
    "park list": lambda day: None,
    "ledger": lambda day: ("open_ledger", day["park"]),
    "hazards": lambda day: HazardsScreen(day["park"]),
    "five implementations": lambda day: RectificationScreen(day["hazards"][1]),
    "checklist": lambda day: InspectionScreen(day["ongoing"]),
    "notices": lambda day: NoticesScreen(day["park"]),
    "park overview": lambda day: ParkOverviewScreen(day["park"]),
}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_main_screens_look_as_before(snap_compare, store, day, screen, language):
    app = make_app(store, language=language, today=TODAY)

    async def open_screen(pilot) -> None:
        await pilot.pause()
        await app.workers.wait_for_complete()
        target = SCREENS[screen](day)
        if isinstance(target, tuple):
            getattr(app, target[0])(target[1])
        elif target is not None:
            app.push_screen(target)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        # A focused field's cursor blinks every half second: on a loaded machine the picture was
        # sometimes taken in its off half. A steady cursor is drawn as the blink's on half.
        for field in app.screen.query(Input).results():
            field.cursor_blink = False
        for area in app.screen.query(TextArea).results():
            area.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_screen)
