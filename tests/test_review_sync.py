"""Review before a notice leaves, through a real hub on loopback with two devices: the laptop
prepares, the office approves, the laptop issues; a returned notice shows the office's comment on
the laptop's issue screen and hazards list; the hub refuses a laptop's own approval."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from db.errors import UserError
from db.models import Hazard, NoticeReview, RejectedChange
from exports.signing import create_device_key
from forms.rectification import RectificationInput
from inspect_app.app import make_app
from inspect_app.hub.storage import enrol_device
from inspect_app.screens.hazards import HazardsScreen
from inspect_app.screens.issue_notice import IssueNoticeScreen
from inspect_app.services import notice_review
from inspect_app.services.hazards import save_rectification
from inspect_app.services.notices import issue_rectification_notice
from inspect_app.services.office_role import set_role
from inspect_app.sync.client import sync_once
from tests.conftest import TODAY
from tests.pilot import settle
from tests.test_hub import add_park
from tests.test_notices import AGENCY, FIVE, KEYS_SINCE, NOW


@pytest.fixture
def hub(loopback_hub):
    """The hub on loopback, once on SQLite and once on PostgreSQL (tests/sync_fixtures.py)."""
    return loopback_hub


@pytest.fixture
def pair(hub, devices, tmp_path):
    """The office (every park) and a laptop of PH-001, the park's hazard with its 五落实 complete,
    the policy "all" set at the office and synced to the laptop."""
    office, laptop = devices.new("office"), devices.new("laptop")
    set_role(office, "office")
    office_token = enrol_device(hub.state.engine, "office")[1]
    ids = add_park(office, "PH-001")
    notice_review.set_policy(office, "all")
    assert sync_once(office, hub.state.base, office_token).rejected == 0
    laptop_token = enrol_device(hub.state.engine, "laptop", ["PH-001"])[1]
    sync_once(laptop, hub.state.base, laptop_token)
    save_rectification(laptop, ids["hazard"], RectificationInput.model_validate(FIVE), today=TODAY)
    keys = tmp_path / "laptop-keys"
    create_device_key(keys, common_name="李明", device_id=laptop.device_id, now=KEYS_SINCE)

    def office_sync():
        return sync_once(office, hub.state.base, office_token)

    def laptop_sync():
        return sync_once(laptop, hub.state.base, laptop_token)

    return office, laptop, ids["hazard"], keys, office_sync, laptop_sync


def issue(laptop, hazard_id, keys):
    return issue_rectification_notice(laptop, hazard_ids=[hazard_id], agency=AGENCY, keys_dir=keys, now=NOW)


def test_prepared_approved_at_the_office_then_issued_on_the_laptop(pair):
    office, laptop, hazard_id, keys, office_sync, laptop_sync = pair
    assert notice_review.policy(laptop) == "all"  # the office's rule reached the laptop by sync
    with pytest.raises(UserError):
        issue(laptop, hazard_id, keys)
    notice_review.submit_for_review(laptop, [hazard_id], TODAY)
    assert laptop_sync().rejected == 0
    office_sync()
    [queued] = notice_review.review_queue(office)
    assert queued.hazards[0].five["responsible_person"] == FIVE["responsible_person"] and not queued.changed
    with pytest.raises(UserError):  # not approved yet on the laptop
        issue(laptop, hazard_id, keys)
    notice_review.approve(office, queued.id)
    assert office_sync().rejected == 0
    laptop_sync()
    assert notice_review.notice_status(laptop, [hazard_id]).state == "approved"
    assert issue(laptop, hazard_id, keys).number
    assert laptop_sync().rejected == 0


def test_the_hub_refuses_a_laptops_own_approval(pair):
    office, laptop, hazard_id, keys, office_sync, laptop_sync = pair
    request_id = notice_review.submit_for_review(laptop, [hazard_id], TODAY)
    laptop_sync()
    # Written past the service (which refuses on a park device): the hub refuses it too.
    with laptop.transaction() as session:
        request = session.get(NoticeReview, request_id)
        request.state, request.reviewed_at = "approved", datetime.now(UTC)
        session.add(NoticeReview(park_id=request.park_id, inspection_id=request.inspection_id, kind="notice",
                                 hazard_ids=[hazard_id], state="approved", content_sha256=request.content_sha256))
    laptop_sync()
    with laptop.read() as session:
        codes = [r.code for r in session.exec(select(RejectedChange))]
    # The update and the insert; the insert's audit event follows its refused row (unknown_parent).
    assert codes.count("office_only") == 2 and set(codes) <= {"office_only", "unknown_parent"}
    office_sync()
    [queued] = notice_review.review_queue(office)
    assert queued.id == request_id and queued.state == "pending"


@pytest.mark.parametrize("hub_url", ["sqlite"], indirect=True)  # the laptop's screens: one hub is enough
async def test_a_returned_notice_shows_the_comment_on_the_laptop(pair, monkeypatch):
    office, laptop, hazard_id, keys, office_sync, laptop_sync = pair
    monkeypatch.setenv("PARKINSPECT_KEYS_DIR", str(keys))
    notice_review.submit_for_review(laptop, [hazard_id], TODAY)
    laptop_sync()
    office_sync()
    [queued] = notice_review.review_queue(office)
    notice_review.return_request(office, queued.id, "应急预案写明值守人员")
    office_sync()
    laptop_sync()
    with laptop.read() as session:
        park_id = session.get(Hazard, hazard_id).park_id

    app = make_app(laptop, today=TODAY)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.push_screen(IssueNoticeScreen([hazard_id], now=NOW))
        await settle(app, pilot)
        missing = str(app.screen.query_one("#notice-missing").render())
        assert "应急预案写明值守人员" in missing
        await pilot.press("ctrl+s")  # refused: nothing issued
        await settle(app, pilot)
        assert app.screen.issued is None
        app.pop_screen()
        await settle(app, pilot)
        app.push_screen(HazardsScreen(park_id))
        await settle(app, pilot)
        assert "应急预案写明值守人员" in str(app.screen.query_one("#hazard-detail").render())
        app.pop_screen()
        # Corrected, then submitted again from the issue screen.
        save_rectification(laptop, hazard_id, RectificationInput.model_validate(
            {**FIVE, "contingency_plan": "专人王强值守"}), today=TODAY)
        app.push_screen(IssueNoticeScreen([hazard_id], now=NOW))
        await settle(app, pilot)
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert notice_review.notice_status(laptop, [hazard_id]).state == "pending"
        assert "待审核" in str(app.screen.query_one("#notice-missing").render())
