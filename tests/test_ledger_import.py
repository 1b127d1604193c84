"""Ledger import: the sample's known bad rows and nothing else; all-or-nothing, --skip-invalid,
--dry-run; re-import updates by credit code; export -> import round-trips; messy CSV layouts."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from sqlmodel import select

from db.models import Park, Tenant
from db.store import Store
from forms.tenant import TenantInput
from inspect_app.cli import main
from inspect_app.services.ledger import INPUT_FIELDS, save_tenant, tenant_as_input
from inspect_app.services.ledger_export import export_ledger
from inspect_app.services.ledger_import import import_ledger, rejects_path
from tests.conftest import make_credit_code, tenant_values

# A copy of shared/data's sample ledger and what a correct importer finds in it: the tests must
# not depend on anything outside the repository (CI runs on a clean clone).
DATA = Path(__file__).resolve().parent / "data"
EXPECTED = json.loads((DATA / "ledger-sample.expected.json").read_text(encoding="utf-8"))
KINDS = {
    "checksum": "credit_code_checksum",
    "phone": "mobile_length",
    "negative_area": "must_be_positive",
    "missing_name": "required",
    "lease_dates": "lease_end_before_start",
    "headcount_text": "integer_format",
}


@pytest.fixture
def sample(tmp_path) -> Path:
    return Path(shutil.copy(DATA / "ledger-sample.xlsx", tmp_path / "ledger-sample.xlsx"))


def _tenants(store) -> list[Tenant]:
    with store.read() as session:
        return list(session.exec(select(Tenant).where(Tenant.deleted == False)).all())  # noqa: E712


def _column(header: str) -> str:
    return re.sub(r"\([^()]*\)$", "", header)


def test_the_sample_reports_exactly_its_known_bad_rows(store, park, sample):
    report = import_ledger(store, sample, dry_run=True)
    assert report.header_row == 3
    assert report.data_rows == EXPECTED["data_rows"]
    assert report.valid_rows == EXPECTED["valid_rows"]
    found = sorted((p.row, _column(p.column), p.kind) for p in report.problems)
    wanted = sorted((b["sheet_row"], b["column"], KINDS[b["kind"]]) for b in EXPECTED["bad_rows"])
    assert found == wanted
    assert all(p.reason and not p.reason.startswith("errors.") for p in report.problems)
    assert report.unmapped == ["序号"]
    assert _tenants(store) == []


def test_all_or_nothing_writes_nothing_and_exits_2(store, park, sample, db_path, capsys):
    code = main(["--db", str(db_path), "ledger", "import", str(sample)])
    out = capsys.readouterr()
    assert code == 2
    assert "第 8 行" in out.out and "第 40 行" in out.out and "租期止" in out.out
    assert _tenants(store) == []
    assert not rejects_path(sample).exists()


def test_skip_invalid_imports_the_rest_and_writes_rejects(store, park, sample, db_path, capsys):
    code = main(["--db", str(db_path), "ledger", "import", str(sample), "--skip-invalid"])
    assert code == 0, capsys.readouterr()
    tenants = _tenants(store)
    assert len(tenants) == EXPECTED["valid_rows"]
    bad_codes = {b["code"] for b in EXPECTED["bad_rows"]}
    assert not bad_codes & {t.credit_code for t in tenants}
    located = next(t for t in tenants if t.name == "钟埭立德箱包有限公司")
    assert (located.building, located.unit_no, located.headcount) == ("2号楼", "417", 52)
    raw = rejects_path(sample).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with rejects_path(sample).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["行号", "列", "值", "原因"]
    assert sorted(int(r[0]) for r in rows[1:]) == sorted(b["sheet_row"] for b in EXPECTED["bad_rows"])


def test_dry_run_writes_nothing(store, park, sample, db_path, capsys):
    assert main(["--db", str(db_path), "ledger", "import", str(sample), "--dry-run", "--skip-invalid"]) == 0
    assert main(["--db", str(db_path), "ledger", "import", str(sample), "--dry-run"]) == 2
    capsys.readouterr()
    assert _tenants(store) == []
    assert not rejects_path(sample).exists()


def test_reimport_updates_by_credit_code_and_never_duplicates(store, park, sample):
    first = import_ledger(store, sample, skip_invalid=True)
    assert (first.created, first.updated, first.unchanged) == (34, 0, 0)
    again = import_ledger(store, sample, skip_invalid=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 34)
    assert len(_tenants(store)) == 34
    csv_file = sample.with_name("changed.csv")
    csv_file.write_text("企业名称,信用代码,面积,人数,企业规模,承租用途\n"
                        "钟埭立德箱包有限公司,91330482LCR05DFN2Y,3100㎡,５５人,规下,研发\n", encoding="utf-8")
    third = import_ledger(store, csv_file)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 0)
    tenants = _tenants(store)
    assert len(tenants) == 34
    changed = next(t for t in tenants if t.credit_code == "91330482LCR05DFN2Y")
    assert (changed.rented_area_m2, changed.headcount, changed.contact_name) == (3100, 55, "夏俊")


def test_a_code_repeated_within_the_file_is_refused(store, park, tmp_path):
    path = tmp_path / "dup.csv"
    code = make_credit_code(7)
    path.write_text(f"承租单位,统一社会信用代码,面积,人数,企业规模,承租用途\n甲公司,{code},100,1,规下,生产\n"
                    f"乙公司,{code},100,1,规下,生产\n", encoding="utf-8")
    report = import_ledger(store, path)
    assert [(p.row, p.kind) for p in report.problems] == [(3, "duplicate_in_file")]
    assert not report.written and _tenants(store) == []


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_then_import_round_trips_every_field(store, park, tmp_path, suffix):
    full = tenant_values(1, scale="规上", lease_start="2024-03-01", lease_end="2027-02-28", fire_hazard_class="丙",
                         process_or_goods="机加工、喷涂", safety_agreement_signed="是", safety_agreement_date="2025-01-15",
                         sublet="是", subtenant_name="平湖某某五金加工厂", people_living_on_site="是", floor="2", three_party_agreement="是", bank_consent="是",
                         notes="=SUM(A1) 二楼设有员工休息室", contact_phone="0573-85012345")
    save_tenant(store, park_id=park.id, data=TenantInput.model_validate(full))
    save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(2, status="已迁出")))
    before = {t.credit_code: tenant_as_input(t) for t in _tenants(store)}
    path = tmp_path / f"ledger{suffix}"
    export_ledger(store, path, park_code=park.code)
    fresh = Store.open(tmp_path / "fresh.db")  # a fresh database with one empty park
    try:
        with fresh.transaction() as session:
            session.add(Park(code="PH-009", name="新园区", district="平湖市", street="新埭镇",
                             function_type="manufacturing", developer_type="government", land_area_mu=1,
                             floor_area_m2=1))  # fmt: skip
        report = import_ledger(fresh, path)
        assert report.problems == [] and report.unmapped == [] and report.warnings == []
        assert report.created == 2
        after = {t.credit_code: tenant_as_input(t) for t in _tenants(fresh)}
        again = import_ledger(fresh, path, dry_run=True)  # the same file onto itself: nothing to change
        assert (again.created, again.updated, again.unchanged, again.changes) == (0, 0, 2, [])
    finally:
        fresh.close()
    assert after == before
    assert set(before[make_credit_code(1)]) == set(INPUT_FIELDS)
    assert all(value not in (None, "", [], False) for value in before[make_credit_code(1)].values())


def test_gb18030_csv_with_title_row_and_header_variants(store, park, tmp_path):
    path = tmp_path / "台账.csv"
    text = ("某某小微企业园企业台账,,,,,,\n"
            ",,,,,,\n"
            "公司名称,统一社会信用代码,负责人,手机,租赁面积(㎡),员工人数,企业规模,承租用途\n"
            f"平湖甲精密机械有限公司,{make_credit_code(11)},张伟,１３８１２３４５６７８,１２００㎡,35人,规上,生产\n"
            ",,,,,,,\n"
            "小计,,,,1200,35,,\n")
    path.write_bytes(text.encode("gb18030"))
    report = import_ledger(store, path)
    assert report.header_row == 3 and report.problems == [] and report.created == 1
    (tenant,) = _tenants(store)
    assert (tenant.name, tenant.contact_phone, tenant.rented_area_m2, tenant.headcount, tenant.scale) == (
        "平湖甲精密机械有限公司", "13812345678", 1200, 35, "above")


def test_park_must_be_named_when_there_are_several(store, park, sample, db_path, capsys):
    from db.models import Park

    with store.transaction() as session:
        session.add(Park(code="JX-002", name="嘉兴园", district="秀洲区", street="王江泾镇",
                         function_type="manufacturing", developer_type="government", land_area_mu=1, floor_area_m2=1))
    assert main(["--db", str(db_path), "ledger", "import", str(sample), "--skip-invalid"]) == 2
    assert "--park" in capsys.readouterr().err
    assert main(["--db", str(db_path), "ledger", "import", str(sample), "--park", "PH-001", "--skip-invalid"]) == 0


# --- header detection on the layouts parks use ------------------------------------------------


def _xlsx(path: Path, rows: list[list[object]], merges: tuple[str, ...] = ()) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    workbook.save(path)
    return path


def test_merged_title_rows_above_the_header_are_skipped(store, park, tmp_path):
    path = _xlsx(tmp_path / "merged.xlsx", [
        ["平湖市钟埭街道某某小微企业园园中园专项台账", None, None, None, None, None, None],
        ["填报单位：园区运营方", None, None, "填报日期：2026年11月", None, None, None],
        ["序号", "承租单位", "统一社会信用代码", "租赁面积(㎡)", "人数", "企业规模", "承租用途"],
        [1, "平湖甲精密机械有限公司", make_credit_code(21), "1200㎡", "35人", "规上", "生产"],
    ], merges=("A1:G1", "A2:C2", "D2:G2"))
    report = import_ledger(store, path)
    assert report.header_row == 3 and report.problems == [] and report.created == 1
    assert report.unmapped == ["序号"]
    (tenant,) = _tenants(store)
    assert (tenant.rented_area_m2, tenant.headcount, tenant.scale, tenant.lease_use) == (1200, 35, "above", "production")


@pytest.mark.parametrize("name_header", ["承租单位", "企业名称", "公司名称"])
@pytest.mark.parametrize("area_header", ["面积", "租赁面积(㎡)", "租赁面积（㎡）", "出租面积 (m²)"])
def test_header_variants_map_to_the_same_fields(store, park, tmp_path, name_header, area_header):
    path = tmp_path / "variants.csv"
    path.write_text(f"{name_header},统一社会信用代码,{area_header},租赁区域总人数,企业规模,承租用途\n"
                    f"乙公司,{make_credit_code(22)},800,12,规下,仓储\n", encoding="utf-8")
    report = import_ledger(store, path, dry_run=True)
    assert report.columns == {0: "name", 1: "credit_code", 2: "rented_area_m2", 3: "headcount", 4: "scale",
                              5: "lease_use"}
    assert report.problems == [] and report.created == 1


def test_units_full_width_digits_blank_and_subtotal_rows_in_xlsx(store, park, tmp_path):
    path = _xlsx(tmp_path / "units.xlsx", [
        ["企业名称", "信用代码", "面积", "人数", "规模", "用途", "楼栋/房号"],
        ["丙公司", make_credit_code(23), "１２００．５㎡", "３５人", "规下", "办公", "２号楼４１７"],
        [None, None, None, None, None, None, None],
        ["丁公司", make_credit_code(24), 300, 8, "规上", "研发", "5幢-201"],
        ["合 计", None, 1500.5, 43, None, None, None],
        ["小计：2家", None, None, None, None, None, None],
    ])
    report = import_ledger(store, path)
    assert report.data_rows == 2 and report.problems == [] and report.created == 2
    tenants = {t.name: t for t in _tenants(store)}
    assert (tenants["丙公司"].rented_area_m2, tenants["丙公司"].headcount) == (1200.5, 35)
    assert (tenants["丙公司"].building, tenants["丙公司"].unit_no) == ("2号楼", "417")
    assert (tenants["丁公司"].building, tenants["丁公司"].unit_no) == ("5幢", "201")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-8"])
def test_csv_encodings(store, park, tmp_path, encoding):
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(("承租单位,统一社会信用代码,面积,人数,企业规模,承租用途,主要风险点\n"
                      f"平湖戊箱包有限公司,{make_credit_code(25)},500,20,规下,生产,动火作业、粉尘\n").encode(encoding))
    report = import_ledger(store, path)
    assert report.problems == [] and report.created == 1
    (tenant,) = _tenants(store)
    assert tenant.name == "平湖戊箱包有限公司" and tenant.risk_points == ["hot_work", "dust"]


def test_a_sheet_without_a_recognisable_header_is_refused(store, park, tmp_path):
    from db.errors import UserError

    path = tmp_path / "none.csv"
    path.write_text("甲,乙,丙\n1,2,3\n", encoding="utf-8")
    with pytest.raises(UserError) as refused:
        import_ledger(store, path)
    assert refused.value.key == "import.no_header"


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_workbook_is_refused_with_a_message_and_writes_nothing(store, park, sample, tmp_path, damage,
                                                                         db_path, capsys):
    from db.errors import UserError

    whole = sample.read_bytes()
    path = tmp_path / f"{damage}.xlsx"
    path.write_bytes(bytes(range(256)) * 4 if damage == "garbage" else whole[: len(whole) // 2])
    with pytest.raises(UserError) as refused:
        import_ledger(store, path)
    assert refused.value.key == "import.unreadable_xlsx"
    assert main(["--db", str(db_path), "ledger", "import", str(path)]) == 2
    assert "无法读取" in capsys.readouterr().err
    assert _tenants(store) == []


def test_a_line_break_inside_a_quoted_csv_cell_stays_in_its_cell(store, park, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("承租单位,统一社会信用代码,面积,人数,企业规模,承租用途,备注\n"
                    f'辛公司,{make_credit_code(28)},600,9,规下,仓储,"第一行\n第二行"\n', encoding="utf-8")
    report = import_ledger(store, path)
    assert report.problems == [] and report.created == 1
    (tenant,) = _tenants(store)
    assert tenant.notes == "第一行\n第二行"


# --- mapping chosen by the user, preview of changes, warnings ---------------------------------


def _one_tenant_csv(tmp_path: Path, header: str, row: str) -> Path:
    path = tmp_path / "mapped.csv"
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    return path


def test_a_column_mapping_override_replaces_the_detected_one(store, park, tmp_path):
    # "备注" is not recognised; "联系人" holds the notes in this park's sheet.
    path = _one_tenant_csv(tmp_path, "承租单位,统一社会信用代码,面积,人数,企业规模,承租用途,联系人,楼层面积说明",
                           f"己公司,{make_credit_code(26)},600,9,规下,仓储,夜间无人值守,含夹层")
    detected = import_ledger(store, path, dry_run=True)
    assert detected.columns[6] == "contact_name" and detected.unmapped == ["楼层面积说明"]
    columns = {**detected.columns, 6: "notes", 7: None}
    report = import_ledger(store, path, columns=columns)
    assert report.written and report.unmapped == ["楼层面积说明"]
    (tenant,) = _tenants(store)
    assert (tenant.contact_name, tenant.notes) == (None, "夜间无人值守")


def test_a_field_mapped_from_two_columns_is_refused(store, park, tmp_path):
    from db.errors import UserError

    path = _one_tenant_csv(tmp_path, "承租单位,统一社会信用代码,面积,人数,企业规模,承租用途",
                           f"庚公司,{make_credit_code(27)},600,9,规下,仓储")
    with pytest.raises(UserError) as refused:
        import_ledger(store, path, columns={0: "name", 1: "credit_code", 2: "rented_area_m2", 3: "rented_area_m2"})
    assert refused.value.key == "import.mapping_twice"
    assert "面积" in refused.value.message() and "人数" in refused.value.message()
    assert _tenants(store) == []


def test_the_preview_lists_what_changes_for_each_updated_tenant(store, park, tmp_path):
    save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(1)))
    path = _one_tenant_csv(tmp_path, "承租单位,统一社会信用代码,面积,人数,企业规模,承租用途",
                           f"平湖测试精密机械有限公司1,{make_credit_code(1)},1500,35,规上,生产")
    report = import_ledger(store, path, dry_run=True)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    (change,) = report.changes
    assert (change.row, change.credit_code) == (2, make_credit_code(1))
    assert [(c.field, c.old, c.new) for c in change.fields] == [("rented_area_m2", "1200", "1500"),
                                                                 ("scale", "规下", "规上")]
    assert _tenants(store)[0].rented_area_m2 == 1200  # a dry run


def test_a_combined_lease_use_keeps_its_first_part_with_a_warning(store, park, tmp_path, db_path, capsys):
    path = _one_tenant_csv(tmp_path, "承租单位,统一社会信用代码,面积,人数,企业规模,承租用途",
                           f"辛公司,{make_credit_code(28)},600,9,规下,生产+仓储")
    assert main(["--db", str(db_path), "ledger", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "提示：第 2 行 [承租用途] “生产+仓储”：多种用途，仅保留第一种“生产”" in out
    (tenant,) = _tenants(store)
    assert tenant.lease_use == "production"
