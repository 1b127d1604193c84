"""What people type is shown as typed: brackets in a name are not console markup.

A tenant named "平湖[/x]精密" (typed in the form, or imported from a park's spreadsheet) stopped the
app with a MarkupError when its ledger row was drawn, and "[b]" made the rest of a name bold.
Screens take inspect_app/widgets/plain.py's Static, Label and DataTable, the app's notifications
show their text as written, and option lists and selects of people's words take `as_typed` prompts.
"""

from __future__ import annotations

from textual.widgets import DataTable, Select, SelectionList, Static
from textual.widgets._toast import Toast

from forms.inspector import InspectorInput
from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.screens.hazards import HazardsScreen
from inspect_app.screens.ledger import LedgerScreen
from inspect_app.screens.overview import CountyOverviewScreen, ParkOverviewScreen
from inspect_app.screens.park_list import ParkListScreen
from inspect_app.screens.start_inspection import StartInspectionScreen
from inspect_app.services.ledger import save_tenant
from inspect_app.services.profile import save_profile
from tests.conftest import TODAY, tenant_values
from tests.pilot import settle

NAME = "[/x]精密[b]有限公司"  # a closing tag nothing opened: a MarkupError as markup
INSPECTOR = "李[/x]明"
PARK = "平湖[/x]经济开发区小微企业园"


def shown(screen) -> str:
    """Every Static's and every visible table cell's text on the screen."""
    texts = [str(static.render()) for static in screen.query(Static)]
    for table in screen.query(DataTable):
        texts += [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]
    return "\n".join(texts)


async def test_brackets_in_names_show_as_typed_on_the_ledger_the_overviews_and_a_notification(store, park):
    with store.transaction() as session:
        session.get(type(park), park.id).name = PARK
    save_profile(store, InspectorInput(name=INSPECTOR, id_number="33048220190012", agency="平湖市经济和信息化局"))
    save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(1, name=NAME)))
    app = make_app(store, today=TODAY)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ParkListScreen)
        assert INSPECTOR in app.sub_title

        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
        assert "[/x]精密[b]" in shown(app.screen)

        app.screen.notify(f"{NAME} 已保存")
        await settle(app, pilot)
        toasts = [str(toast.render()) for toast in app.screen.query(Toast)]
        assert any(NAME in text for text in toasts), toasts

        await pilot.press("i")  # the inspectors to choose, the templates
        await settle(app, pilot)
        assert isinstance(app.screen, StartInspectionScreen)
        assert any(INSPECTOR in str(option.prompt) for option in app.screen.query_one(SelectionList)._options)
        await pilot.press("escape")
        await settle(app, pilot)

        await pilot.press("z")  # every park's hazards: the park filter lists the parks by name
        await settle(app, pilot)
        assert isinstance(app.screen, HazardsScreen)
        park_filter = app.screen.query_one("#park-filter", Select)
        park_filter.expanded = True
        await settle(app, pilot)
        assert any(PARK in str(option.prompt) for option in park_filter.query_one("SelectOverlay")._options)
        park_filter.expanded = False
        for _ in range(3):  # back to the park list
            if isinstance(app.screen, ParkListScreen):
                break
            await pilot.press("escape")
            await settle(app, pilot)

        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, CountyOverviewScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ParkOverviewScreen)
        assert NAME in shown(app.screen)  # the table's name column and the detail line
