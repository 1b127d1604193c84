"""County rules (消防〔2023〕72号 and others): the rules file, each rule on a hand-made park (a tenant
that breaks it and one that does not), the compliance matrix, a result as a hazard, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from db.errors import UserError
from db.models import Building, Hazard, Park, RectificationItem
from db.store import Store
from forms.building import BuildingInput
from forms.rules import TemplateError, builtin_rules, parse_rules
from forms.tenant import TenantInput
from inspect_app.cli import main
from inspect_app.services.buildings import list_buildings, save_building
from inspect_app.services.ledger import save_tenant
from inspect_app.services.rules import apply_rules, export_matrix, hazard_from_result, results_per_park
from tests.conftest import TODAY, tenant_values

# --- a hand-made park -----------------------------------------------------------------------------
#
# 1号楼: designed 丙 (C), two tenants, no manager     -> the shared-building rule for both
# 2号楼: designed 甲 (A), one tenant, manager named    -> no building rule
# tenants (each breaks the rule its name says, and only the figures of that rule differ from a clean one):
#   clean      1号楼 丙 on floor 1, 35 people on 1200 m²              (breaks only the shared rule)
#   class_up   1号楼 乙 on floor 1 (乙 above the building's 丙)         -> R72_CLASS (+ shared)
#   sublet     2号楼, sublet to 某某 without the three-party agreement  -> R72_SUBLET
#   agreed     2号楼, sublet with the agreement                         -> nothing
#   living     3号楼 (not recorded), production with people living    -> R_LIVING
#   office     3号楼, office with people living                        -> nothing (not production/storage)
#   ab_high    3号楼, 甲 on floor 3                                      -> R_AB_FLOOR
#   ab_in_a    2号楼 (designed 甲), 甲 on floor 3                        -> nothing
#   crowded    3号楼, 130 people on 1000 m² = 13 per 100 m² > 10        -> R_DENSITY
#   just_ok    3号楼, 100 people on 1000 m² = 10 per 100 m² (not over)  -> nothing

TENANTS = {
    "clean": dict(building="1号楼", fire_hazard_class="丙", floor="1"),
    "class_up": dict(building="1号楼", fire_hazard_class="乙", floor="1"),
    "sublet": dict(building="2号楼", sublet="是", subtenant_name="某某贸易商行"),
    "agreed": dict(building="2号楼", sublet="是", subtenant_name="某某电子商行", three_party_agreement="是"),
    "living": dict(building="3号楼", lease_use="生产", people_living_on_site="是"),
    "office": dict(building="3号楼", lease_use="办公", people_living_on_site="是"),
    "ab_high": dict(building="3号楼", fire_hazard_class="甲", floor="3层"),
    "ab_in_a": dict(building="2号楼", fire_hazard_class="甲", floor="3"),
    "crowded": dict(building="3号楼", rented_area_m2="1000", headcount="130"),
    "just_ok": dict(building="3号楼", rented_area_m2="1000", headcount="100"),
}


@pytest.fixture
def county(store: Store, park: Park) -> dict[str, str]:
    save_building(store, park_id=park.id, data=BuildingInput.model_validate(
        {"name": "1号楼", "floors": "4", "design_hazard_class": "丙", "fire_resistance_grade": "二级"}))
    save_building(store, park_id=park.id, data=BuildingInput.model_validate(
        {"name": "2号楼", "floors": "3", "design_hazard_class": "甲", "manager_name": "王建国"}))
    ids = {}
    for n, (key, values) in enumerate(TENANTS.items(), start=1):
        data = TenantInput.model_validate(tenant_values(n, name=f"测试{key}有限公司", **values))
        ids[key] = save_tenant(store, park_id=park.id, data=data).id
    return ids


def codes_by_tenant(store: Store, park: Park, ids: dict[str, str]) -> dict[str, list[str]]:
    found = apply_rules(store, park.id, builtin_rules())
    names = {tenant_id: key for key, tenant_id in ids.items()}
    grouped = {key: [] for key in ids}
    for result in found.results:
        grouped[names[result.tenant_id]].append(result.rule.code)
    return grouped


def test_each_rule_finds_its_tenant_and_spares_the_others(store, park, county):
    assert codes_by_tenant(store, park, county) == {
        "clean": ["R72_MANAGER"],
        "class_up": ["R72_CLASS", "R72_MANAGER"],
        "sublet": ["R72_SUBLET"],
        "agreed": [],
        "living": ["R_LIVING"],
        "office": [],
        "ab_high": ["R_AB_FLOOR"],
        "ab_in_a": [],
        "crowded": ["R_DENSITY"],
        "just_ok": [],
    }


def test_results_explain_their_figures_and_cite_the_article(store, park, county):
    found = {(r.tenant_id, r.rule.code): r for r in apply_rules(store, park.id).results}
    class_up = found[(county["class_up"], "R72_CLASS")]
    assert class_up.text() == ("测试class_up有限公司的生产火灾危险性为乙类，高于1号楼的设计火灾危险性丙类，"
                               "属擅自改变使用性质（依据：消防〔2023〕72号 第十五条至第二十条）")
    assert "Xiaofang [2023] No. 72, Arts. 15-20" in class_up.text("en")
    assert "fire-hazard Class B, above the design Class C of 1号楼" in class_up.text("en")
    assert "消防〔2023〕72号 第八条" in found[(county["sublet"], "R72_SUBLET")].text()
    shared = found[(county["clean"], "R72_MANAGER")].text()
    assert "1号楼由2家企业共用" in shared and "第七条" in shared
    crowded = found[(county["crowded"], "R_DENSITY")].text()
    assert "1000㎡内有130人，每百平方米13人，超过10人" in crowded
    assert "第3" in found[(county["ab_high"], "R_AB_FLOOR")].text() and "设在第3层" in found[
        (county["ab_high"], "R_AB_FLOOR")].text()
    assert "生产场所内有人员住宿" in found[(county["living"], "R_LIVING")].text()
    assert {r.rules_version for r in found.values()} == {"2026.1"}


def test_naming_a_manager_clears_the_shared_building_rule(store, park, county):
    one = next(b for b in list_buildings(store, park.id) if b.name == "1号楼")
    save_building(store, park_id=park.id, building_id=one.id, data=BuildingInput.model_validate(
        {"name": "1号楼", "design_hazard_class": "丙", "manager_name": "李四"}))
    codes = codes_by_tenant(store, park, county)
    assert codes["clean"] == [] and codes["class_up"] == ["R72_CLASS"]


def test_a_building_name_is_one_per_park_and_a_refusal_writes_nothing(store, park, county):
    with pytest.raises(UserError) as refused:
        save_building(store, park_id=park.id, data=BuildingInput.model_validate({"name": "１号楼 "}))
    assert refused.value.key == "errors.duplicate_building"
    assert len(list_buildings(store, park.id)) == 2


def test_results_per_park_counts_every_result(store, park, county):
    assert results_per_park(store) == {park.id: 7}


# --- the matrix and the hazard -----------------------------------------------------------------------


def test_the_compliance_matrix_is_tenants_by_rules(store, park, county, tmp_path):
    path = tmp_path / "matrix.xlsx"
    export_matrix(store, park.id, path, builtin_rules())
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("承租单位", "楼栋", "违反条数")
    assert header[3] == "R72_CLASS 火灾危险性高于建筑设计类别" and len(header) == 3 + 6
    by_name = {row[0]: row for row in rows[1:-1]}
    assert len(by_name) == len(TENANTS)
    class_up = by_name["测试class_up有限公司"]
    assert class_up[2] == 2 and "第十五条至第二十条" in class_up[3] and "第七条" in class_up[5]
    assert by_name["测试agreed有限公司"][2] == 0 and not any(by_name["测试agreed有限公司"][3:])
    assert "county_fire 2026.1" in rows[-1][0]


def test_a_result_becomes_a_hazard_with_the_article_as_legal_basis(store, park, county):
    hazard_id = hazard_from_result(store, park.id, county["sublet"], "R72_SUBLET", today=TODAY)
    with store.read() as session:
        hazard = session.get(Hazard, hazard_id)
        item = session.exec(select(RectificationItem).where(RectificationItem.hazard_id == hazard_id)).one()
    assert hazard.legal_basis == "消防〔2023〕72号 第八条"
    assert hazard.item_code == "R72_SUBLET" and hazard.severity == "general" and hazard.tenant_id == county["sublet"]
    assert "某某贸易商行" in hazard.description and "county_fire 2026.1" in hazard.description
    assert (item.deadline - TODAY).days == 15
    with pytest.raises(UserError) as twice:  # one unclosed hazard per tenant and rule
        hazard_from_result(store, park.id, county["sublet"], "R72_SUBLET", today=TODAY)
    assert twice.value.key == "rules.hazard_exists"
    with pytest.raises(UserError) as clean:  # a tenant that does not break the rule
        hazard_from_result(store, park.id, county["agreed"], "R72_SUBLET", today=TODAY)
    assert clean.value.key == "rules.result_missing"


# --- the rules file -----------------------------------------------------------------------------------

GOOD = builtin_rules().source


def broken(text_before: str, text_after: str) -> bytes:
    text = Path(GOOD).read_text(encoding="utf-8")
    assert text_before in text
    return text.replace(text_before, text_after, 1).encode("utf-8")


def line_of(data: bytes, start: str) -> int:
    """The number of the first line that starts with `start` (comments aside)."""
    lines = data.decode("utf-8").split("\n")
    return next(number for number, line in enumerate(lines, start=1) if line.startswith(start))


def test_a_malformed_rules_file_names_line_and_field_in_either_language():
    data = broken("max_per_100_m2 = 10", 'max_per_100_m2 = "十"')
    with pytest.raises(TemplateError) as refused:
        parse_rules(data, "county.toml")
    [problem] = refused.value.problems
    assert problem.line == line_of(data, "max_per_100_m2")
    assert problem.field == "rules[6].max_per_100_m2"
    assert "大于 0 的数字" in problem.message_in("zh_CN")
    assert "number above 0" in problem.message_in("en")
    assert str(problem).startswith(f"county.toml:{problem.line}: rules[6].max_per_100_m2: ")


def test_unknown_checks_classes_placeholders_and_missing_parameters_are_refused():
    data = broken('classes = ["A", "B"]', 'classes = ["A", "甲"]')
    data = data.replace(b"min_tenants = 2\n", b"")
    data = data.replace(b"{subtenant}", b"{sub_tenant}", 1)
    with pytest.raises(TemplateError) as refused:
        parse_rules(data, "county.toml")
    found = {(p.field, p.kind) for p in refused.value.problems}
    assert ("rules[5].classes", "bad_choice") in found
    assert ("rules[3].min_tenants", "required") in found
    assert ("rules[2].message", "unknown_placeholder") in found
    placeholder = next(p for p in refused.value.problems if p.kind == "unknown_placeholder")
    assert "sub_tenant" in placeholder.message_in("zh_CN") and "subtenant" in placeholder.message_in("en")


def test_cli_rules_check_and_apply(capsys, db_path, store, park, county, tmp_path):
    store.close()
    assert main(["rules", "check", GOOD]) == 0
    assert "2026.1" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_bytes(broken('check = "living_on_site"', 'check = "living_onsite"'))
    assert main(["--lang", "en", "rules", "check", str(bad)]) == 2
    out = capsys.readouterr().out
    line = line_of(bad.read_bytes(), 'check = "living_onsite"')
    assert f"{bad}:{line}: rules[4].check: " in out
    matrix = tmp_path / "m.xlsx"
    assert main(["--db", str(db_path), "rules", "apply", "--park", "PH-001", "-o", str(matrix), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["rules"] == {"id": "county_fire", "version": "2026.1"} and len(payload["results"]) == 7
    assert matrix.exists()
    assert main(["--db", str(db_path), "rules", "apply", "--park", "NOPE"]) == 2
    assert main(["--db", str(db_path), "rules", "apply", "--park", "PH-001", "-o", str(tmp_path / "m.csv")]) == 2
    assert not (tmp_path / "m.csv").exists()


def test_building_rows_are_synced_with_their_new_columns(store, park):
    save_building(store, park_id=park.id, data=BuildingInput.model_validate(
        {"name": "5号楼", "design_hazard_class": "丁", "sprinklers": "是", "manager_name": "赵六"}))
    with store.read() as session:
        building = session.exec(select(Building)).one()
    from db.models import ChangeLog

    with store.read() as session:
        entry = session.exec(select(ChangeLog).where(ChangeLog.row_id == building.id)).one()
    assert entry.op == "insert"
    assert entry.payload["design_hazard_class"] == "D" and entry.payload["manager_name"] == "赵六"
