"""Issuing notices end to end: numbering, frozen content, signatures, locks, export, verify."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from db.errors import UserError
from db.models import Hazard, Notice, NoticeCounter, RectificationItem
from db.store import Store
from exports.notice_pdf import read_embedded
from exports.signing import TrustStore, create_device_key, verify_pdf, verify_qr
from forms.checklist import builtin_templates
from forms.inspector import InspectorInput
from forms.rectification import RectificationInput
from forms.tenant import TenantInput
from inspect_app.services.hazards import record_reinspection, save_rectification
from inspect_app.services.inspections import (
    finish_inspection,
    load_inspection,
    pass_remaining,
    record_outcome,
    start_inspection,
)
from inspect_app.services.ledger import save_tenant
from inspect_app.services.notices import (
    Agency,
    export_notices,
    issue_rectification_notice,
    issue_reinspection_opinion,
    set_device_block,
)
from inspect_app.services.profile import save_profile
from tests.conftest import TODAY, tenant_values

KEYS_SINCE = datetime(2026, 1, 1, tzinfo=UTC)  # signing keys are valid from then on (notices check it)

FIRE = builtin_templates()["fire_safety"]
AGENCY = Agency(name="平湖市经济和信息化局", short="平经信安整")
NOW = datetime(2026, 11, 26, 10, 15, tzinfo=UTC)
FIVE = {"responsible_person": "张伟", "responsible_phone": "13812345678", "measures": "清理通道，搬离纸箱",
        "funds_yuan": "0", "funds_reason": "自行整改，无需资金", "deadline": "2026-12-10",
        "contingency_plan": "整改期间专人值守，配备灭火器"}


@pytest.fixture
def keys(tmp_path, store):
    directory = tmp_path / "keys"
    create_device_key(directory, common_name="李明 平湖市经济和信息化局", device_id=store.device_id,
                      now=KEYS_SINCE)  # valid before the fixed issue dates
    return directory


@pytest.fixture
def inspector(store):
    return save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))


def hazards_of_a_tenant(store, park, inspector, n: int = 1, *, codes=("B02", "D01"), complete=True) -> list[str]:
    tenant = save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n)))
    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=FIRE,
                                     inspector_ids=[inspector.id])
    for result in load_inspection(store, inspection_id).results:
        if result.code in codes:
            record_outcome(store, result.id, "fail", note=f"{result.code} 现场发现问题")
    pass_remaining(store, inspection_id)
    hazard_ids = finish_inspection(store, inspection_id, today=TODAY)
    for hazard_id in hazard_ids:
        values = FIVE if complete else {**FIVE, "contingency_plan": ""}
        save_rectification(store, hazard_id, RectificationInput.model_validate(values), today=TODAY)
    return hazard_ids


def count(store, model) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_issue_export_verify(store, park, inspector, keys, tmp_path):
    set_device_block(store, "A07")
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    issued = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys, now=NOW)
    assert issued.number == "平经信安整责改〔2026〕第A07-0001号"
    [path] = export_notices(store, tmp_path / "out", [issued.number])
    pdf = path.read_bytes()
    result = verify_pdf(pdf, TrustStore.from_directory(keys), read_embedded)
    assert result.status == "authentic", result.reason
    assert result.number == issued.number
    content, qr = read_embedded(pdf)
    assert json.loads(content)["hazards"][0]["measures"] == "清理通道，搬离纸箱"
    assert verify_qr(qr, TrustStore.from_directory(keys), content).status == "authentic"
    with store.read() as session:
        notice = session.exec(select(Notice)).one()
        assert notice.pdf == pdf and notice.content_json.encode() == content
        assert all(session.get(Hazard, h).notice_id == notice.id for h in hazard_ids)
        items = session.exec(select(RectificationItem).where(RectificationItem.hazard_id.in_(hazard_ids))).all()
        assert {i.notice_id for i in items} == {notice.id}


def test_incomplete_five_implementations_are_refused_and_nothing_is_written(store, park, inspector, keys):
    hazard_ids = hazards_of_a_tenant(store, park, inspector, complete=False)
    with pytest.raises(UserError) as refused:
        issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys, now=NOW)
    assert "整改预案" in refused.value.message()
    assert count(store, Notice) == 0 and count(store, NoticeCounter) == 0


def test_a_notice_needs_an_issuing_agency(store, park, inspector, keys):
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    with pytest.raises(UserError) as refused:
        issue_rectification_notice(store, hazard_ids=hazard_ids, agency=Agency(name=" "), keys_dir=keys, now=NOW)
    assert refused.value.key == "errors.agency_missing"
    assert count(store, Notice) == 0 and count(store, NoticeCounter) == 0


def test_without_a_signing_key_nothing_is_issued(store, park, inspector, tmp_path):
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    with pytest.raises(UserError) as refused:
        issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=tmp_path / "none", now=NOW)
    assert "keys init" in refused.value.message()
    assert count(store, Notice) == 0


def test_a_character_the_font_cannot_draw_refuses_the_notice_and_nothing_is_written(store, park, inspector,
                                                                                     keys):
    """A rare character (CJK extension B) would print as a blank box: refused, naming it; no number used."""
    import dataclasses

    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    rare = dataclasses.replace(AGENCY, name="平湖市𠀀经济和信息化局")
    with pytest.raises(UserError) as refused:
        issue_rectification_notice(store, hazard_ids=hazard_ids, agency=rare, keys_dir=keys, now=NOW)
    assert "𠀀" in refused.value.message() and "U+20000" in refused.value.message()
    assert count(store, Notice) == 0
    assert issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys,
                                      now=NOW).number.endswith("-0001号")


def test_a_failure_while_issuing_leaves_no_gap_in_the_numbers(store, park, inspector, keys, monkeypatch):
    import exports.notice_pdf

    first = hazards_of_a_tenant(store, park, inspector, 1)
    second = hazards_of_a_tenant(store, park, inspector, 2)

    def broken(*args, **kwargs):
        raise RuntimeError("printer font missing")

    monkeypatch.setattr(exports.notice_pdf, "render_document", broken)
    with pytest.raises(RuntimeError):
        issue_rectification_notice(store, hazard_ids=first, agency=AGENCY, keys_dir=keys, now=NOW)
    monkeypatch.undo()
    a = issue_rectification_notice(store, hazard_ids=first, agency=AGENCY, keys_dir=keys, now=NOW)
    b = issue_rectification_notice(store, hazard_ids=second, agency=AGENCY, keys_dir=keys, now=NOW)
    assert a.number.endswith("-0001号") and b.number.endswith("-0002号")


def test_two_devices_issuing_offline_never_collide(tmp_path, park):
    numbers = []
    for block in ("A07", "B12"):
        store = Store.open(tmp_path / f"{block}.db")
        try:
            set_device_block(store, block)
            keys = tmp_path / f"keys-{block}"
            create_device_key(keys, common_name=f"设备 {block}", device_id=store.device_id,
                      now=KEYS_SINCE)  # valid before the fixed issue dates
            from db.models import Park

            with store.transaction() as session:
                device_park = Park(**{k: getattr(park, k) for k in ("code", "name", "district", "street",
                                                                    "function_type", "developer_type",
                                                                    "land_area_mu", "floor_area_m2")})
                session.add(device_park)
            me = save_profile(store, InspectorInput(name="王芳", id_number="33048220200187", agency="平湖市应急管理局"))
            for n in range(3):
                ids = hazards_of_a_tenant(store, device_park, me, n + 1, codes=("B02",))
                numbers.append(issue_rectification_notice(store, hazard_ids=ids, agency=AGENCY, keys_dir=keys,
                                                          now=NOW).number)
        finally:
            store.close()
    assert len(set(numbers)) == 6
    assert [n.split("〕")[1] for n in numbers] == ["第A07-0001号", "第A07-0002号", "第A07-0003号",
                                                  "第B12-0001号", "第B12-0002号", "第B12-0003号"]


def test_a_correction_is_a_new_revision_and_the_original_stays_verifiable(store, park, inspector, keys, tmp_path):
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    original = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys, now=NOW)
    save_rectification(store, hazard_ids[0], RectificationInput.model_validate({**FIVE, "deadline": "2026-12-31"}), today=TODAY)
    later = NOW + timedelta(days=1)
    correction = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys, now=later,
                                            supersedes=original.number)
    assert correction.content["supersedes"] == original.number and correction.content["revision"] == 2
    trust = TrustStore.from_directory(keys)
    paths = export_notices(store, tmp_path / "out", [original.number, correction.number])
    assert [verify_pdf(p.read_bytes(), trust, read_embedded).status for p in paths] == ["authentic", "authentic"]
    assert json.loads(read_embedded(paths[0].read_bytes())[0])["hazards"][0]["deadline"] == "2026-12-10"
    assert json.loads(read_embedded(paths[1].read_bytes())[0])["hazards"][0]["deadline"] == "2026-12-31"


def test_reinspection_opinion_lists_each_outcome(store, park, inspector, keys):
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    notice = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys, now=NOW)
    record_reinspection(store, hazard_ids[0], outcome="rectified", on=TODAY + timedelta(days=14),
                        evidence_note="已清理", new_deadline=None, inspector_ids=[inspector.id])
    opinion = issue_reinspection_opinion(store, notice_number=notice.number, agency=AGENCY, keys_dir=keys,
                                         now=NOW + timedelta(days=14))
    assert opinion.content["references"] == notice.number
    outcomes = [h["outcome"] and h["outcome"]["result"] for h in opinion.content["hazards"]]
    assert outcomes.count("rectified") == 1


@pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
                    reason="needs pdftoppm (poppler-utils) and zbarimg (zbar-tools)")
def test_the_qr_code_scanned_from_the_printed_page_verifies(store, park, inspector, keys, tmp_path):
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    issued = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys, now=NOW)
    [pdf] = export_notices(store, tmp_path / "out", [issued.number])
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    [png] = tmp_path.glob("page*.png")
    scanned = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, check=True)
    text = scanned.stdout.decode("utf-8").strip()
    result = verify_qr(text, TrustStore.from_directory(keys))
    assert result.status == "authentic" and result.number == issued.number
