"""The office's role: a laptop in the inspector role is refused the office's work (plans, draws,
plan status, review decisions) with a message saying how to become the office; the profile's role
or `parkinspect --office` lets a device the hub has not limited do it; the hub's park-limited
enrolment wins over the role, locally and at the hub (real hub on loopback, SQLite and PostgreSQL);
the profile dialog shows and saves the role, and the park list offers the review queue only then."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.errors import UserError
from db.models import InspectionPlan, PlanRecusal, RejectedChange
from forms.i18n import set_language
from inspect_app.app import make_app
from inspect_app.cli import main
from inspect_app.hub.storage import enrol_device
from inspect_app.screens.profile import ProfileScreen
from inspect_app.services import notice_review
from inspect_app.services.office_role import is_office, office_refusal, role, set_role
from inspect_app.services.plan_tasks import plan_status
from inspect_app.services.plans import PlanInput, add_recusal, create_plan, draw_plan
from inspect_app.sync.client import sync_once
from tests.pilot import settle
from tests.test_hub import add_inspector, add_park
from tests.test_plans import TODAY, _plan, office  # noqa: F401 - office: a fixture
from tests.test_plans_sync import hub  # noqa: F401 - the hub on loopback, SQLite and PostgreSQL


def test_an_inspector_laptop_is_refused_the_offices_work_with_how_to_become_it(office):  # noqa: F811
    set_role(office, "inspector")
    assert office_refusal(office) == "inspector"
    for attempt in (lambda: _plan(office), lambda: plan_status(office, "none"),
                    lambda: notice_review.set_policy(office, "all")):
        with pytest.raises(UserError) as refused:
            attempt()
        assert refused.value.key.endswith(".not_office_role") and "--office" in refused.value.message()
    with office.read() as session:  # nothing written
        assert session.exec(select(InspectionPlan)).all() == []
    assert notice_review.policy(office) == "none"
    office.office_run = True  # `parkinspect --office`: this run only, nothing saved
    _plan(office)
    assert role(office) == "inspector"
    office.office_run = False
    set_role(office, "office")
    draw_plan(office, "2027年一季度", "s", today=TODAY)
    with office.connect() as conn:  # the hub enrolled it for one park: the role does not help
        conn.execute("INSERT INTO local_setting (key, value) VALUES ('hub_parks', '[\"p1\"]')")
    with pytest.raises(UserError) as refused:
        plan_status(office, "2027年一季度")
    assert refused.value.key == "plans.not_office"


def test_the_office_flag_opens_the_run_in_the_offices_role(office, capsys):  # noqa: F811
    set_role(office, "inspector")
    db = str(office.path)
    args = ["--db", db, "--lang", "en", "plan", "create", "Q1", "--period", "2027Q1", "--parks", "PH-001",
            "--count", "1"]
    assert main(args) == 2
    assert "--office" in capsys.readouterr().err
    assert main(["--office", *args]) == 0
    assert main(["--db", db, "--office", "review", "policy", "--require", "major"]) == 0
    assert main(["--db", db, "review", "policy", "--require", "all"]) == 2
    assert notice_review.policy(office) == "major"


def test_a_device_claiming_the_office_role_is_refused_by_the_hub_without_an_all_parks_enrolment(hub, devices):  # noqa: F811 - hub: a fixture
    main_office, laptop = devices.new("office"), devices.new("laptop")
    office_token = enrol_device(hub.state.engine, "office")[1]
    add_park(main_office, "PH-001")
    add_park(main_office, "PH-002", n=2)
    for name in ("张三", "李四"):
        add_inspector(main_office, name)
    assert sync_once(main_office, hub.state.base, office_token).rejected == 0
    assert is_office(main_office)  # enrolled for every park: the office whatever its role
    laptop_token = enrol_device(hub.state.engine, "laptop", ["PH-002"])[1]
    set_role(laptop, "office")  # claims the office's role before its first sync: allowed locally …
    add_inspector(laptop, "王五")
    add_recusal(laptop, inspector="王五", street="钟埭街道", reason="住在这里")
    notice_review.set_policy(laptop, "all")
    summary = sync_once(laptop, hub.state.base, laptop_token)
    with laptop.read() as session:
        codes = [r.code for r in session.exec(select(RejectedChange))]
    assert summary.rejected >= 2 and codes.count("office_only") == 2  # … the hub refuses its office rows
    assert office_refusal(laptop) == "limited"  # and now it knows: refused at once, role or not
    with pytest.raises(UserError) as refused:
        create_plan(laptop, PlanInput(name="again", period="2027Q1", park_codes=["PH-002"], count=1))
    assert refused.value.key == "plans.not_office"
    sync_once(main_office, hub.state.base, office_token)
    with main_office.read() as session:
        assert session.exec(select(PlanRecusal)).all() == []
    assert notice_review.policy(main_office) == "none"


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_the_profile_shows_and_saves_the_role_and_the_park_list_offers_the_queue_only_then(
        office, language):  # noqa: F811
    set_language(language)
    try:
        set_role(office, "inspector")
        app = make_app(office, today=TODAY)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            screen = app.screen  # the first run asks for the profile
            assert isinstance(screen, ProfileScreen)
            parks = app.screen_stack[-2]
            assert not parks.office and parks.check_action("review", ()) is False  # not in F1 or ^p
            for name, value in (("name", "李明"), ("id_number", "33048220190012"), ("agency", "平湖市消防救援大队")):
                screen.query_one(f"#profile-{name}").value = value
            select = screen.query_one("#profile-role")
            assert select.value == "inspector"
            assert select.region.right <= 80 and select.region.bottom <= 24  # whole at 80x24
            select.value = "office"
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert role(office) == "office" and app.screen is parks
            await settle(app, pilot)
            assert parks.office
            await pilot.press("r")
            await settle(app, pilot)
            assert type(app.screen).__name__ == "ReviewQueueScreen"
    finally:
        set_language("zh_CN")
