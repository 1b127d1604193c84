"""The demo's data files: the shipped ones load and are what the builder uses; a broken one is
refused with its file, line and field named, in either language, before anything is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import func, select

from db.models import Park
from db.store import Store
from forms.catalogues import LEASE_USES
from forms.checklist import builtin_templates
from inspect_app.cli import main
from inspect_app.services import demo_data
from inspect_app.services.demo_data import DATA_DIR, FILES, DemoDataError, load_demo_data, read_demo_data


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the shipped data files to break."""
    folder = tmp_path / "demo_data"
    shutil.copytree(DATA_DIR, folder)
    return folder


def edit(folder: Path, name: str, old: str, new: str) -> int:
    """Replace the first `old` in a file; return its 1-based line."""
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def problems(folder: Path) -> list[tuple[str, int, str, str]]:
    with pytest.raises(DemoDataError) as caught:
        read_demo_data(folder)
    return [(p.file, p.line, p.field, p.kind) for p in caught.value.problems]


def test_the_shipped_files_are_complete():
    data = load_demo_data()
    assert set(FILES) == {path.name for path in DATA_DIR.glob("*.toml")}
    assert set(data.findings) == set(builtin_templates()["fire_safety"].codes())
    used = {process.lease_use for industry in data.industries for process in industry.processes}
    assert used <= set(data.uses) <= set(LEASE_USES)
    assert {hazard.status for hazard in data.showcase} == {"open", "overdue", "pending_review", "closed",
                                                           "escalated"}
    assert "" in data.shared_places and data.district_code == "330482"


def test_a_wrong_choice_names_its_file_line_and_field(data_dir: Path):
    line = edit(data_dir, "industries.toml", 'use = "storage"', 'use = "warehouse"')
    assert problems(data_dir) == [("industries.toml", line, "industry[1].processes[3].use", "bad_choice")]


def test_a_missing_key_names_the_table_it_belongs_in(data_dir: Path):
    line = edit(data_dir, "findings.toml", "fail_rate = 0.04\n", "")  # A02
    header = (data_dir / "findings.toml").read_text(encoding="utf-8").split("\n").index("[items.A02]") + 1
    assert line == header + 1
    assert problems(data_dir) == [("findings.toml", header, "items.A02.fail_rate", "required")]


def test_wrong_types_ranges_and_unknown_codes_are_all_reported_at_once(data_dir: Path):
    rate = edit(data_dir, "findings.toml", "fail_rate = 0.015", 'fail_rate = "often"')
    funds = edit(data_dir, "findings.toml", "funds_yuan = [3000, 30000]", "funds_yuan = [30000, 3000]")
    code = edit(data_dir, "findings.toml", "[items.F05]", "[items.F99]")
    factors = edit(data_dir, "figures.toml", "seasonal_factors = [0.82,", "seasonal_factors = [")
    found = problems(data_dir)
    assert ("findings.toml", rate, "items.A01.fail_rate", "wrong_type") in found
    assert ("findings.toml", funds, "items.A02.funds_yuan", "bad_range") in found
    assert ("findings.toml", code, "items.F99", "bad_choice") in found
    first_item = (data_dir / "findings.toml").read_text(encoding="utf-8").split("\n").index("[items.A01]") + 1
    assert ("findings.toml", first_item, "items", "item_without_findings") in found  # F05 has none now
    assert ("figures.toml", factors, "quarters.seasonal_factors", "four_factors") in found


def test_an_element_of_a_multi_line_array_is_named_on_its_own_line(data_dir: Path):
    line = edit(data_dir, "findings.toml", '  ["外墙违章封闭雨棚", "外墙", "拆除封闭雨棚的围护结构"],',
                '  ["外墙违章封闭雨棚", "外墙"],')
    assert problems(data_dir) == [("findings.toml", line, "items.A02.findings[2]", "bad_finding")]


def test_a_syntax_error_names_its_line_and_stops_there(data_dir: Path):
    line = edit(data_dir, "names.toml", 'park_code_prefix = "PH-"', "park_code_prefix = PH-")
    assert problems(data_dir) == [("names.toml", line, "", "toml_syntax")]


def test_the_message_reads_in_either_language(data_dir: Path):
    edit(data_dir, "industries.toml", 'use = "storage"', 'use = "warehouse"')
    with pytest.raises(DemoDataError) as caught:
        read_demo_data(data_dir)
    chinese, english = caught.value.message("zh_CN"), caught.value.message("en")
    assert "演示数据无法使用" in chinese and "“warehouse”不在可选值中" in chinese
    assert "industries.toml:" in english and "industry[1].processes[3].use" in english
    assert '"warehouse" is not one of the choices' in english


def test_the_demo_command_refuses_a_broken_file_and_writes_nothing(data_dir: Path, tmp_path: Path, monkeypatch,
                                                                    capsys):
    edit(data_dir, "names.toml", 'code = "330482"', 'code = "33048"')
    monkeypatch.setattr(demo_data, "DATA_DIR", data_dir)
    load_demo_data.cache_clear()
    try:
        code = main(["--db", str(tmp_path / "demo.db"), "--lang", "en", "demo", "--parks", "1"])
    finally:
        load_demo_data.cache_clear()
    assert code == 2
    err = capsys.readouterr().err
    assert "names.toml:" in err and "district.code" in err and "administrative division" in err
    if (tmp_path / "demo.db").exists():
        store = Store.open(tmp_path / "demo.db")
        try:
            with store.read() as session:
                assert session.exec(select(func.count()).select_from(Park)).one() == 0
        finally:
            store.close()


def test_the_demo_finishes_inspections_and_rechecks_hazards_through_the_services_rules(store: Store, monkeypatch):
    """Every demo hazard is one `finished_rows` made (the rule `finish_inspection` applies), and every
    复查 one `new_reinspection` made (the rule `record_reinspection` applies): no second copy of either."""
    from datetime import date

    from db.models import Hazard, Inspection, Reinspection
    from inspect_app.services import demo_inspections, hazards, inspections
    from inspect_app.services.demo import generate_demo

    made_hazards, made_reinspections = set(), set()

    def finished_rows(*args, **kwargs):
        rows = inspections.finished_rows(*args, **kwargs)
        made_hazards.update(hazard.id for hazard, _ in rows)
        return rows

    def new_reinspection(*args, **kwargs):
        row = hazards.new_reinspection(*args, **kwargs)
        made_reinspections.add(row.id)
        return row

    monkeypatch.setattr(demo_inspections, "finished_rows", finished_rows)
    monkeypatch.setattr(demo_inspections, "new_reinspection", new_reinspection)
    generate_demo(store, parks=2, tenants_per_park=15, seed=3, today=date(2026, 5, 15))
    with store.read() as session:
        hazard_ids = set(session.exec(select(Hazard.id)).all())
        reinspection_ids = set(session.exec(select(Reinspection.id)).all())
        unfinished = session.exec(select(func.count()).select_from(Inspection)
                                  .where(Inspection.status != "finished")).one()
    assert hazard_ids and hazard_ids == made_hazards
    assert reinspection_ids and reinspection_ids == made_reinspections
    assert unfinished == 0
