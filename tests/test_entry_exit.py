"""Entry screening, the quarter's exit list and the bank certificate: the rules file, the
decisions (and what they write), the evidence on a hand-made park, the audit trail, the signed PDF."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select
from textual.widgets import DataTable

from db.models import (
    AuditEvent,
    EntryDecision,
    ExitDecision,
    Hazard,
    Inspector,
    QuarterlyReport,
    RectificationItem,
    Tenant,
)
from exports.signing import TrustStore, create_device_key, verify_pdf
from forms.applicant import Applicant
from forms.entry_rules import builtin_entry_rules, parse_entry_rules, screen
from forms.rules import TemplateError
from forms.tenant import TenantInput
from inspect_app.cli import main
from inspect_app.services import certificate, entry, exit_list
from inspect_app.services.ledger import save_tenant
from inspect_app.services.risk_flags import Quarter
from tests.conftest import make_credit_code, tenant_values

# An applicant that meets every built-in entry rule: 丙 class, 20 万元/亩, 10 people per 100 m², 100 m².
GOOD = {"name": "嘉兴示范电子有限公司", "credit_code": make_credit_code(501), "industry_code": "C3982",
        "process": "电子元件组装", "fire_hazard_class": "丙", "planned_area_m2": "400", "planned_headcount": "40",
        "commitment_tax_wan_per_mu": "20", "contact_name": "陈静", "contact_phone": "13900001111"}

# Each built-in rule: a value that breaks it alone, and the same kind of value just inside the limit.
CASES = {
    "E_NEG_INDUSTRY": ({"industry_code": "C2611"}, {"industry_code": "C2612"}),
    "E_NEG_PROCESS": ({"process": "五金件电镀"}, {"process": "五金件冲压"}),
    "E_HAZARD_CLASS": ({"fire_hazard_class": "乙"}, {"fire_hazard_class": "丙"}),
    "E_MIN_TAX": ({"commitment_tax_wan_per_mu": "19.9"}, {"commitment_tax_wan_per_mu": "20"}),
    "E_DENSITY": ({"planned_headcount": "41"}, {"planned_headcount": "40"}),
    "E_MIN_AREA": ({"planned_area_m2": "99", "planned_headcount": "9"}, {"planned_area_m2": "100",
                                                                          "planned_headcount": "10"}),
}


def applicant(**changes) -> Applicant:
    return Applicant.model_validate({**GOOD, **changes})


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_entry_rule_refuses_over_its_limit_and_not_at_it(code):
    rules = builtin_entry_rules()
    breaking, inside = CASES[code]
    refused = screen(rules, applicant(**breaking))
    assert [r.rule.code for r in refused] == [code]
    assert refused[0].message() and refused[0].rule.source()  # a reason in words and where it rests
    assert screen(rules, applicant(**inside)) == []


def test_refusals_say_their_figures_in_either_language():
    refused = screen(builtin_entry_rules(), applicant(commitment_tax_wan_per_mu="12.5", fire_hazard_class="甲"))
    texts = {r.rule.code: r for r in refused}
    assert texts["E_MIN_TAX"].message() == "嘉兴示范电子有限公司承诺亩均税收 12.5 万元/亩，低于入园标准 20 万元/亩"
    assert "甲类" in texts["E_HAZARD_CLASS"].message() and "丙类" in texts["E_HAZARD_CLASS"].message()
    assert "below the entry standard of 20" in texts["E_MIN_TAX"].message("en")


BAD_FILE = b'''kind = "entry"
id = "county_entry"
version = "2026.1"
title_zh = "t"
title_en = "t"

[[rules]]
code = "E_TAX"
check = "min_commitment"
min_tax_wan_per_mu = "twenty"
source = "s"
source_en = "s"
title = "t"
title_en = "t"
message = "{applicant} {commitmnt}"
message_en = "{applicant}"
'''


def test_a_malformed_entry_rules_file_names_line_and_field_in_both_languages():
    with pytest.raises(TemplateError) as caught:
        parse_entry_rules(BAD_FILE, "entry.toml")
    problems = {(p.line, p.field): p for p in caught.value.problems}
    assert set(problems) == {(10, "rules[1].min_tax_wan_per_mu"), (15, "rules[1].message")}
    assert "大于 0" in problems[(10, "rules[1].min_tax_wan_per_mu")].message_in("zh_CN")
    assert "commitmnt" in problems[(15, "rules[1].message")].message_in("en")
    assert "entry.toml:10" in str(problems[(10, "rules[1].min_tax_wan_per_mu")])


def test_rules_check_takes_an_entry_file(tmp_path, capsys):
    good = tmp_path / "entry.toml"
    shutil.copyfile(builtin_entry_rules().source, good)
    assert main(["rules", "check", str(good)]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_bytes(BAD_FILE)
    assert main(["--lang", "en", "rules", "check", str(bad)]) == 2
    assert "bad.toml:10" in capsys.readouterr().out


# --- decisions -----------------------------------------------------------------------------------


def tenants(store) -> list[Tenant]:
    with store.read() as session:
        return list(session.exec(select(Tenant).where(Tenant.deleted == False)))  # noqa: E712


def decisions(store) -> list[EntryDecision]:
    with store.read() as session:
        return list(session.exec(select(EntryDecision)))


def test_a_refused_applicant_writes_no_tenant_and_its_decision_keeps_the_reasons(store, park):
    screening = entry.screen_applicant(applicant(process="电镀"))
    with pytest.raises(entry.UserError) as caught:
        entry.decide(store, park.id, screening, "admit")
    assert caught.value.key == "entry.admit_refused"
    assert tenants(store) == [] and decisions(store) == []

    entry.decide(store, park.id, screening, "refuse", note="负面清单")
    assert tenants(store) == []
    [row] = decisions(store)
    assert (row.decision, row.tenant_id, row.rules_id, row.rules_version) == ("refuse", None, "county_entry", "2026.1")
    assert [r["code"] for r in row.reasons] == ["E_NEG_PROCESS"] and "电镀" in row.reasons[0]["message"]


def test_an_admitted_applicant_becomes_a_tenant_through_the_ledger_rules(store, park):
    decision = entry.decide(store, park.id, entry.screen_applicant(applicant()), "admit")
    [tenant] = tenants(store)
    assert decision.tenant_id == tenant.id
    assert (tenant.name, tenant.credit_code, tenant.rented_area_m2, tenant.headcount) == (
        GOOD["name"], GOOD["credit_code"], 400.0, 40)
    assert (tenant.fire_hazard_class, tenant.process_or_goods, tenant.lease_use, tenant.scale) == (
        "C", "电子元件组装", "production", "below")
    # The ledger's own refusal (the park already has this credit code) writes no decision either.
    with pytest.raises(entry.UserError) as caught:
        entry.decide(store, park.id, entry.screen_applicant(applicant(name="另一家")), "admit")
    assert caught.value.key == "errors.duplicate_credit_code"
    assert len(decisions(store)) == 1 and len(tenants(store)) == 1


def test_entry_cli_check_and_decide(store, park, db_path, tmp_path, capsys):
    path = tmp_path / "applicant.toml"
    path.write_text("\n".join(f'{k} = "{v}"' for k, v in {**GOOD, "process": "电镀"}.items()), encoding="utf-8")
    store.close()
    assert main(["--db", str(db_path), "entry", "check", "--park", park.code, "--applicant", str(path)]) == 1
    out = capsys.readouterr().out
    assert "E_NEG_PROCESS" in out and "县小微企业园入园负面清单" in out
    good = tmp_path / "good.json"
    good.write_text(json.dumps(GOOD, ensure_ascii=False), encoding="utf-8")
    assert main(["--db", str(db_path), "entry", "check", "--park", park.code, "--applicant", str(good)]) == 0
    capsys.readouterr()
    assert main(["--db", str(db_path), "--lang", "en", "entry", "decide", "--park", park.code, "--applicant",
                 str(good), "--decision", "admit", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["decision"] == "admit" and payload["tenant_id"] and payload["admissible"]


def test_a_bad_applicant_file_is_refused_with_its_field(store, park, db_path, tmp_path, capsys):
    path = tmp_path / "applicant.json"
    path.write_text(json.dumps({**GOOD, "industry_code": "电子", "planned_headcount": "-3"}), encoding="utf-8")
    store.close()
    code = main(["--db", str(db_path), "--lang", "en", "entry", "decide", "--park", park.code,
                 "--applicant", str(path), "--decision", "refuse"])
    assert code == 2
    err = capsys.readouterr().err
    assert "Industry code" in err and "Planned headcount" in err
    reopened = type(store).open(db_path)
    try:
        assert decisions(reopened) == []
    finally:
        reopened.close()


# --- the exit list -------------------------------------------------------------------------------

Q4 = Quarter(2026, 4)
LONG_AGO = datetime(2024, 6, 1, 2, 0, tzinfo=UTC)


def add_tenant(store, park, n: int, **values) -> Tenant:
    tenant = Tenant(park_id=park.id, name=f"测试企业{n}", credit_code=make_credit_code(n), rented_area_m2=1000,
                    headcount=10, scale="below", lease_use="production", created_at=LONG_AGO, **values)
    with store.transaction() as session:
        session.add(tenant)
    return tenant


def add_hazard(store, park, tenant, *, code: str | None, severity: str, found_on: date, closed_on: date | None = None):
    with store.transaction() as session:
        hazard = Hazard(park_id=park.id, tenant_id=tenant.id, item_code=code, location="1号楼",
                        description=f"{code or '规则'}隐患", severity=severity, found_on=found_on,
                        status="closed" if closed_on else "open")
        session.add(hazard)
        session.flush()
        session.add(RectificationItem(hazard_id=hazard.id, deadline=date(2026, 12, 1),
                                      status="closed" if closed_on else "open", closed_on=closed_on))


def class_changed(store, tenant, on: datetime) -> None:
    """An audit event of the stored class becoming D on `on` (as an edit on that day would leave)."""
    with store.transaction() as session:
        session.add(AuditEvent(table_name="tenant", row_id=tenant.id, action="update", created_at=on,
                               before={"efficiency_class": "C"}, after={"efficiency_class": "D"}))


@pytest.fixture
def exit_park(store, park):
    """Seven tenants, each built to meet one ground or to miss it just."""
    made = {}
    made["zombie"] = add_tenant(store, park, 1)
    with store.transaction() as session:  # 2025Q1..2026Q2 busy, 2026Q3 and Q4 idle (output < 1, power < 5%)
        for k in range(8):
            q = Q4.shift(-k)
            idle = k < 2
            session.add(QuarterlyReport(tenant_id=made["zombie"].id, year=q.year, quarter=q.quarter,
                                        output_value_wan=0.5 if idle else 200.0,
                                        electricity_kwh=300.0 if idle else 10_000.0))
    made["d_since_creation"] = add_tenant(store, park, 2, efficiency_class="D")  # D since 2024-06-01
    made["d_by_edit_long_ago"] = add_tenant(store, park, 3, efficiency_class="D")
    class_changed(store, made["d_by_edit_long_ago"], datetime(2024, 12, 31, 16, 0, tzinfo=UTC))  # 2025-01-01 00:00 China
    made["d_too_recent"] = add_tenant(store, park, 4, efficiency_class="D")
    class_changed(store, made["d_too_recent"], datetime(2025, 1, 1, 16, 0, tzinfo=UTC))  # 2025-01-02 China
    made["repeat"] = add_tenant(store, park, 5)
    add_hazard(store, park, made["repeat"], code="B02", severity="general", found_on=date(2026, 3, 10),
               closed_on=date(2026, 4, 1))
    add_hazard(store, park, made["repeat"], code="B02", severity="general", found_on=date(2026, 10, 9))
    made["major"] = add_tenant(store, park, 6)
    add_hazard(store, park, made["major"], code="A01", severity="major", found_on=date(2026, 11, 2))
    made["clean"] = add_tenant(store, park, 7, efficiency_class="C")
    add_hazard(store, park, made["clean"], code="A01", severity="major", found_on=date(2026, 5, 2),
               closed_on=date(2026, 6, 1))  # closed: no ground
    return made


def test_the_exit_list_shows_each_ground_with_its_evidence(store, park, exit_park):
    listed = {c.tenant_id: c for c in exit_list.exit_list(store, park.id, Q4, today=date(2027, 1, 5))}
    kinds = {tenant_id: [g.kind for g in c.grounds] for tenant_id, c in listed.items()}
    made = exit_park
    assert kinds == {made["zombie"].id: ["zombie"], made["d_since_creation"].id: ["class_d"],
                     made["d_by_edit_long_ago"].id: ["class_d"], made["repeat"].id: ["repeat_findings"],
                     made["major"].id: ["major_unrectified"]}
    assert listed[made["d_since_creation"].id].grounds[0].evidence == (
        "亩均效益 D 类，自 2024-06-01 起未变，覆盖 2025年第一季度 至 2026年第四季度 共 8 个季度")
    assert "2025-01-01" in listed[made["d_by_edit_long_ago"].id].grounds[0].evidence
    # the flag's explanation without the name the ground already has (the screen, sheet and CLI show both)
    assert listed[made["zombie"].id].grounds[0].evidence.startswith("连续 2 个季度产值低于 1 万元")
    assert "B02 第 2 次（2026-10-09" in listed[made["repeat"].id].grounds[0].evidence
    assert "2026-11-02 发现" in listed[made["major"].id].grounds[0].evidence
    # The quarter before: the major hazard and the second B02 were not found yet; D since 2025-01-01
    # misses 2024Q4, the first of its eight quarters, while D since 2024-06-01 covers them.
    earlier = {c.tenant_id for c in exit_list.exit_list(store, park.id, Q4.shift(-1), today=date(2027, 1, 5))}
    assert made["major"].id not in earlier and made["repeat"].id not in earlier
    assert made["d_by_edit_long_ago"].id not in earlier and made["d_since_creation"].id in earlier


def test_exit_decisions_are_in_the_audit_trail_and_the_latest_counts(store, park, exit_park, tmp_path):
    with store.transaction() as session:
        inspector = Inspector(name="李明", id_number="33048219800101001X", agency="平湖市经信局")
        session.add(inspector)
    store.actor_id = inspector.id
    tenant = exit_park["major"]
    exit_list.decide(store, park.id, tenant.id, Q4, "talk", today=date(2027, 1, 5))
    exit_list.decide(store, park.id, tenant.id, Q4, "exit", note="拒不整改", today=date(2027, 1, 6))
    with pytest.raises(exit_list.UserError) as caught:
        exit_list.decide(store, park.id, exit_park["clean"].id, Q4, "exit", today=date(2027, 1, 6))
    assert caught.value.key == "exit.not_listed"
    with store.read() as session:
        audits = session.exec(select(AuditEvent).where(AuditEvent.table_name == "exit_decision")).all()
        rows = session.exec(select(ExitDecision)).all()
    assert sorted(a.after["decision"] for a in audits) == ["exit", "talk"]
    assert {a.actor_id for a in audits} == {inspector.id}
    assert rows[0].grounds[0]["kind"] == "major_unrectified"
    [listed] = [c for c in exit_list.exit_list(store, park.id, Q4, today=date(2027, 1, 6)) if c.tenant_id == tenant.id]
    assert (listed.decision.decision, listed.decision.decided_by, listed.decision.note) == ("exit", "李明", "拒不整改")

    target = tmp_path / "exit.xlsx"
    exit_list.export_exit_list(store, park.id, Q4, target, today=date(2027, 1, 6))
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("承租单位", "统一社会信用代码", "疑似僵尸企业", "连续两年 D 类", "隐患反复出现", "重大隐患未整改")
    mine = next(r for r in rows if r[1] == tenant.credit_code)
    assert "重大隐患未销号" in mine[5] and mine[6] == "腾退" and mine[7] == "李明"


def test_exit_list_cli(store, park, exit_park, db_path, tmp_path, capsys):
    store.close()
    code = exit_park["repeat"].credit_code
    assert main(["--db", str(db_path), "exit-list", "decide", "--park", park.code, "--quarter", "2026Q4",
                 "--tenant", code, "--decision", "keep"]) == 0
    assert main(["--db", str(db_path), "--lang", "en", "exit-list", "--park", park.code, "--quarter", "2026Q4",
                 "-o", str(tmp_path / "x.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "5 tenants on the exit list" in out and "decided: keep" in out and (tmp_path / "x.xlsx").exists()
    assert main(["--db", str(db_path), "exit-list", "--park", park.code, "--quarter", "2026Q5"]) == 2


# --- the operating certificate -------------------------------------------------------------------


@pytest.fixture
def keys(tmp_path, monkeypatch, store):
    directory = tmp_path / "keys"
    monkeypatch.setenv("PARKINSPECT_KEYS_DIR", str(directory))
    create_device_key(directory, common_name="李明 平湖市经济和信息化局", device_id=store.device_id)
    return directory


NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def consenting_tenant(store, park, consent: bool) -> Tenant:
    tenant = save_tenant(store, park_id=park.id, data=TenantInput.model_validate(
        tenant_values(1, bank_consent="是" if consent else "否", lease_start="2021-03-01")))
    with store.transaction() as session:
        for k, q in enumerate(Quarter(2026, 3).shift(-n) for n in range(8)):
            session.add(QuarterlyReport(tenant_id=tenant.id, year=q.year, quarter=q.quarter,
                                        output_value_wan=300.0 + k, tax_wan=12.5, electricity_kwh=40_000.0))
    add_hazard(store, park, tenant, code="B02", severity="general", found_on=date(2026, 3, 10),
               closed_on=date(2026, 4, 1))
    return tenant


def test_no_certificate_without_consent(store, park, keys, tmp_path, db_path, capsys):
    tenant = consenting_tenant(store, park, consent=False)
    target = tmp_path / "c.pdf"
    with pytest.raises(certificate.UserError) as caught:
        certificate.write_certificate(store, tenant.id, target, keys_dir=keys, now=NOW)
    assert caught.value.key == "certificate.no_consent"
    store.close()
    assert main(["--db", str(db_path), "certificate", "--tenant", tenant.credit_code, "-o", str(target)]) == 2
    assert "未同意" in capsys.readouterr().err and not target.exists()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_the_certificate_verifies_and_a_tampered_one_does_not(store, park, keys, tmp_path, db_path, capsys):
    tenant = consenting_tenant(store, park, consent=True)
    target = tmp_path / "c.pdf"
    content = certificate.write_certificate(store, tenant.id, target, keys_dir=keys, now=NOW, agency="平湖市经信局")
    assert [q["quarter"] for q in content["quarters"]] == [str(Quarter(2026, 3).shift(-n)) for n in range(7, -1, -1)]
    assert content["tenant"]["years_in_park"] == 5.8 and content["tenant"]["in_park_since"] == "2021-03-01"
    assert [h["state"] for h in content["hazards"]] == ["已销号"]
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True).stdout
    assert "园区经营信息证明" in text and tenant.name in text and "2026年第三季度" in text and "已销号" in text

    data = target.read_bytes()
    result = verify_pdf(data, TrustStore.from_directory(keys))
    assert result.authentic and result.certificate["credit_code"] == tenant.credit_code
    assert result.certificate["quarters"] == 8
    at = data.index(b"/Title")
    tampered = data[:at + 8] + bytes([data[at + 8] ^ 1]) + data[at + 9:]
    assert not verify_pdf(tampered, TrustStore.from_directory(keys)).authentic

    store.close()
    assert main(["--db", str(db_path), "verify", str(target)]) == 0
    assert "真实的园区经营信息证明" in capsys.readouterr().out


# --- the screens ---------------------------------------------------------------------------------


async def test_the_entry_screen_screens_and_admits_from_the_ledger(store, park):
    from inspect_app.app import make_app
    from inspect_app.screens.entry import EntryScreen
    from inspect_app.screens.ledger import LedgerScreen
    from tests.test_tui_notices import SIZE, settle

    app = make_app(store, today=date(2026, 12, 7))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(LedgerScreen(park.id))
        await settle(app, pilot)
        app.screen.query_one("#ledger").focus()
        await pilot.press("j")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, EntryScreen)
        from textual.widgets import Input

        for name, value in {**GOOD, "process": "电镀"}.items():
            screen.query_one(f"#entry-{name}", Input).value = value
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "E_NEG_PROCESS" in str(screen.query_one("#entry-result").render())
        await pilot.press("a")  # refused: admitting an applicant the rules refuse
        await settle(app, pilot)
        assert tenants(store) == [] and decisions(store) == []
        screen.query_one("#entry-process", Input).value = GOOD["process"]
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert [t.name for t in tenants(store)] == [GOOD["name"]]
        assert isinstance(app.screen, LedgerScreen)


async def test_the_exit_list_screen_records_a_decision(store, park, exit_park):
    from inspect_app.app import make_app
    from inspect_app.screens.exit_list import ExitListScreen
    from tests.test_tui_notices import SIZE, settle

    app = make_app(store, today=date(2027, 1, 5))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(ExitListScreen(park.id, park.name))
        await settle(app, pilot)
        screen = app.screen
        assert screen.quarter == Q4 and len(screen.rows) == 5
        first = screen.rows[0]
        await pilot.press("t")
        await settle(app, pilot)
        assert screen.rows[0].decision.decision == "talk"
        assert first.grounds[0].evidence in str(screen.query_one("#exit-detail").render())
        for row in screen.rows:  # each ground named once beside its evidence
            screen.query_one("#exit-table", DataTable).move_cursor(row=screen.rows.index(row))
            await settle(app, pilot)
            detail = str(screen.query_one("#exit-detail").render())
            assert all(detail.count(f"{g.label()}：") == 1 for g in row.grounds), detail
    with store.read() as session:
        [row] = session.exec(select(ExitDecision)).all()
    assert (row.tenant_id, row.quarter, row.decision) == (first.tenant_id, "2026Q4", "talk")
