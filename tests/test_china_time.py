"""Dates for people are China dates, whatever zone the machine runs in."""

from datetime import UTC, datetime

import pytest

from forms import china_time
from inspect_app import config


@pytest.fixture(autouse=True)
def _default_zone(monkeypatch):
    monkeypatch.delenv(china_time.ENV_VARIABLE, raising=False)
    china_time.set_zone(None)
    yield
    china_time.set_zone(None)


def test_half_past_midnight_in_beijing_is_already_today():
    # 00:30 China time on 6 December is still 5 December in UTC.
    instant = datetime(2026, 12, 5, 16, 30, tzinfo=UTC)
    assert china_time.local_date(instant).isoformat() == "2026-12-06"
    assert china_time.local(instant).strftime("%H:%M") == "00:30"


def test_naive_values_are_taken_as_utc():
    assert china_time.local_date(datetime(2026, 12, 5, 16, 30)).isoformat() == "2026-12-06"


def test_the_office_may_name_another_zone(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "config_dir", lambda: tmp_path)
    (tmp_path / "config.toml").write_text('[locale]\ntime_zone = "Europe/London"\n', encoding="utf-8")
    config.load_settings()
    assert china_time.local_date(datetime(2026, 12, 5, 16, 30, tzinfo=UTC)).isoformat() == "2026-12-05"


def test_an_unknown_zone_keeps_china_time(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "config_dir", lambda: tmp_path)
    (tmp_path / "config.toml").write_text('[locale]\ntime_zone = "Mars/Olympus"\n', encoding="utf-8")
    config.load_settings()
    assert china_time.zone().key == "Asia/Shanghai"
    monkeypatch.setenv(china_time.ENV_VARIABLE, "Nowhere/Else")
    assert china_time.zone().key == "Asia/Shanghai"
