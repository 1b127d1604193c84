"""Documents a clerk would not send back: each kind its own number series (also on the hub and
across bundles), China dates at 00:30 China time, no deadline before the issue date, 检查依据
from the template, the 复查意见书 and 检查记录 saying what is theirs, an address said once."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlmodel import func, select

from db import migrations
from db.errors import UserError
from db.models import Hazard, Inspection, Inspector, Notice, NoticeCounter, Park, RectificationItem
from forms.checklist import TemplateError, parse_template
from forms.rectification import RectificationInput
from inspect_app.services import notices
from inspect_app.services.hazards import record_reinspection, save_rectification
from inspect_app.services.notices import (
    issue_inspection_record,
    issue_rectification_notice,
    issue_reinspection_opinion,
    next_number_preview,
    set_device_block,
)
from inspect_app.sync.bundle import export_bundle, import_bundle
from inspect_app.sync.client import sync_once
from tests import test_notices
from tests.conftest import TODAY
from tests.test_notice_numbers import add_park, ready_to_issue
from tests.test_notices import AGENCY, FIRE, FIVE, NOW, hazards_of_a_tenant

inspector, keys = test_notices.inspector, test_notices.keys  # the same fixtures: a profile, a signing key
HALF_PAST_MIDNIGHT = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)  # 2026-11-26 00:30 in China


def inspection_of(store, hazard_id: str) -> str:
    with store.read() as session:
        return session.get(Hazard, hazard_id).inspection_id


def count(store, model) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_each_kind_has_its_own_series_in_the_official_style(store, park, inspector, keys):
    set_device_block(store, "A07")
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    notice = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys, now=NOW)
    record = issue_inspection_record(store, inspection_id=inspection_of(store, hazard_ids[0]), agency=AGENCY,
                                     keys_dir=keys, now=NOW)
    record_reinspection(store, hazard_ids[0], outcome="rectified", on=TODAY + timedelta(days=3),
                        evidence_note="已清理", new_deadline=None, inspector_ids=[inspector.id])
    opinion = issue_reinspection_opinion(store, notice_number=notice.number, agency=AGENCY, keys_dir=keys,
                                         now=NOW + timedelta(days=3))
    assert notice.number == "平经信安整责改〔2026〕第A07-0001号"
    assert record.number == "平经信安整检记〔2026〕第A07-0001号"
    assert opinion.number == "平经信安整复查〔2026〕第A07-0001号"
    assert next_number_preview(store, AGENCY, 2026) == "平经信安整责改〔2026〕第A07-0002号"
    assert next_number_preview(store, AGENCY, 2026, "inspection_record") == "平经信安整检记〔2026〕第A07-0002号"
    with store.read() as session:
        counters = {(c.kind, c.last_sequence) for c in session.exec(select(NoticeCounter)).all()}
    assert counters == {("rectification", 1), ("inspection_record", 1), ("reinspection_opinion", 1)}


def test_the_kind_words_come_from_the_agency_config(store, park, inspector, keys):
    agency = notices.agency_from_config({"number_words": {
        "rectification": "限改", "inspection_record": "检 查", "unknown": "x"}}, AGENCY)
    set_device_block(store, "A07")
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    issued = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=agency, keys_dir=keys, now=NOW)
    assert issued.number == "平经信安整限改〔2026〕第A07-0001号"
    # A word with a space (or brackets, digits) would make the number unreadable: the default stays.
    assert next_number_preview(store, agency, 2026, "inspection_record").startswith("平经信安整检记〔2026〕")


def test_a_bundle_holding_both_kinds_numbers_never_stops_issuing_either(devices, tmp_path):
    a, b = devices.new("a"), devices.new("b")
    for store in (a, b):
        set_device_block(store, "A07")
    inspector_a, keys_a = ready_to_issue(a, tmp_path, "a")
    park = add_park(a)
    ids = hazards_of_a_tenant(a, park, inspector_a, 1, codes=("B02",))
    issue_rectification_notice(a, hazard_ids=ids, agency=AGENCY, keys_dir=keys_a, now=NOW)
    issue_inspection_record(a, inspection_id=inspection_of(a, ids[0]), agency=AGENCY, keys_dir=keys_a, now=NOW)
    export_bundle(a, tmp_path / "a.zip")
    import_bundle(b, tmp_path / "a.zip")
    inspector_b, keys_b = ready_to_issue(b, tmp_path, "b")
    ids = hazards_of_a_tenant(b, park, inspector_b, 2, codes=("B02",))
    second = issue_rectification_notice(b, hazard_ids=ids, agency=AGENCY, keys_dir=keys_b, now=NOW)
    record = issue_inspection_record(b, inspection_id=inspection_of(b, ids[0]), agency=AGENCY, keys_dir=keys_b,
                                     now=NOW)
    assert second.number.endswith("责改〔2026〕第A07-0002号") and record.number.endswith("检记〔2026〕第A07-0002号")
    assert count(b, Notice) == 4


def test_the_hub_takes_one_sequence_for_two_kinds_and_refuses_a_true_duplicate(served_hub, devices, tmp_path):
    app, url = served_hub
    from inspect_app.hub.storage import enrol_device

    a, b = devices.new("a"), devices.new("b")
    (_, token_a), (_, token_b) = (enrol_device(app.state.engine, name) for name in ("a", "b"))
    inspector_a, keys_a = ready_to_issue(a, tmp_path, "a")
    park = add_park(a)
    assert sync_once(a, url + "/", token_a).rejected == 0
    sync_once(b, url + "/", token_b)
    set_device_block(a, "A07")
    ids = hazards_of_a_tenant(a, park, inspector_a, 1, codes=("B02",))
    first = issue_rectification_notice(a, hazard_ids=ids, agency=AGENCY, keys_dir=keys_a, now=NOW)
    record = issue_inspection_record(a, inspection_id=inspection_of(a, ids[0]), agency=AGENCY, keys_dir=keys_a,
                                     now=NOW)
    assert first.number.endswith("第A07-0001号") and record.number.endswith("第A07-0001号")
    assert sync_once(a, url + "/", token_a).rejected == 0  # the same (block, year, sequence), two kinds
    # B sets the same block by hand and has not pulled A's notices: its first is a true duplicate.
    set_device_block(b, "A07")
    inspector_b, keys_b = ready_to_issue(b, tmp_path, "b")
    ids_b = hazards_of_a_tenant(b, park, inspector_b, 2, codes=("B02",))
    duplicate = issue_rectification_notice(b, hazard_ids=ids_b, agency=AGENCY, keys_dir=keys_b, now=NOW)
    assert duplicate.number == first.number
    summary = sync_once(b, url + "/", token_b)
    assert summary.rejected == 1
    with b.read_connection() as conn:
        code, message = conn.execute("SELECT code, message FROM rejected_change").fetchone()
    assert code == "duplicate_key" and "notice(" in message


def test_dates_at_half_past_midnight_china_time_are_todays_china_date(store, park, inspector, keys):
    set_device_block(store, "A07")
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    with store.transaction() as session:  # the inspection began at 00:10 China time, still 25 Nov in UTC
        inspection = session.get(Inspection, inspection_of(store, hazard_ids[0]))
        inspection.started_at = HALF_PAST_MIDNIGHT - timedelta(minutes=20)
    issued = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys,
                                        now=HALF_PAST_MIDNIGHT)
    assert issued.content["issued_at"] == "2026-11-26T00:30:00+08:00"
    assert issued.content["inspection"]["date"] == "2026-11-26"
    assert issued.content["schema"] == "parkinspect.notice/2"
    with store.read() as session:
        stored = session.exec(select(Notice.issued_at)).one()
    assert stored.replace(tzinfo=UTC) == HALF_PAST_MIDNIGHT  # kept in UTC
    # New Year's night: 00:30 on 1 January in China is still 31 December in UTC; the number says 2027.
    assert next_number_preview(store, AGENCY, 2027).endswith("〔2027〕第A07-0001号")


def test_a_deadline_before_the_china_issue_date_is_refused_and_nothing_is_written(store, park, inspector, keys):
    hazard_ids = hazards_of_a_tenant(store, park, inspector)  # deadlines 2026-12-10
    # 23:30 on 10 December in China: still in time.
    late_evening = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)
    with pytest.raises(UserError) as refused:  # 00:30 on 11 December in China, 10 December in UTC
        issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys,
                                   now=datetime(2026, 12, 10, 16, 30, tzinfo=UTC))
    assert refused.value.key == "errors.deadline_before_issue"
    assert "2026-12-10" in refused.value.message() and "2026-12-11" in refused.value.message()
    assert "Hazard 1" in refused.value.message("en")
    assert count(store, Notice) == 0 and count(store, NoticeCounter) == 0
    assert issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys, now=late_evening)


def test_saving_a_past_deadline_is_refused_but_an_unchanged_one_may_stay(store, park, inspector):
    [hazard_id] = hazards_of_a_tenant(store, park, inspector, codes=("B02",))
    with pytest.raises(UserError) as refused:
        save_rectification(store, hazard_id, RectificationInput.model_validate({**FIVE, "deadline": "2026-11-25"}),
                           today=TODAY)
    assert refused.value.key == "errors.deadline_past" and refused.value.field == "deadline"
    assert "2026-11-25" in refused.value.message("en")
    # Today is still allowed; later, the same (now past) deadline may stay while another field changes.
    save_rectification(store, hazard_id, RectificationInput.model_validate({**FIVE, "deadline": TODAY.isoformat()}),
                       today=TODAY)
    later = TODAY + timedelta(days=5)
    save_rectification(store, hazard_id, RectificationInput.model_validate(
        {**FIVE, "deadline": TODAY.isoformat(), "measures": "另行清理"}), today=later)
    with store.read() as session:
        item = session.exec(select(RectificationItem).where(RectificationItem.hazard_id == hazard_id)).one()
    assert (item.deadline, item.measures) == (TODAY, "另行清理")


def test_the_basis_is_the_templates_then_the_failed_items_then_the_agencys(store, park, inspector, keys):
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    issued = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys, now=NOW)
    assert issued.content["inspection"]["basis"] == list(FIRE.legal_basis)
    assert "《中华人民共和国消防法》" in FIRE.legal_basis and issued.content["inspection"]["checklist"] == "消防安全检查"
    bare = dataclasses.replace(FIRE, legal_basis=())
    assert notices._basis(bare, ["B02", "D01", "B02"], AGENCY) == list(
        dict.fromkeys(FIRE.item(c).legal_basis for c in ("B02", "D01")))
    assert notices._basis(None, ["B02"], AGENCY) == list(AGENCY.basis)


TEMPLATE = """id = "local_check"
version = "2026.1"
title_zh = "自查"
title_en = "Self check"
kind = "fire_safety"
applies_to = ["tenant"]
{basis}
[[items]]
code = "A01"
category = "类别"
category_en = "Category"
text = "内容"
text_en = "Text"
default_severity = "general"
major_possible = false
"""


def test_a_templates_legal_basis_is_checked():
    assert parse_template(TEMPLATE.format(basis='legal_basis = ["《消防法》"]').encode()).legal_basis == ("《消防法》",)
    assert parse_template(TEMPLATE.format(basis="").encode()).legal_basis == ()
    for bad, kind in (('legal_basis = "《消防法》"', "wrong_type"), ('legal_basis = ["《消防法》", " "]', "empty"),
                      ('legal_basis = ["《消防法》", "《消防法》"]', "duplicate_value"),
                      ("legal_basis = [3]", "wrong_type")):
        with pytest.raises(TemplateError) as refused:
            parse_template(TEMPLATE.format(basis=bad).encode())
        assert [(p.field, p.kind) for p in refused.value.problems] == [("legal_basis", kind)]


def test_the_opinion_names_its_own_reinspection_and_the_notice_it_answers(store, park, inspector, keys):
    with store.transaction() as session:  # a colleague of the same office (not this device's profile)
        colleague = Inspector(name="王芳", id_number="33048220200034", agency="平湖市经济和信息化局")
        session.add(colleague)
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    notice = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys, now=NOW)
    record_reinspection(store, hazard_ids[0], outcome="rectified", on=date(2026, 12, 8), evidence_note="已清理",
                        new_deadline=None, inspector_ids=[colleague.id])
    record_reinspection(store, hazard_ids[1], outcome="not_rectified", on=date(2026, 12, 9), evidence_note=None,
                        new_deadline=date(2026, 12, 20), inspector_ids=[colleague.id, inspector.id])
    opinion = issue_reinspection_opinion(store, notice_number=notice.number, agency=AGENCY, keys_dir=keys,
                                         now=datetime(2026, 12, 9, 8, 0, tzinfo=UTC))
    content = opinion.content
    assert content["references"] == notice.number and content["inspection"] is None
    assert content["reinspection"] == {
        "date": "2026-12-09", "dates": ["2026-12-08", "2026-12-09"],
        "inspectors": [{"name": "王芳", "id_number": "33048220200034"}, {"name": "李明", "id_number": "33048220190012"}]}
    # An opinion ordering a new deadline already gone is refused like a notice.
    with pytest.raises(UserError) as refused:
        issue_reinspection_opinion(store, notice_number=notice.number, agency=AGENCY, keys_dir=keys,
                                   now=datetime(2026, 12, 21, 8, 0, tzinfo=UTC))
    assert refused.value.key == "errors.deadline_before_issue"


def test_the_record_carries_its_times_inspectors_and_results_and_no_rectification_number(store, park, inspector,
                                                                                          keys):
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    inspection_id = inspection_of(store, hazard_ids[0])
    with store.transaction() as session:
        inspection = session.get(Inspection, inspection_id)
        inspection.started_at = datetime(2026, 11, 26, 1, 30, tzinfo=UTC)
        inspection.finished_at = datetime(2026, 11, 26, 2, 45, tzinfo=UTC)
    record = issue_inspection_record(store, inspection_id=inspection_id, agency=AGENCY, keys_dir=keys, now=NOW)
    info = record.content["inspection"]
    assert info["started_at"] == "2026-11-26T09:30:00+08:00" and info["finished_at"] == "2026-11-26T10:45:00+08:00"
    assert info["inspectors"] == [{"name": "李明", "id_number": "33048220190012"}]
    assert "accompanied_by" in info and info["basis"] == list(FIRE.legal_basis)
    assert {r["outcome"] for r in record.content["results"]} == {"pass", "fail"}
    assert record.content["references"] is None and record.content["hazards"] == []
    assert "检记" in record.number


def test_the_address_says_the_town_once(store, inspector, keys):
    with store.transaction() as session:
        park = Park(code="PH-009", name="平湖市新埭镇智能装备小微企业园", district="平湖市", street="新埭镇",
                    function_type="manufacturing", developer_type="government", land_area_mu=80, floor_area_m2=50000)
        session.add(park)
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    issued = issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys, now=NOW)
    assert issued.content["addressee"]["address"].startswith("平湖市新埭镇智能装备小微企业园 ")
    assert notices._park_address(Park(code="X", name="当湖街道小微园", district="平湖市", street="平湖市当湖街道",
                                      function_type="m", developer_type="g")) == "平湖市当湖街道小微园"


def test_migration_0009_keeps_notices_and_carries_each_counter_to_every_kind(tmp_path):
    path = tmp_path / "old.db"
    command.upgrade(migrations.alembic_config(path), "0007_duplicate_review")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO notice_counter VALUES ('A07', 2026, 12)")
    conn.close()
    migrations.upgrade_to_head(path)
    conn = sqlite3.connect(path)
    try:
        assert sorted(conn.execute("SELECT kind, device_block, year, last_sequence FROM notice_counter")) == [
            ("inspection_record", "A07", 2026, 12), ("rectification", "A07", 2026, 12),
            ("reinspection_opinion", "A07", 2026, 12)]
    finally:
        conn.close()
