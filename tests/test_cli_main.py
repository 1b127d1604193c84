"""`parkinspect`'s main in-process: the garbage collector it turns off for start-up is on again
whichever way main ends (a caller in the same process, such as the test session, keeps a collector)."""

from __future__ import annotations

import gc

import pytest

from inspect_app.cli import hub as hub_cli
from inspect_app.cli import main


@pytest.fixture(autouse=True)
def collector_on_afterwards():
    assert gc.isenabled()
    yield
    gc.enable()  # a failing test here must not leave the rest of the session without a collector


@pytest.mark.parametrize("argv", [["templates", "check"], ["--lang", "en", "no-such-command"], ["--help"]],
                         ids=["missing-argument", "unknown-command", "help"])
def test_the_collector_is_on_after_parse_args_exits(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code in (0, 2)
    assert gc.isenabled()


def test_the_collector_is_on_after_the_hub_extra_is_found_missing(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(hub_cli, "hub_extra_missing", lambda: "fastapi")
    assert main(["--lang", "en", "hub", "device", "list", "--hub-db", f"sqlite:///{tmp_path / 'hub.db'}"]) == 2
    assert "fastapi" in capsys.readouterr().err
    assert gc.isenabled()


def test_the_collector_is_on_after_the_tui_cannot_open_its_database(tmp_path, capsys):
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_bytes(b"not sqlite at all " * 100)
    assert main(["--db", str(not_a_database), "--lang", "en"]) == 2  # refused before any screen
    assert "not a ParkInspect database" in capsys.readouterr().err
    assert gc.isenabled()


def test_a_command_runs_with_the_collector_on(monkeypatch, tmp_path, capsys):
    from inspect_app.cli import check

    seen = []
    monkeypatch.setattr(check, "run_check", lambda args, settings: seen.append(gc.isenabled()) or 0)
    assert main(["--db", str(tmp_path / "p.db"), "check"]) == 0
    assert seen == [True]
