"""`parkinspect hazards` in-process: the table, the --json contract of cli.md, filters, exit codes.

The data is made with the inspection services, as an inspector would make it. The command
derives "overdue" from the real today, so the inspections here are dated relative to it.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from forms import china_time
from forms.checklist import builtin_templates
from forms.inspector import InspectorInput
from forms.rectification import RectificationInput
from forms.tenant import TenantInput
from inspect_app.cli import hazards as hazards_cli
from inspect_app.cli import main
from inspect_app.services.hazards import mark_pending_review, record_reinspection, save_rectification
from inspect_app.services.inspections import (
    finish_inspection,
    load_inspection,
    pass_remaining,
    record_outcome,
    start_inspection,
)
from inspect_app.services.ledger import save_tenant
from inspect_app.services.profile import save_profile
from tests.conftest import tenant_values

FIRE = builtin_templates()["fire_safety"]
TODAY = china_time.today()  # the day the CLI judges overdue by
CONTRACT_KEYS = {"id", "park_code", "tenant_name", "severity", "status", "deadline", "responsible", "measures",
                 "funds", "contingency_plan", "notice_number"}  # fmt: skip


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path, monkeypatch):
    """No settings from the machine running the tests: no config file, env language or log dir."""
    monkeypatch.delenv("PARKINSPECT_DB", raising=False)
    monkeypatch.delenv("PARKINSPECT_LANG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def run(capsys, db_path: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, db_path: Path, *args: str) -> list[dict]:
    code, out, err = run(capsys, db_path, "hazards", "--json", *args)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def inspector(store):
    return save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))


@pytest.fixture
def tenant(store, park):
    return save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(1)))


def inspect(store, park, inspector, *, tenant=None, failures=("D01",), found_on=TODAY) -> list[str]:
    """A whole fire-safety inspection through the services; returns the hazard ids it found."""
    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id if tenant else None,
                                     template=FIRE, inspector_ids=[inspector.id])
    for result in load_inspection(store, inspection_id).results:
        if result.code in failures:
            record_outcome(store, result.id, "fail", note="现场发现")
    pass_remaining(store, inspection_id)
    return finish_inspection(store, inspection_id, today=found_on)


def five(deadline: date, **overrides) -> RectificationInput:
    values = {"responsible_person": "张伟", "responsible_phone": "13812345678", "measures": "由持证电工重新敷设线路",
              "funds_yuan": "1500", "funds_reason": "", "deadline": deadline.isoformat(),
              "contingency_plan": "整改期间断开该回路电源并配备灭火器", **overrides}  # fmt: skip
    return RectificationInput.model_validate(values)


@pytest.fixture
def every_status(store, park, tenant, inspector) -> dict[str, str]:
    """One hazard in each status the command filters on; status -> hazard id."""
    long_ago = TODAY - timedelta(days=60)
    overdue, pending, closed, escalated = inspect(
        store, park, inspector, tenant=tenant, failures=("B03", "B04", "C02", "D01"), found_on=long_ago
    )
    mark_pending_review(store, pending)
    record_reinspection(store, closed, outcome="rectified", on=TODAY - timedelta(days=30), evidence_note="已更换",
                        new_deadline=None, inspector_ids=[inspector.id])  # fmt: skip
    record_reinspection(store, escalated, outcome="escalated", on=TODAY - timedelta(days=30), evidence_note=None,
                        new_deadline=None, inspector_ids=[inspector.id])  # fmt: skip
    (open_,) = inspect(store, park, inspector, failures=("D03",), found_on=TODAY)  # common areas, deadline today
    save_rectification(store, open_, five(TODAY), today=TODAY)
    return {"open": open_, "overdue": overdue, "pending_review": pending, "closed": closed, "escalated": escalated}


def test_json_is_one_array_with_the_fields_cli_md_promises(capsys, db_path, park, tenant, every_status):
    rows = run_json(capsys, db_path)

    assert len(rows) == 5 and all(CONTRACT_KEYS <= set(row) for row in rows)
    by_id = {row["id"]: row for row in rows}
    assert {status: by_id[hazard]["status"] for status, hazard in every_status.items()} == {
        status: status for status in every_status
    }
    agreed = by_id[every_status["open"]]
    assert agreed["tenant_name"] is None and agreed["park_code"] == "PH-001"  # the park's common areas
    assert (agreed["responsible"], agreed["measures"], agreed["funds"], agreed["contingency_plan"]) == (
        "张伟", "由持证电工重新敷设线路", 1500.0, "整改期间断开该回路电源并配备灭火器")  # fmt: skip
    assert agreed["deadline"] == TODAY.isoformat() and agreed["notice_number"] is None
    found = by_id[every_status["overdue"]]
    assert found["tenant_name"] == tenant.name and found["severity"] == "general"
    assert found["responsible"] is None and found["measures"] is None  # 五落实 not agreed yet
    assert date.fromisoformat(found["deadline"]) < TODAY
    deadlines = [row["deadline"] for row in rows]
    assert deadlines == sorted(deadlines)  # earliest first


@pytest.mark.parametrize("status", ["open", "overdue", "pending_review", "closed", "escalated"])
def test_status_filter(capsys, db_path, every_status, status):
    rows = run_json(capsys, db_path, "--status", status)
    assert [row["id"] for row in rows] == [every_status[status]]


def test_park_filter(capsys, db_path, store, park, inspector, every_status):
    other = save_park_like(store, "PH-002")
    (elsewhere,) = inspect(store, other, inspector, failures=("B02",))

    assert [row["id"] for row in run_json(capsys, db_path, "--park", "PH-002")] == [elsewhere]
    assert len(run_json(capsys, db_path, "--park", "PH-001")) == 5
    assert len(run_json(capsys, db_path)) == 6


def save_park_like(store, code: str):
    from db.models import Park

    with store.transaction() as session:
        park = Park(code=code, name=f"平湖市测试小微企业园{code}", district="平湖市", street="钟埭街道",
                    function_type="manufacturing", developer_type="government", land_area_mu=60,
                    floor_area_m2=40000)  # fmt: skip
        session.add(park)
    return park


def test_json_holds_every_row_however_many_pages(capsys, db_path, store, park, tenant, inspector, monkeypatch):
    codes = ("A02", "B03", "B04", "C02", "D01")
    found = inspect(store, park, inspector, tenant=tenant, failures=codes)
    from inspect_app.services import hazards_export

    monkeypatch.setattr(hazards_export, "PAGE", 2)  # three calls to list_hazards: 2 + 2 + 1

    rows = run_json(capsys, db_path)
    assert sorted(row["id"] for row in rows) == sorted(found)


def test_table_in_chinese_by_default_and_in_english_on_request(capsys, db_path, tenant, every_status):
    code, out, err = run(capsys, db_path, "hazards")
    assert code == 0 and err == ""
    lines = out.splitlines()
    for heading in ("整改期限", "状态", "等级", "园区", "单位", "隐患", "责任人"):
        assert heading in lines[0]
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + 5 + 1 and lines[-1] == "共 5 条隐患"
    body = "\n".join(lines[2:-1])
    for label in ("待整改", "已逾期", "待复查", "已销号", "已上报", "一般隐患", tenant.name, "（园区公共区域）", "张伟"):
        assert label in body

    code, out, _ = run(capsys, db_path, "--lang", "en", "hazards", "--status", "overdue")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["Deadline", "Status", "Severity", "Park", "Tenant", "Hazard", "Responsible"]
    assert "Overdue" in lines[2] and "General hazard" in lines[2] and lines[-1] == "Hazards: 1"


def test_long_names_are_cut_to_keep_the_columns(capsys, db_path, store, park, inspector):
    long_name = "平湖市" + "精密" * 20 + "有限公司"
    tenant = save_tenant(store, park_id=park.id,
                         data=TenantInput.model_validate(tenant_values(2, name=long_name)))  # fmt: skip
    inspect(store, park, inspector, tenant=tenant, failures=("A02",))

    _, out, _ = run(capsys, db_path, "hazards")
    row = out.splitlines()[2]
    assert long_name not in row and "…" in row
    assert hazards_cli._cell_width(out.splitlines()[0]) <= 140


def test_no_hazards(capsys, db_path, park):
    code, out, _ = run(capsys, db_path, "hazards")
    assert code == 0 and out.strip() == "没有符合条件的隐患"
    assert run_json(capsys, db_path) == []


def test_an_unknown_park_is_bad_input(capsys, db_path, park):
    code, out, err = run(capsys, db_path, "hazards", "--park", "PH-404")
    assert code == 2 and out == "" and "PH-404" in err and "园区" in err

    code, _, err = run(capsys, db_path, "--lang", "en", "hazards", "--park", "PH-404", "--json")
    assert code == 2 and "No park has the code PH-404" in err


def test_an_unknown_status_is_a_usage_error(capsys, db_path, park):
    with pytest.raises(SystemExit) as exited:  # argparse exits from inside main()
        main(["--db", str(db_path), "hazards", "--status", "late"])
    out, err = capsys.readouterr()
    assert exited.value.code == 2 and out == "" and "late" in err and "overdue" in err


def test_a_missing_database_is_not_created(capsys, tmp_path):
    missing = tmp_path / "nowhere.db"
    code, _, err = run(capsys, missing, "hazards")
    assert code == 2 and str(missing) in err and not missing.exists()
