"""Review before a notice leaves, on one device: the policy, the service's refusals (issuing without
approval, after an edit of the reviewed hazard), approval, return, change requests, the CLI."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from db import device_scope
from db.errors import UserError
from db.models import AuditEvent, Hazard, Notice, NoticeReview
from forms.rectification import RectificationInput
from inspect_app.cli import main
from inspect_app.services import notice_review
from inspect_app.services.hazards import save_rectification
from inspect_app.services.notices import issue_rectification_notice
from inspect_app.services.office_role import set_role
from tests.conftest import TODAY
from tests.test_notices import AGENCY, FIVE, NOW, hazards_of_a_tenant, inspector, keys  # noqa: F401


@pytest.fixture(autouse=True)
def office_role(store):
    """These tests decide on the office's device: a device in the office's role, never synced."""
    set_role(store, "office")


def issue(store, hazard_ids, keys):  # noqa: F811
    return issue_rectification_notice(store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=keys, now=NOW)


def notices(store) -> int:
    with store.read() as session:
        return len(session.exec(select(Notice)).all())


def test_issuing_needs_a_current_approval_when_the_policy_requires_it(store, park, inspector, keys):  # noqa: F811
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    notice_review.set_policy(store, "all")
    with pytest.raises(UserError) as refused:
        issue(store, hazard_ids, keys)
    assert refused.value.key == "review.refused_missing"
    request_id = notice_review.submit_for_review(store, hazard_ids, TODAY)
    with pytest.raises(UserError) as refused:
        issue(store, hazard_ids, keys)
    assert refused.value.key == "review.refused_pending"
    with pytest.raises(UserError):  # the same content twice
        notice_review.submit_for_review(store, hazard_ids, TODAY)
    assert notices(store) == 0

    notice_review.approve(store, request_id)
    # Edited after the approval (五落实 changed): the approval no longer covers it.
    save_rectification(store, hazard_ids[0], RectificationInput.model_validate({**FIVE, "measures": "只搬走一半"}),
                       today=TODAY)
    with pytest.raises(UserError) as refused:
        issue(store, hazard_ids, keys)
    assert refused.value.key == "review.refused_changed"
    assert notices(store) == 0

    again = notice_review.submit_for_review(store, hazard_ids, TODAY)
    notice_review.approve(store, again, "同意")
    assert issue(store, hazard_ids, keys).number
    with store.read() as session:  # every step in the audit trail
        actions = [(e.action) for e in session.exec(select(AuditEvent).where(AuditEvent.table_name == "notice_review"))]
    assert actions.count("insert") == 2 and actions.count("update") == 2


def test_major_policy_asks_only_for_notices_naming_a_major_hazard(store, park, inspector, keys):  # noqa: F811
    general = hazards_of_a_tenant(store, park, inspector, 1)
    major = hazards_of_a_tenant(store, park, inspector, 2)
    with store.transaction() as session:
        session.get(Hazard, major[0]).severity = "major"
    notice_review.set_policy(store, "major")
    assert issue(store, general, keys).number  # no major hazard: no review
    with pytest.raises(UserError):
        issue(store, major, keys)
    assert notice_review.notice_status(store, major).state == "missing"


def test_a_returned_notice_carries_the_comment_and_a_return_needs_one(store, park, inspector, keys):  # noqa: F811
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    notice_review.set_policy(store, "all")
    request_id = notice_review.submit_for_review(store, hazard_ids, TODAY)
    with pytest.raises(UserError):
        notice_review.return_request(store, request_id, "  ")
    notice_review.return_request(store, request_id, "整改期限过长，请缩短")
    with pytest.raises(UserError) as refused:
        issue(store, hazard_ids, keys)
    assert "整改期限过长" in refused.value.message()
    assert notice_review.hazard_notes(store, hazard_ids) == dict.fromkeys(hazard_ids, "整改期限过长，请缩短")
    with pytest.raises(UserError):  # decided once
        notice_review.approve(store, request_id)


def test_a_change_request_is_resolved_by_the_inspectors_edit(store, park, inspector):  # noqa: F811
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    with store.read() as session:
        inspection_id = session.get(Hazard, hazard_ids[0]).inspection_id
    request_id = notice_review.request_changes(store, inspection_id, "照片不清楚，措施写具体")
    assert notice_review.hazard_notes(store, hazard_ids)[hazard_ids[0]] == "照片不清楚，措施写具体"
    save_rectification(store, hazard_ids[0], RectificationInput.model_validate({**FIVE, "measures": "搬离全部纸箱"}),
                       today=TODAY)
    with store.read() as session:
        assert session.get(NoticeReview, request_id).state == "resolved"
    assert notice_review.hazard_notes(store, hazard_ids) == {}


def test_a_park_limited_device_may_not_decide(store, park, inspector):  # noqa: F811
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    request_id = notice_review.submit_for_review(store, hazard_ids, TODAY)
    with store.connect() as conn:
        device_scope.adopt_hub_parks(conn, [park.id])
    for decide in (lambda: notice_review.approve(store, request_id), lambda: notice_review.set_policy(store, "all")):
        with pytest.raises(UserError) as refused:
            decide()
        assert refused.value.key == "review.not_office"


def run_cli(capsys, db, *args):
    try:
        code = main(["--db", str(db), "--lang", "en", *args])
    except SystemExit as exit_:  # argparse's refusal
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_in_english(store, park, inspector, db_path, capsys):  # noqa: F811
    hazard_ids = hazards_of_a_tenant(store, park, inspector)
    store.close()
    code, out, err = run_cli(capsys, db_path, "review", "policy", "--require", "all")
    assert code == 0 and "every rectification notice" in out, err
    code, out, err = run_cli(capsys, db_path, "review", "submit", *hazard_ids)
    assert code == 0 and out.startswith("Submitted for review"), err
    listed = json.loads(run_cli(capsys, db_path, "review", "list", "--json")[1])["requests"]
    assert [r["state"] for r in listed] == ["pending"] and listed[0]["hazards"][0]["measures"] == FIVE["measures"]
    assert run_cli(capsys, db_path, "review", "return", listed[0]["id"])[0] == 2  # --comment is required
    code, out, err = run_cli(capsys, db_path, "review", "return", listed[0]["id"], "--comment", "shorten the deadline")
    assert code == 0 and "Returned" in out, err
    code, out, err = run_cli(capsys, db_path, "notices", "issue", "--kind", "rectification",
                             *[part for h in hazard_ids for part in ("--hazard", h)])
    assert code == 2 and "The office returned this notice: shorten the deadline" in err, err
    assert "No review requests waiting" in run_cli(capsys, db_path, "review", "list")[1]
