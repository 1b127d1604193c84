"""Ledger import of a park's own file that lacks columns or writes values its own way: the add-tenant
form's defaults for a missing column, the person's defaults (`--default`), a park's own words for a
closed-list value (规模以下), and refusals that name the accepted values — in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from db.errors import UserError
from db.models import Tenant
from forms.i18n import set_language
from forms.tenant import NEW_TENANT_DEFAULTS, TenantInput
from inspect_app.cli import main
from inspect_app.services.ledger import save_tenant
from inspect_app.services.ledger_import import import_ledger
from tests.conftest import make_credit_code, tenant_values

NO_SCALE_HEADER = "承租单位,统一社会信用代码,面积,人数,承租用途"


@pytest.fixture(autouse=True)
def chinese():
    set_language("zh_CN")
    yield
    set_language("zh_CN")


def _tenants(store) -> dict[str, Tenant]:
    with store.read() as session:
        return {t.name: t for t in session.exec(select(Tenant).where(Tenant.deleted == False))}  # noqa: E712


def _ledger(tmp_path: Path, header: str, *rows: str) -> Path:
    path = tmp_path / "园区台账.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _no_scale(tmp_path: Path) -> Path:
    return _ledger(tmp_path, NO_SCALE_HEADER, f"甲公司,{make_credit_code(11)},100,3,生产",
                   f"乙公司,{make_credit_code(12)},200,5,仓储")


def test_a_file_without_a_scale_column_imports_new_tenants_as_the_form_would_and_says_so(store, park, tmp_path):
    assert NEW_TENANT_DEFAULTS["scale"] == "below"  # what the add-tenant form opens with
    kept = save_tenant(store, park_id=park.id, data=TenantInput.model_validate(
        tenant_values(1, scale="规上", credit_code=make_credit_code(12), name="乙公司")))
    report = import_ledger(store, _no_scale(tmp_path))
    assert report.problems == [] and report.written
    tenants = _tenants(store)
    assert tenants["甲公司"].scale == "below" and tenants["甲公司"].status == "in_park"
    assert tenants["乙公司"].id == kept.id and tenants["乙公司"].scale == "above"  # a stored value stays
    notes = [note.text for note in report.notes]
    assert "企业规模：文件中没有此列，新增的 1 家按 规下 导入" in notes
    assert "状态：文件中没有此列，新增的 1 家按 在园 导入" in notes


def test_cli_default_fills_a_missing_column_by_field_name_or_label(store, park, tmp_path, db_path, capsys):
    path = _no_scale(tmp_path)
    code = main(["--db", str(db_path), "ledger", "import", str(path), "--default", "scale=规上",
                 "--default", "楼栋=2号楼"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert {(t.scale, t.building) for t in _tenants(store).values()} == {("above", "2号楼")}
    assert "说明：企业规模：文件中没有此列，新增的 2 家按您设的默认值 规上 导入" in out
    assert "说明：楼栋：文件中没有此列，新增的 2 家按您设的默认值 2号楼 导入" in out


@pytest.mark.parametrize(("option", "said"), [
    ("scale=中型", "默认值无效，未导入任何数据：企业规模“中型”：“中型”不在可选值中：规上、规下"),
    ("headcount=三十", "租赁区域总人数"),  # the file has 人数: a default cannot replace a column
    ("rented_area_m2=-5", "已有对应的列“面积”"),
    ("lease_start=昨天", "日期“昨天”无法识别"),
    ("name=某公司", "不能为“承租单位”设默认值"),
    ("规模", "--default 应写成 字段=值"),
    ("size=big", "不认识的字段“size”"),
])
def test_a_bad_default_is_refused_with_its_message_and_nothing_is_written(store, park, tmp_path, db_path, capsys,
                                                                          option, said):
    code = main(["--db", str(db_path), "ledger", "import", str(_no_scale(tmp_path)), "--default", option])
    err = capsys.readouterr().err
    assert code == 2
    assert said in err
    assert _tenants(store) == {}


def test_a_bad_default_in_english(store, park, tmp_path, db_path, capsys):
    code = main(["--db", str(db_path), "--lang", "en", "ledger", "import", str(_no_scale(tmp_path)),
                 "--default", "scale=middle"])
    assert code == 2
    assert ('Bad default, nothing was imported: Scale "middle": "middle" is not one of the accepted values: '
            "Above size, Below size") in capsys.readouterr().err
    assert _tenants(store) == {}


def test_a_service_caller_gets_the_same_refusal(store, park, tmp_path):
    with pytest.raises(UserError) as refused:
        import_ledger(store, _no_scale(tmp_path), defaults={"sublet": "也许"})
    assert refused.value.key == "import.bad_default"
    assert "“也许”" in refused.value.message()
    assert _tenants(store) == {}


def test_a_parks_own_words_for_closed_list_values_are_read_and_noted(store, park, tmp_path):
    path = _ledger(tmp_path, NO_SCALE_HEADER + ",企业规模,主要风险点",
                   f"甲公司,{make_credit_code(21)},100,3,仓库,规模以下,动火、粉尘",
                   f"乙公司,{make_credit_code(22)},100,3,生产,规模以上,",
                   f"丙公司,{make_credit_code(23)},100,3,生产,规模以下,")
    report = import_ledger(store, path)
    assert report.problems == [] and report.written
    tenants = _tenants(store)
    assert [tenants[n].scale for n in ("甲公司", "乙公司", "丙公司")] == ["below", "above", "below"]
    assert tenants["甲公司"].lease_use == "storage"
    assert tenants["甲公司"].risk_points == ["hot_work", "dust"]
    notes = [note.text for note in report.notes]
    assert "企业规模“规模以下”按“规下”导入（2 行，首次出现在第 2 行）" in notes
    assert "企业规模“规模以上”按“规上”导入（1 行，首次出现在第 3 行）" in notes
    assert "承租用途“仓库”按“仓储”导入（1 行，首次出现在第 2 行）" in notes
    assert "主要风险点“动火”按“动火作业”导入（1 行，首次出现在第 2 行）" in notes
    assert not any("企业规模：" in n for n in notes)  # the file has the column: no default applied


@pytest.mark.parametrize(("lang", "reason"), [
    ("zh_CN", "“规模以内”不在可选值中：规上、规下"),
    ("en", "\"规模以内\" is not one of the accepted values: Above size, Below size"),
])
def test_a_value_outside_a_closed_list_is_refused_with_the_accepted_values(store, park, tmp_path, lang, reason):
    set_language(lang)
    path = _ledger(tmp_path, NO_SCALE_HEADER + ",企业规模", f"甲公司,{make_credit_code(31)},100,3,养殖,规模以内")
    report = import_ledger(store, path)
    assert reason in [p.reason for p in report.problems if p.value == "规模以内"]
    uses = [p.reason for p in report.problems if p.value == "养殖"]
    wanted = "生产、仓储、办公、研发、商业、宿舍、其他" if lang == "zh_CN" else "Production, Storage, Office, R&D"
    assert uses and wanted in uses[0]
    assert not report.written and _tenants(store) == {}
