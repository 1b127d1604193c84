"""`parkinspect notices issue --kind rectification|opinion|record`: each kind, by id or by tenant, and refusals."""

from __future__ import annotations

import json

import pytest
from sqlmodel import func, select

from db.models import Hazard, Inspection, Notice, NoticeCounter
from exports.signing import create_device_key
from forms.inspector import InspectorInput
from inspect_app.cli import main
from inspect_app.services.hazards import record_reinspection
from inspect_app.services.notices import issue_rectification_notice
from inspect_app.services.profile import save_profile
from tests.conftest import TODAY, make_credit_code
from tests.test_notices import AGENCY, NOW, hazards_of_a_tenant


@pytest.fixture
def keys(tmp_path, monkeypatch, store):
    directory = tmp_path / "keys"
    monkeypatch.setenv("PARKINSPECT_KEYS_DIR", str(directory))
    create_device_key(directory, common_name="李明 平湖市经济和信息化局", device_id=store.device_id)
    return directory


@pytest.fixture
def me(store):
    return save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))


def run(capsys, db_path, *args):
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def count(store, model) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def issue(capsys, db_path, kind, *args):
    return run(capsys, db_path, "notices", "issue", "--kind", kind, *args)


def test_a_rectification_notice_by_hazard_ids_is_written_verifiable_and_never_issued_twice(
        store, park, me, keys, db_path, tmp_path, capsys):
    hazard_ids = hazards_of_a_tenant(store, park, me)
    out_dir = tmp_path / "out"
    code, out, err = issue(capsys, db_path, "rectification", "--hazard", hazard_ids[0], "--hazard", hazard_ids[1],
                           "-o", str(out_dir), "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["kind"] == "rectification" and payload["number"].endswith("-0001号")
    assert payload["file"] and (out_dir / payload["file"].rsplit("/", 1)[-1]).exists()
    code, out, _ = run(capsys, db_path, "verify", payload["file"])
    assert code == 0 and payload["number"] in out

    code, out, err = issue(capsys, db_path, "rectification", "--hazard", hazard_ids[0])
    assert code == 2 and f"已列入通知书 {payload['number']}" in err and out == ""
    assert count(store, Notice) == 1


def test_an_opinion_by_notice_number_and_a_record_by_tenant_with_the_accompanying_person(
        store, park, me, keys, db_path, capsys):
    hazard_ids = hazards_of_a_tenant(store, park, me)
    notice = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys, now=NOW)
    code, _, err = issue(capsys, db_path, "opinion", "--notice", notice.number)
    assert code == 2 and "尚无复查记录" in err  # nothing re-inspected yet
    record_reinspection(store, hazard_ids[0], outcome="rectified", on=TODAY, evidence_note="通道已清理",
                        new_deadline=None, inspector_ids=[me.id])

    code, out, err = issue(capsys, db_path, "opinion", "--notice", notice.number)
    assert code == 0, err
    assert out.splitlines()[0].startswith("已出具复查意见书：")
    assert "PDF 已签名保存在数据库中" in out and "parkinspect notices export" in out
    with store.read() as session:
        opinion = session.exec(select(Notice).where(Notice.kind == "reinspection_opinion")).one()
    assert json.loads(opinion.content_json)["references"] == notice.number

    code, out, err = issue(capsys, db_path, "record", "--tenant", make_credit_code(1), "--accompanied-by", " 王芳 ")
    assert code == 0, err
    with store.read() as session:
        record = session.exec(select(Notice).where(Notice.kind == "inspection_record")).one()
        inspection = session.get(Inspection, record.inspection_id)
    assert record.number in out and inspection.accompanied_by == "王芳"
    assert json.loads(record.content_json)["results"]


def test_by_tenant_a_rectification_takes_its_open_hazards_and_an_opinion_its_latest_notice(
        store, park, me, keys, db_path, capsys):
    hazard_ids = hazards_of_a_tenant(store, park, me, 3)
    code, out, err = issue(capsys, db_path, "rectification", "--tenant", make_credit_code(3), "--json")
    assert code == 0, err
    number = json.loads(out)["number"]
    with store.read() as session:
        notice = session.exec(select(Notice).where(Notice.number == number)).one()
        assert sorted(h.id for h in session.exec(select(Hazard).where(Hazard.notice_id == notice.id))) == sorted(
            hazard_ids)
    code, _, err = issue(capsys, db_path, "rectification", "--tenant", make_credit_code(3))
    assert code == 2 and "没有可列入通知书的隐患" in err
    record_reinspection(store, hazard_ids[0], outcome="rectified", on=TODAY, evidence_note=None, new_deadline=None,
                        inspector_ids=[me.id])
    code, out, err = issue(capsys, db_path, "opinion", "--tenant", make_credit_code(3), "--json")
    assert code == 0, err
    assert json.loads(out)["kind"] == "reinspection_opinion"


@pytest.mark.parametrize("args, expected", [
    (("rectification", "--hazard", "0190-no-such-hazard"), "没有这些编号的隐患：0190-no-such-hazard"),
    (("opinion", "--notice", "平经信安整〔2026〕Z99-0001号"), "没有编号为 平经信安整〔2026〕Z99-0001号 的通知书"),
    (("record", "--inspection", "0190-no-such-inspection"), "没有编号为 0190-no-such-inspection 的检查"),
    (("record", "--tenant", make_credit_code(9)), f"没有统一社会信用代码为 {make_credit_code(9)} 的在册企业"),
    (("record", "--hazard", "x"), "出具检查记录请用 --inspection"),
    (("rectification",), "出具整改通知书请用 --hazard"),
    (("opinion", "--notice", "X", "--tenant", make_credit_code(1)), "出具复查意见书请用 --notice"),
    (("rectification", "--hazard", "x", "--accompanied-by", "王芳"), "出具整改通知书请用"),
    (("record", "--inspection", "x", "--park", "PH-001"), "--park 只能与 --tenant 一起使用"),
])
def test_refusals_name_the_problem_and_write_nothing(store, park, me, keys, db_path, capsys, args, expected):
    hazards_of_a_tenant(store, park, me, 1)
    code, out, err = issue(capsys, db_path, *args)
    assert code == 2 and expected in err and out == ""
    assert count(store, Notice) == 0 and count(store, NoticeCounter) == 0


def test_an_unfinished_inspection_a_bad_name_and_no_key_are_refused(
        store, park, me, db_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PARKINSPECT_KEYS_DIR", str(tmp_path / "no-keys"))
    hazards_of_a_tenant(store, park, me, 1)
    with store.read() as session:
        inspection_id = session.exec(select(Inspection.id)).one()
    code, _, err = issue(capsys, db_path, "record", "--inspection", inspection_id, "--accompanied-by", "王\n芳")
    assert code == 2 and "控制字符" in err
    with store.read_connection() as conn:
        changes = conn.execute("SELECT count(*) FROM change_log").fetchone()[0]
    code, _, err = run(capsys, db_path, "--lang", "en", "notices", "issue", "--kind", "record",
                       "--inspection", inspection_id, "--accompanied-by", "王芳")
    assert code == 2 and "no signing key" in err
    with store.read() as session:
        assert session.get(Inspection, inspection_id).accompanied_by is None
    with store.read_connection() as conn:
        assert conn.execute("SELECT count(*) FROM change_log").fetchone()[0] == changes  # not even the name
    assert count(store, Notice) == 0 and count(store, NoticeCounter) == 0


def test_a_folder_that_cannot_be_written_is_said_after_the_number(store, park, me, keys, db_path, tmp_path, capsys):
    hazard_ids = hazards_of_a_tenant(store, park, me)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, out, err = issue(capsys, db_path, "rectification", "--hazard", hazard_ids[0], "--hazard", hazard_ids[1],
                           "-o", str(blocker / "out"))
    assert code == 2
    [notice_number] = [n.number for n in all_notices(store)]
    assert notice_number in out and "PDF 已签名保存在数据库中" in out
    assert "文书已出具并保存在数据库中" in err and str(blocker / "out") in err


def all_notices(store) -> list[Notice]:
    with store.read() as session:
        return list(session.exec(select(Notice)).all())


def test_a_tenant_code_in_two_parks_needs_the_park(store, park, me, keys, db_path, capsys):
    from forms.tenant import TenantInput
    from inspect_app.services.ledger import save_tenant
    from tests.conftest import tenant_values
    from tests.test_sync_merge import make_park

    hazards_of_a_tenant(store, park, me, 1)
    other = make_park(store, "PH-002")
    save_tenant(store, park_id=other.id, data=TenantInput.model_validate(tenant_values(1)))
    code, _, err = issue(capsys, db_path, "record", "--tenant", make_credit_code(1))
    assert code == 2 and "--park" in err
    code, out, err = issue(capsys, db_path, "record", "--tenant", make_credit_code(1), "--park", "PH-001")
    assert code == 0, err
    code, _, err = issue(capsys, db_path, "record", "--tenant", make_credit_code(1), "--park", "PH-002")
    assert code == 2 and "没有已结束的检查" in err
