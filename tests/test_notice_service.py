"""Service (送达) of issued documents: working days, recording (service, CLI, TUI), late documents in
the hazards view and the overview, refusals that write nothing, and sync to another device."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import func, select

from db.models import AttachmentLink, NoticeService, Park
from exports.signing import create_device_key, load_device_key
from forms.inspector import InspectorInput
from forms.working_days import WorkCalendar, service_deadline
from inspect_app.cli import main
from inspect_app.config import work_calendar
from inspect_app.services import notice_service
from inspect_app.services.hazards import HazardQuery, list_hazards
from inspect_app.services.notice_service import (
    ServiceInvalid,
    list_notices,
    record_service,
)
from inspect_app.services.notices import issue_rectification_notice
from inspect_app.services.park_overview import county_overview, park_overview
from inspect_app.services.profile import save_profile
from tests.images import PNG
from tests.test_notices import AGENCY, NOW, hazards_of_a_tenant

ISSUED_ON = date(2026, 11, 26)  # NOW in China time: a Thursday
WEEKDAYS = WorkCalendar()
HOLIDAY = WorkCalendar(holidays=frozenset({date(2026, 11, 30)}))  # the Monday after


def served(method="直接送达", recipient="张伟", on="2026-11-27", **more) -> dict:
    return {"method": method, "recipient": recipient, "served_on": on, **more}


@pytest.fixture
def keys(tmp_path, monkeypatch):
    directory = tmp_path / "keys"
    monkeypatch.setenv("PARKINSPECT_KEYS_DIR", str(directory))
    return directory


def issue(store, park, keys, n: int = 1) -> str:
    """A real signed rectification notice for a new tenant of the park; its number."""
    if load_device_key(keys) is None:
        create_device_key(keys, common_name="李明 平湖市经济和信息化局", device_id=store.device_id)
    me = save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))
    ids = hazards_of_a_tenant(store, park, me, n, codes=("B02",))
    return issue_rectification_notice(store, hazard_ids=ids, agency=AGENCY, keys_dir=keys, now=NOW).number


def services(store) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(NoticeService)).one()


# --- working days -----------------------------------------------------------------------------------


def test_three_working_days_skip_the_weekend_a_holiday_and_count_a_make_up_saturday():
    assert service_deadline(ISSUED_ON, WEEKDAYS) == date(2026, 12, 1)  # Fri, Mon, Tue
    assert service_deadline(ISSUED_ON, HOLIDAY) == date(2026, 12, 2)  # Monday off
    make_up = WorkCalendar(holidays=frozenset({date(2026, 11, 30)}), workdays=frozenset({date(2026, 11, 28)}))
    assert service_deadline(ISSUED_ON, make_up) == date(2026, 12, 1)  # Fri, Sat (调休), Tue
    assert service_deadline(date(2026, 11, 27), WEEKDAYS) == date(2026, 12, 2)  # from a Friday


def test_the_calendar_in_config_is_checked_entry_by_entry(caplog):
    calendar = work_calendar({"holidays": ["2027-01-01", date(2027, 2, 11), "01/02/2027", 7],
                              "workdays": "2027-02-07", "extra": 1})
    assert calendar.holidays == {date(2027, 1, 1), date(2027, 2, 11)}
    assert calendar.workdays == frozenset()
    assert "01/02/2027" in caplog.text and "unknown key 'extra'" in caplog.text
    assert work_calendar(["not a table"]) == WorkCalendar()


# --- service state, hazards view, overview ----------------------------------------------------------


def test_a_notice_is_late_after_three_working_days_then_served_late_or_on_time(store, park, keys):
    number = issue(store, park, keys)
    [row] = list_notices(store, today=date(2026, 12, 1), calendar=WEEKDAYS)
    assert (row.number, row.state, row.deadline, row.issued_on) == (number, "pending", date(2026, 12, 1), ISSUED_ON)
    assert list_notices(store, today=date(2026, 12, 2), calendar=WEEKDAYS)[0].state == "late"
    # With the Monday a holiday the same day is still in time.
    assert list_notices(store, today=date(2026, 12, 2), calendar=HOLIDAY)[0].state == "pending"
    assert list_notices(store, today=date(2026, 12, 3), calendar=HOLIDAY, late_only=True)[0].number == number

    late = record_service(store, number, served(on="2026-12-03"), today=date(2026, 12, 3), calendar=HOLIDAY)
    assert late.state == "served_late" and late.late
    # A correction is a new row; the latest counts and the first stays as history.
    fixed = record_service(store, number, served(on="2026-12-02", note="日期更正"), today=date(2026, 12, 3),
                           calendar=HOLIDAY)
    assert fixed.state == "served" and not fixed.late
    assert [s.served_on for s in notice_service.service_history(store, fixed.id)] == [date(2026, 12, 2),
                                                                                   date(2026, 12, 3)]


def test_the_hazards_view_and_the_overview_show_a_notice_not_served_in_time(store, park, keys, monkeypatch):
    monkeypatch.setattr(notice_service, "_calendar", lambda calendar: calendar or WEEKDAYS)
    first, _second = issue(store, park, keys, 1), issue(store, park, keys, 2)
    record_service(store, first, served(), today=date(2026, 12, 4))
    today = date(2026, 12, 4)
    rows, _ = list_hazards(store, HazardQuery(park_id=park.id, today=today))
    assert {(r.notice_number, r.notice_late) for r in rows} == {(first, False), (_second, True)}
    assert county_overview(store, today=today).county.late_notices == 1
    overview = park_overview(store, park.id, today=today)
    assert overview.park.figures.late_notices == 1 and overview.park.as_json()["late_notices"] == 1
    assert county_overview(store, today=date(2026, 11, 27)).county.late_notices == 0


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "field", "words"), [
    (served(on="2026-11-25"), "served_on", "2026-11-26"),  # before the issue date
    (served(on="2026-12-05"), "served_on", "晚于今天"),  # after today
    (served(refused=True), "witness", "见证人"),
    (served(method="留置送达"), "witness", "见证人"),
    (served(method="电子邮件"), "method", "电子邮件"),
    (served(recipient="  "), "recipient", "必填"),
])
def test_bad_input_is_refused_by_field_and_writes_nothing(store, park, keys, values, field, words):
    number = issue(store, park, keys)
    with pytest.raises(ServiceInvalid) as refused:
        record_service(store, number, values, today=date(2026, 12, 1))
    assert words in refused.value.messages[field]
    assert services(store) == 0


def test_an_unknown_number_and_a_bad_photo_write_nothing(store, park, keys, tmp_path):
    from db.errors import UserError

    number = issue(store, park, keys)
    with pytest.raises(UserError, match="notice_missing"):
        record_service(store, "平经信安整〔2026〕Z99-0001号", served(), today=date(2026, 12, 1))
    text = tmp_path / "receipt.png"
    text.write_text("not a picture")
    with pytest.raises(UserError) as refused:
        record_service(store, number, served(), today=date(2026, 12, 1), photo=text)
    assert refused.value.field == "photo"
    assert services(store) == 0


# --- CLI -----------------------------------------------------------------------------------------


def run(capsys, db_path, *args):
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli_today(monkeypatch):
    """The CLI's "today" in China time, fixed; the calendar Monday to Friday."""
    from forms import china_time

    monkeypatch.setattr(china_time, "today", lambda: date(2026, 12, 2))
    monkeypatch.setattr(notice_service, "_calendar", lambda calendar: calendar or WEEKDAYS)


def test_cli_serves_with_a_refusal_a_witness_and_a_photo_then_lists(store, park, keys, db_path, tmp_path, capsys,
                                                                     cli_today):
    number, other = issue(store, park, keys, 1), issue(store, park, keys, 2)
    photo = tmp_path / "receipt.png"
    photo.write_bytes(PNG)
    code, out, err = run(capsys, db_path, "notices", "serve", number, "--method", "留置送达", "--recipient", "张伟",
                         "--on", "2026-11-30", "--refused", "--witness", "王芳", "--photo", str(photo))
    assert code == 0, err
    assert number in out and "留置送达" in out and "2026-11-30" in out
    with store.read() as session:
        [row] = session.exec(select(NoticeService)).all()
        assert (row.method, row.recipient, row.refused, row.witness) == ("left_at_premises", "张伟", True, "王芳")
        assert session.exec(select(AttachmentLink).where(AttachmentLink.owner_table == "notice_service",
                                                         AttachmentLink.owner_id == row.id)).first() is not None
    code, out, _ = run(capsys, db_path, "notices", "list", "--late", "--json")
    assert code == 0
    [late] = json.loads(out)
    assert (late["number"], late["state"], late["service"]) == (other, "late", None)
    code, out, _ = run(capsys, db_path, "--lang", "en", "notices", "list")
    assert "Late, not served" in out and "2026-11-30 left" in out
    code, out, _ = run(capsys, db_path, "overview")
    assert "逾期未送达（或逾期送达）的文书 1 份" in out


def test_cli_accepts_english_ids_and_refuses_clearly(store, park, keys, db_path, capsys, cli_today):
    number = issue(store, park, keys)
    code, _, err = run(capsys, db_path, "notices", "serve", number, "--method", "left", "--recipient", "张伟",
                       "--on", "2026-11-25")
    assert code == 2
    assert "未写入" in err and "2026-11-26" in err and "见证人" in err
    code, _, err = run(capsys, db_path, "notices", "serve", "平经信安整〔2026〕Z99-0001号", "--method", "post",
                       "--recipient", "张伟", "--on", "2026-11-27")
    assert code == 2 and "Z99-0001" in err
    assert services(store) == 0
    code, out, _ = run(capsys, db_path, "notices", "serve", number, "--method", "post", "--recipient", "张伟",
                       "--on", "2026年12月2日")
    assert code == 0 and "邮寄送达" in out and "已逾期" in out  # served on the 4th working day


# --- TUI -----------------------------------------------------------------------------------------


async def test_tui_from_the_park_list_records_service_and_clears_the_late_mark(store, park, keys, monkeypatch):
    from textual.widgets import Input

    from inspect_app.app import make_app
    from inspect_app.screens.notices import NoticeServiceScreen, NoticesScreen
    from tests.pilot import settle

    monkeypatch.setattr(notice_service, "_calendar", lambda calendar: calendar or WEEKDAYS)
    number = issue(store, park, keys)
    app = make_app(store, today=date(2026, 12, 2))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        if app.screen.__class__.__name__ == "ProfileScreen":
            await pilot.press("escape")
        await pilot.press("d")
        await settle(app, pilot)
        assert isinstance(app.screen, NoticesScreen)
        assert [r.state for r in app.screen.rows] == ["late"]
        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, NoticeServiceScreen)
        app.screen.query_one("#service-recipient", Input).value = "张伟"
        app.screen.query_one("#service-served_on", Input).value = "2026-11-25"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, NoticeServiceScreen)  # refused: before the issue date
        assert "2026-11-26" in str(app.screen.query_one("#row-served_on .form-error").render())
        assert services(store) == 0
        app.screen.query_one("#service-served_on", Input).value = "2026-11-27"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, NoticesScreen)
        assert [(r.number, r.state) for r in app.screen.rows] == [(number, "served")]
    assert services(store) == 1


# --- sync ----------------------------------------------------------------------------------------


def test_a_service_reaches_another_device_and_stays_in_its_park(devices, served_hub, keys, monkeypatch):
    from inspect_app.hub.storage import enrol_device
    from tests.sync_helpers import sync

    app, url = served_hub
    a, b, c = devices.new("a"), devices.new("b"), devices.new("c")
    park = Park(code="PH-001", name="平湖经济开发区小微企业园", district="平湖市", street="当湖街道",
                function_type="manufacturing", developer_type="government", land_area_mu=120, floor_area_m2=80000)
    other = Park(code="PH-002", name="新埭镇小微企业园", district="平湖市", street="新埭镇",
                 function_type="manufacturing", developer_type="government", land_area_mu=60, floor_area_m2=30000)
    with a.transaction() as session:
        session.add_all([park, other])
    park_id, other_id = park.id, other.id
    with a.read() as session:
        park = session.get(Park, park_id)
    number = issue(a, park, keys)
    token_a = enrol_device(app.state.engine, "a")[1]
    sync(a, url, token_a)
    token_b = enrol_device(app.state.engine, "b")[1]
    token_c = enrol_device(app.state.engine, "c", [other_id])[1]  # limited to the other park
    record_service(a, number, served(), today=date(2026, 11, 27))
    sync(a, url, token_a)
    sync(b, url, token_b)
    sync(c, url, token_c)
    [row] = list_notices(b, today=date(2026, 12, 9), calendar=WEEKDAYS)
    assert (row.number, row.state, row.service.recipient) == (number, "served", "张伟")
    assert services(c) == 0 and list_notices(c, today=date(2026, 12, 9), calendar=WEEKDAYS) == []
    with a.read_connection() as conn:
        assert conn.execute("SELECT count(*) FROM rejected_change").fetchone()[0] == 0
