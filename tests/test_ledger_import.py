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

from db.models import Tenant
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
                         sublet="是", subtenant_name="平湖某某五金加工厂", people_living_on_site="是",
                         notes="=SUM(A1) 二楼设有员工休息室", contact_phone="0573-85012345")
    save_tenant(store, park_id=park.id, data=TenantInput.model_validate(full))
    save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(2, status="已迁出")))
    before = {t.credit_code: tenant_as_input(t) for t in _tenants(store)}
    path = tmp_path / f"ledger{suffix}"
    export_ledger(store, path, park_code=park.code)
    with store.transaction() as session:
        for tenant in session.exec(select(Tenant)).all():
            tenant.deleted = True  # synced rows are soft-deleted; the import must create them anew
    report = import_ledger(store, path)
    assert report.problems == [] and report.unmapped == []
    assert report.created == 2
    after = {t.credit_code: tenant_as_input(t) for t in _tenants(store)}
    assert after == before
    assert set(before[make_credit_code(1)]) == set(INPUT_FIELDS)


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
