"""The ledger import screen driven as a person would: path, mapping, dry-run preview, import."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input, Select, Static

from db.models import Tenant
from forms.tenant import TenantInput
from inspect_app.app import make_app
from inspect_app.screens.ledger import LedgerScreen
from inspect_app.screens.ledger_import import LedgerImportScreen, PathSuggester, column_letter
from inspect_app.services.ledger import save_tenant
from inspect_app.services.ledger_import import rejects_path
from tests.conftest import TODAY, make_credit_code, tenant_values
from tests.pilot import settle
from tests.test_tui import open_first_park, with_profile

SIZE = (80, 24)
DATA = Path(__file__).resolve().parent / "data"


def _tenants(store) -> list[Tenant]:
    with store.read() as session:
        return list(session.exec(select(Tenant).where(Tenant.deleted == False)).all())  # noqa: E712


def _cells(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def _open_import(app, pilot, path: Path) -> LedgerImportScreen:
    await open_first_park(app, pilot)
    await pilot.press("m")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, LedgerImportScreen)
    screen.query_one("#import-path", Input).value = str(path)
    await pilot.press("enter")
    await settle(app, pilot)
    return screen


async def test_sample_preview_then_import_skipping_invalid_rows(store, park, tmp_path):
    sample = Path(shutil.copy(DATA / "ledger-sample.xlsx", tmp_path / "ledger-sample.xlsx"))
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_import(app, pilot, sample)
        sheet = str(screen.query_one("#import-sheet", Static).render())
        assert "表头在第 3 行" in sheet
        mapping = _cells(screen.query_one("#import-mapping", DataTable))
        assert ["A", "序号", "（忽略此列）"] in mapping
        counts = str(screen.query_one("#import-counts", Static).render())
        assert counts.startswith("预览：新增 34，更新 0，未变 0，有误")
        details = _cells(screen.query_one("#import-details", DataTable))
        assert any(row[0] == "8" and row[3].startswith("拒收：") for row in details)

        await pilot.press("ctrl+s")  # all or nothing: refused, nothing asked, nothing written
        await settle(app, pilot)
        assert app.screen is screen and _tenants(store) == []

        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert _tenants(store) == []  # a question first
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
        assert len(_tenants(store)) == 34
        assert rejects_path(sample).exists()
        assert app.screen.total == 34


async def test_changing_a_columns_field_reruns_the_preview_and_imports_with_it(store, park, tmp_path):
    save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(1)))
    path = tmp_path / "台账.csv"
    path.write_text("承租单位,统一社会信用代码,面积,人数,企业规模,承租用途,说明\n"
                    f"平湖测试精密机械有限公司1,{make_credit_code(1)},1500,35,规下,生产,夜间无人\n"
                    f"新来的公司,{make_credit_code(2)},300,5,规下,生产+仓储,\n", encoding="utf-8")
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_import(app, pilot, path)
        details = _cells(screen.query_one("#import-details", DataTable))
        assert ["2", "出租面积(㎡)", "1200 → 1500", "更新：平湖测试精密机械有限公司1"] in details
        assert any(row[0] == "3" and "仅保留第一种“生产”" in row[3] for row in details)

        table = screen.query_one("#import-mapping", DataTable)
        table.move_cursor(row=6)  # 说明 (not recognised)
        await pilot.pause()
        assert screen.query_one("#import-field", Select).value is Select.NULL
        screen.query_one("#import-field", Select).value = "notes"
        await settle(app, pilot)
        assert _cells(table)[6][2] == "备注"
        details = _cells(screen.query_one("#import-details", DataTable))
        assert ["2", "备注", "— → 夜间无人", "更新：平湖测试精密机械有限公司1"] in details
        assert _tenants(store)[0].notes is None  # a preview writes nothing

        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
    by_name = {t.name: t for t in _tenants(store)}
    assert by_name["平湖测试精密机械有限公司1"].notes == "夜间无人"
    assert by_name["平湖测试精密机械有限公司1"].rented_area_m2 == 1500
    assert by_name["新来的公司"].lease_use == "production"


async def test_a_missing_file_and_a_refused_mapping_are_said_in_english(store, park, tmp_path):
    path = tmp_path / "l.csv"
    path.write_text(f"承租单位,统一社会信用代码,面积,人数,企业规模,承租用途\n甲,{make_credit_code(3)},1,1,规下,生产\n",
                    encoding="utf-8")
    with_profile(store)
    app = make_app(store, language="en", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_import(app, pilot, tmp_path / "nothing.xlsx")
        assert "No such file" in str(screen.query_one("#import-status", Static).render())
        screen.query_one("#import-path", Input).value = str(path)
        screen.query_one("#import-path", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        screen.query_one("#import-mapping", DataTable).move_cursor(row=3)  # 人数 -> area as well
        await pilot.pause()
        screen.query_one("#import-field", Select).value = "rented_area_m2"
        await settle(app, pilot)
        assert "mapped from both" in str(screen.query_one("#import-counts", Static).render())
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is screen and _tenants(store) == []


@pytest.mark.parametrize(("index", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB")])
def test_column_letters(index, letter):
    assert column_letter(index) == letter


async def test_path_suggester_completes_from_the_folder(tmp_path):
    (tmp_path / "园区台账2026.xlsx").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    suggester = PathSuggester()
    assert await suggester.get_suggestion(str(tmp_path / "园区")) == str(tmp_path / "园区台账2026.xlsx")
    assert await suggester.get_suggestion(str(tmp_path / "su")) == str(tmp_path / "sub") + "/"
    assert await suggester.get_suggestion(str(tmp_path / "zz")) is None


# --- defaults, Tab completion, messages whole at 80x24 ---------------------------------------------

NO_SCALE = "承租单位,统一社会信用代码,面积,人数,承租用途\n"


def _text(widget) -> str:
    """What `widget` shows at its size on screen, lines joined (every cell it paints)."""
    from textual.geometry import Region

    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, *widget.outer_size)))


def _squeezed(text: str) -> str:
    return "".join(text.split())


async def test_a_default_given_on_the_mapping_screen_is_checked_previewed_and_imported(store, park, tmp_path):
    from inspect_app.screens.import_default import ImportDefaultScreen

    path = tmp_path / "台账.csv"
    path.write_text(NO_SCALE + f"甲公司,{make_credit_code(41)},100,3,生产\n乙公司,{make_credit_code(42)},80,2,办公\n",
                    encoding="utf-8")
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_import(app, pilot, path)
        details = _cells(screen.query_one("#import-details", DataTable))
        assert ["—", "企业规模", "规下", "说明：企业规模：文件中没有此列，新增的 2 家按 规下 导入"] in details

        await pilot.press("d")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, ImportDefaultScreen)
        assert dialog.query_one("#default-field", Select).value == "scale"  # the form's defaults come first
        assert app.focused is dialog.query_one("#default-value", Input)
        for key in "中型":
            await pilot.press(key)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is dialog  # refused with the field's message; nothing changes
        assert "“中型”不在可选值中：规上、规下" in _text(dialog.query_one("#default-error", Static))

        dialog.query_one("#default-value", Input).value = "规模以上"  # a park's word is fine here too
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen and screen.defaults == {"scale": "规模以上"}
        details = _cells(screen.query_one("#import-details", DataTable))
        assert any(row[1] == "企业规模" and row[3].startswith("说明：企业规模：文件中没有此列，新增的 2 家按您设的默认值 规上")
                   for row in details)
        assert _tenants(store) == []  # a preview writes nothing

        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, LedgerScreen)
    assert {t.scale for t in _tenants(store)} == {"above"}


async def test_tab_in_the_path_box_completes_and_moves_on_when_nothing_is_left(store, park, tmp_path):
    (tmp_path / "园区台账2026.csv").write_text(NO_SCALE + f"甲公司,{make_credit_code(43)},100,3,生产\n",
                                             encoding="utf-8")
    with_profile(store)
    app = make_app(store, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await open_first_park(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        box = app.screen.query_one("#import-path", Input)
        assert app.focused is box
        for key in str(tmp_path / "园区"):
            await pilot.press(key)
        await pilot.press("tab")
        await pilot.pause()
        assert box.value == str(tmp_path / "园区台账2026.csv") and app.focused is box
        await pilot.press("tab")  # nothing more to complete: on to the next field, as everywhere
        await pilot.pause()
        assert app.focused is not box and box.value == str(tmp_path / "园区台账2026.csv")
        box.focus()
        box.value = str(tmp_path / "园")
        box.cursor_position = len(box.value)
        await pilot.pause(0.2)  # the grey suggestion arrives; → takes it as before
        await pilot.press("right")
        assert box.value == str(tmp_path / "园区台账2026.csv")


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_a_long_refusal_is_shown_whole_at_80x24(store, park, tmp_path, language):
    from forms.i18n import t

    bad = make_credit_code(44)[:-1] + ("0" if make_credit_code(44)[-1] != "0" else "1")
    path = tmp_path / ("很长的文件名" * 6 + ".csv")
    path.write_text(NO_SCALE + f"某某市某某区某某镇某某精密机械制造有限公司第一分公司,{bad},100,3,养殖\n", encoding="utf-8")
    with_profile(store)
    app = make_app(store, language=language, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_import(app, pilot, path)
        table = screen.query_one("#import-details", DataTable)
        table.focus()
        shown = []
        for index, (_row, _column, _value, _reason, full) in enumerate(screen.detail_lines):
            table.move_cursor(row=index)
            await pilot.pause()
            detail = screen.query_one("#import-detail", Static)
            assert detail.region.bottom <= screen.query_one("#import-status", Static).region.y  # on screen
            assert _squeezed(full) in _squeezed(_text(detail)), full
            shown.append(full)
        reasons = " ".join(shown)
        assert t("errors.choice", value="养殖", choices=t("choices.separator").join(
            t(f"choices.lease_use.{c}") for c in ("production", "storage", "office", "rnd", "commerce", "dormitory",
                                                  "other"))) in reasons
        assert "8" in reasons or "Q" in reasons  # the checksum's expected character, not cut before it
        status = screen.query_one("#import-status", Static)
        assert status.region.bottom <= SIZE[1] - 1  # above the footer, wrapped whole
