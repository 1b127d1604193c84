"""`parkinspect overview`: the county and a park as text and JSON; bad quarter and park refused."""

from __future__ import annotations

import json

import pytest

from db.models import Park, QuarterlyReport, Tenant
from inspect_app.cli import main
from tests.conftest import make_credit_code


@pytest.fixture
def county(store, park):
    """PH-001 (120.5 亩): one tenant whose output fell from 400 to 100 万元 (2025Q2 -> 2026Q2); an empty PH-002."""
    with store.transaction() as session:
        tenant = Tenant(park_id=park.id, name="平湖市下滑机械有限公司", credit_code=make_credit_code(1),
                        rented_area_m2=1000, headcount=10, scale="above", lease_use="production",
                        efficiency_class="C")
        session.add(tenant)
        session.flush()
        session.add(QuarterlyReport(tenant_id=tenant.id, year=2025, quarter=2, output_value_wan=400))
        session.add(QuarterlyReport(tenant_id=tenant.id, year=2026, quarter=2, output_value_wan=100, tax_wan=5))
        session.add(Park(code="PH-002", name="第二园区", district="平湖市", street="钟埭街道",
                         function_type="manufacturing", developer_type="government", land_area_mu=10,
                         floor_area_m2=5000))
    return park


def run(capsys, db_path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_county_json(capsys, db_path, county):
    code, out, err = run(capsys, db_path, "overview", "--quarter", "2026Q2", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["quarter"] == "2026Q2"
    assert [p["code"] for p in data["parks"]] == ["PH-001", "PH-002"]
    assert data["county"]["output_wan"] == 100
    assert data["county"]["flags"]["declining"] == 1
    assert data["parks"][0]["output_per_mu"] == pytest.approx(100 / 120.5)


def test_park_text_names_the_flag_in_words(capsys, db_path, county):
    code, out, err = run(capsys, db_path, "overview", "--park", "PH-001", "--quarter", "2026q2")
    assert code == 0, err
    assert "PH-001 平湖经济开发区小微企业园 · 2026年第二季度" in out
    assert "平湖市下滑机械有限公司: 产值同比下降 75%（2025年第二季度 400 万元 → 2026年第二季度 100 万元）" in out


def test_park_json_in_english(capsys, db_path, county):
    code, out, err = run(capsys, db_path, "--lang", "en", "overview", "--park", "PH-001", "--quarter", "2026Q2",
                         "--json")
    assert code == 0, err
    (tenant,) = json.loads(out)["tenants"]
    assert tenant["efficiency_class"] == "C" and tenant["output_change_pct"] == -75
    assert tenant["flags"][0]["explanation"] == (
        "Output down 75% year on year (2025 Q2: 400 → 2026 Q2: 100, 10k yuan)")


@pytest.mark.parametrize("args, message", [
    (("--quarter", "2026Q5"), "季度“2026Q5”无法识别"),
    (("--park", "PH-404"), "没有编号为 PH-404 的园区"),
])
def test_bad_input_is_refused_with_exit_2(capsys, db_path, county, args, message):
    code, out, err = run(capsys, db_path, "overview", *args)
    assert code == 2 and out == ""
    assert message in err
