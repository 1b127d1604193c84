"""The demo data: what `parkinspect demo` writes must be valid, complete, logged and repeatable."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from db.checklist_items import items_of
from db.models import (
    Building,
    ChangeLog,
    CheckResult,
    Hazard,
    Inspection,
    Inspector,
    LocalSetting,
    Notice,
    Park,
    QuarterlyReport,
    RectificationItem,
    Tenant,
)
from db.store import Store
from forms import credit_code
from forms.catalogues import HAZARD_STATUSES
from forms.checklist import builtin_templates
from forms.tenant import TenantInput
from inspect_app.services.demo import (
    CHECKLIST_ITEM_CODES,
    FINDINGS,
    NOT_FIXED_ON_THE_SPOT_DAYS,
    DemoBuilder,
    add_tenant_inspections,
    generate_demo,
    has_data,
)
from inspect_app.services.hazards import HazardQuery, list_hazards
from inspect_app.services.ledger import tenant_as_input
from tests.conftest import TODAY

SMALL = {"parks": 3, "tenants_per_park": 10, "seed": 7, "today": TODAY}
EVERY_STATUS = {"parks": 4, "tenants_per_park": 20, "seed": 11, "today": TODAY}  # every hazard status occurs
NOTICE_SIZE = {**SMALL, "tenants_per_park": 20}  # three tenants with complete 五落实 and no notice yet


def count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def hazard_statuses(session: Session) -> Counter:
    """Statuses as the app shows them: an open hazard with an open item past its deadline is overdue."""
    statuses: Counter = Counter()
    for hazard, item in session.exec(
        select(Hazard, RectificationItem).join(RectificationItem, RectificationItem.hazard_id == Hazard.id)
    ).all():
        overdue = (
            hazard.status == "open" and item.status == "open" and item.deadline and item.deadline < TODAY
        )
        statuses["overdue" if overdue else hazard.status] += 1
    return statuses


class BuiltDemo:
    """A demo database built once per module, copied for each test that only reads it: building the
    small demo takes ~0.8 s of CPU, a copy a few milliseconds."""

    def __init__(self, folder: Path, migrated_file: Path, **size):
        self.path = folder / "demo.db"
        shutil.copyfile(migrated_file, self.path)
        store = Store.open(self.path)
        self.summary = generate_demo(store, **size)
        store.close()  # the last connection closed: the WAL is checkpointed into the file

    def copy(self, folder: Path) -> Store:
        shutil.copyfile(self.path, folder / "demo.db")
        return Store.open(folder / "demo.db")


@pytest.fixture(scope="module")
def small_demo_built(tmp_path_factory, migrated_file) -> BuiltDemo:
    return BuiltDemo(tmp_path_factory.mktemp("small-demo"), migrated_file, **SMALL)


@pytest.fixture(scope="module")
def every_status_demo_built(tmp_path_factory, migrated_file) -> BuiltDemo:
    return BuiltDemo(tmp_path_factory.mktemp("every-status-demo"), migrated_file, **EVERY_STATUS)


@pytest.fixture
def small_demo(small_demo_built, tmp_path) -> Iterator[Store]:
    """A store holding `generate_demo(**SMALL)`'s data."""
    store = small_demo_built.copy(tmp_path)
    yield store
    store.close()


@pytest.fixture
def every_status_demo(every_status_demo_built, tmp_path) -> Iterator[Store]:
    """A store holding `generate_demo(**EVERY_STATUS)`'s data."""
    store = every_status_demo_built.copy(tmp_path)
    yield store
    store.close()


def check_results_expected(session: Session) -> int:
    """Every inspection holds a copy of each item of its template (31 fire-safety, 9 ledger items)."""
    items_per_template = {"fire_safety": len(CHECKLIST_ITEM_CODES), "ledger_verification": 9}
    return sum(items_per_template[i.template_id] for i in session.exec(select(Inspection)).all())


def test_returned_counts_match_the_rows_written(small_demo_built: BuiltDemo, small_demo: Store):
    summary, store = small_demo_built.summary, small_demo

    with store.read() as session:
        assert summary == {
            "parks": count(session, Park),
            "tenants": count(session, Tenant),
            "inspections": count(session, Inspection),
            "hazards": count(session, Hazard),
            "quarterly_reports": count(session, QuarterlyReport),
        }
        assert summary["parks"] == 3 and summary["tenants"] == 30
        assert count(session, CheckResult) == check_results_expected(session)
        assert count(session, RectificationItem) == summary["hazards"]  # one 五落实 item per hazard
        assert 2 * 3 <= count(session, Building) <= 6 * 3


def test_every_credit_code_is_valid(small_demo: Store):
    store = small_demo

    with store.read() as session:
        codes = session.exec(select(Tenant.credit_code)).all()
    assert codes
    assert [code for code in codes if credit_code.problem(code) is not None] == []


def test_every_tenant_passes_the_ledger_form(small_demo: Store):
    store = small_demo

    with store.read() as session:
        tenants = session.exec(select(Tenant)).all()
    for tenant in tenants:
        TenantInput.model_validate(tenant_as_input(tenant))  # raises on the first refused value


def test_tenants_are_linked_to_their_buildings(small_demo: Store):
    store = small_demo

    with store.read() as session:
        pairs = session.exec(select(Tenant, Building).join(Building, Building.id == Tenant.building_id)).all()
        assert len(pairs) == count(session, Tenant)
    assert all(
        tenant.building == building.name and tenant.park_id == building.park_id for tenant, building in pairs
    )


def test_every_hazard_status_occurs(every_status_demo: Store):
    store = every_status_demo

    with store.read() as session:
        statuses = hazard_statuses(session)
    assert set(statuses) == set(HAZARD_STATUSES)


def test_some_open_hazard_lacks_a_five_implementations_field(small_demo: Store):
    store = small_demo

    with store.read() as session:
        items = session.exec(
            select(RectificationItem)
            .join(Hazard, Hazard.id == RectificationItem.hazard_id)
            .where(Hazard.status == "open")
        ).all()
    incomplete = [
        item
        for item in items
        if None
        in (
            item.responsible_person,
            item.responsible_phone,
            item.measures,
            item.funds_yuan,
            item.deadline,
            item.contingency_plan,
        )
    ]
    assert incomplete


def test_closed_items_have_a_closing_date_and_zero_funds_a_reason(small_demo: Store):
    store = small_demo

    with store.read() as session:
        items = session.exec(select(RectificationItem)).all()
    assert all(item.closed_on is not None for item in items if item.status == "closed")
    assert all(item.funds_reason for item in items if item.funds_yuan == 0)


def test_inspections_are_finished_by_two_inspectors(small_demo: Store):
    store = small_demo

    with store.read() as session:
        inspections = session.exec(select(Inspection)).all()
        inspector_ids = set(session.exec(select(Inspector.id)).all())
        common_areas = [i for i in inspections if i.tenant_id is None]
    assert len(common_areas) == 3  # one per park
    for inspection in inspections:
        assert inspection.status == "finished" and inspection.finished_at is not None
        assert len(inspection.inspector_ids) == 2 and set(inspection.inspector_ids) <= inspector_ids


def test_the_device_inspector_profile_is_left_for_the_first_run(small_demo: Store):
    store = small_demo

    with store.read() as session:
        assert session.get(LocalSetting, "inspector_id") is None


def test_same_seed_gives_the_same_content(tmp_path: Path):
    def content(path: Path) -> tuple[list, list]:
        store = Store.open(path)
        try:
            generate_demo(store, **SMALL)
            with store.read() as session:
                tenants = session.exec(
                    select(
                        Park.code,
                        Tenant.building,
                        Tenant.unit_no,
                        Tenant.name,
                        Tenant.credit_code,
                        Tenant.rented_area_m2,
                        Tenant.headcount,
                    )
                    .join(Park, Park.id == Tenant.park_id)
                    .order_by(Park.code, Tenant.building, Tenant.unit_no)
                ).all()
                hazards = session.exec(
                    select(Hazard.location, Hazard.description, Hazard.status, Hazard.found_on).order_by(
                        Hazard.found_on, Hazard.location, Hazard.description
                    )
                ).all()
        finally:
            store.close()
        return [tuple(row) for row in tenants], [tuple(row) for row in hazards]

    first, second = content(tmp_path / "one.db"), content(tmp_path / "two.db")
    assert first[0] and first == second


def test_change_log_has_an_insert_for_every_tenant(small_demo: Store):
    store = small_demo

    with store.read() as session:
        tenant_ids = set(session.exec(select(Tenant.id)).all())
        logged = set(
            session.exec(
                select(ChangeLog.row_id).where(ChangeLog.table_name == "tenant", ChangeLog.op == "insert")
            ).all()
        )
    assert tenant_ids and tenant_ids == logged


def test_has_data_is_false_before_and_true_after(store: Store):
    assert has_data(store) is False
    generate_demo(store, parks=1, tenants_per_park=2, seed=1, today=TODAY)
    assert has_data(store) is True


def test_parks_without_tenants(store: Store):
    summary = generate_demo(store, parks=2, tenants_per_park=0, seed=3, today=TODAY)

    assert summary["parks"] == 2 and summary["tenants"] == 0 and summary["quarterly_reports"] == 0
    assert summary["inspections"] == 2  # the common areas are still inspected
    with store.read() as session:
        assert count(session, Park) == 2 and count(session, Tenant) == 0


def test_a_second_run_adds_parks_after_the_existing_codes(store: Store):
    generate_demo(store, parks=2, tenants_per_park=1, seed=1, today=TODAY)
    generate_demo(store, parks=2, tenants_per_park=1, seed=1, today=TODAY)

    with store.read() as session:
        codes = session.exec(select(Park.code).order_by(Park.code)).all()
    assert codes == ["PH-001", "PH-002", "PH-003", "PH-004"]


@pytest.fixture(scope="module")
def built_rows():
    """Rows of 10 parks x 100 tenants, built in memory only (the quarterly figures need a crowd)."""
    builder = DemoBuilder(random.Random(2026), TODAY)
    builder.inspectors(10)
    return [builder.park_rows(number, 100, showcase=number == 1) for number in range(1, 11)]


def test_above_size_tenants_are_a_few_and_produce_much_of_the_output(built_rows):
    tenants = [tenant for rows in built_rows for tenant in rows.tenants]
    scale = {tenant.id: tenant.scale for tenant in tenants}
    output: Counter = Counter()
    for rows in built_rows:
        for report in rows.quarterly_reports:
            output[scale[report.tenant_id]] += report.output_value_wan
    above_share = sum(t.scale == "above" for t in tenants) / len(tenants)
    assert 0.09 <= above_share <= 0.17
    assert 0.33 <= output["above"] / sum(output.values()) <= 0.48


def test_quarterly_figures_include_declining_and_zombie_tenants(built_rows):
    by_tenant: dict[str, dict[tuple[int, int], QuarterlyReport]] = {}
    for rows in built_rows:
        for report in rows.quarterly_reports:
            by_tenant.setdefault(report.tenant_id, {})[(report.year, report.quarter)] = report
    declining = zombies = 0
    for reports in by_tenant.values():
        if len(reports) < 8:
            continue  # moved in during the period
        q = sorted(reports)
        last_year = sum(reports[k].output_value_wan for k in q[4:])
        year_before = sum(reports[k].output_value_wan for k in q[:4])
        if last_year <= 0.7 * year_before:
            declining += 1
        usual_power = sum(reports[k].electricity_kwh for k in q[:4]) / 4
        if all(
            reports[k].output_value_wan < 1 and reports[k].electricity_kwh < 0.05 * usual_power
            for k in q[-2:]
        ):
            zombies += 1
    assert declining >= 3
    assert zombies >= 3


def test_inspections_follow_the_shipped_templates(small_demo: Store):
    store = small_demo
    templates = builtin_templates()

    with store.read() as session:
        inspections = session.exec(select(Inspection)).all()
        results = session.exec(
            select(CheckResult).order_by(CheckResult.inspection_id, CheckResult.position)
        ).all()
        named = items_of(session, results)
    used = {(i.template_id, i.template_version, i.template_sha256) for i in inspections}
    assert used == {(t.id, t.version, t.sha256) for t in (templates["fire_safety"], templates["ledger_verification"])}
    template_of = {i.id: templates[i.template_id] for i in inspections}
    for inspection in inspections:
        template = template_of[inspection.id]
        mine = [r for r in results if r.inspection_id == inspection.id]
        assert [r.item_code for r in mine] == list(template.codes())
        assert [r.position for r in mine] == list(range(len(template.items)))
    for result in results:  # the item it names, as start_inspection makes it (no copy of its own)
        item = template_of[result.inspection_id].item(result.item_code)
        shown = named[result.id]
        assert result.item_text is None and result.checklist_item_id is not None
        assert (shown.category, shown.text, shown.default_severity, shown.major_possible) == (
            item.category("zh_CN"),
            item.text("zh_CN"),
            item.default_severity,
            item.major_possible,
        )


def test_every_template_item_has_demo_findings():
    assert set(builtin_templates()["fire_safety"].codes()) == set(FINDINGS)


def test_hazards_take_the_template_severity_and_deadline(every_status_demo: Store):
    store = every_status_demo
    fire = builtin_templates()["fire_safety"]

    # Tenant inspections only: the showcase (common areas of the first park) plans its deadlines.
    with store.read() as session:
        pairs = session.exec(
            select(Hazard, RectificationItem)
            .join(RectificationItem, RectificationItem.hazard_id == Hazard.id)
            .join(Inspection, Inspection.id == Hazard.inspection_id)
            .where(Inspection.tenant_id.is_not(None), Inspection.template_id == fire.id)
        ).all()
    assert pairs
    for hazard, item in pairs:
        template_item = fire.item(hazard.item_code)
        assert hazard.severity == template_item.default_severity or template_item.major_possible
        days = (item.deadline - hazard.found_on).days
        expected = template_item.deadline_days(hazard.severity)
        # An on-the-spot item (0 days) is either closed that day or given a few days.
        assert days == expected or (expected == 0 and days == NOT_FIXED_ON_THE_SPOT_DAYS), hazard.item_code


def test_extra_tenant_inspections_bring_the_hazards_to_the_number_asked(store: Store):
    generate_demo(store, parks=2, tenants_per_park=30, seed=5, today=TODAY)
    with store.read() as session:
        before = count(session, Hazard)

    added = add_tenant_inspections(store, hazards=before + 40, seed=5, today=TODAY)

    with store.read() as session:
        after = count(session, Hazard)
        assert count(session, RectificationItem) == after
        assert count(session, CheckResult) == check_results_expected(session)
    assert added["hazards"] == after - before and added["inspections"] > 0
    assert before + 40 <= after < before + 40 + len(CHECKLIST_ITEM_CODES)  # the last one may overshoot
    nothing = {"inspections": 0, "hazards": 0}
    assert add_tenant_inspections(store, hazards=after, seed=5, today=TODAY) == nothing


def test_the_hazards_view_shows_every_status(every_status_demo: Store):
    """The status people see comes from the 五落实 item (services.hazards), not only the hazard row."""
    store = every_status_demo

    for status in HAZARD_STATUSES:
        rows, total = list_hazards(store, HazardQuery(status=status, today=TODAY, limit=5))
        assert total > 0 and {row.status for row in rows} == {status}, status


# --- demo notices ---------------------------------------------------------------------------------


@pytest.fixture
def keys_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "keys"
    monkeypatch.setenv("PARKINSPECT_KEYS_DIR", str(directory))
    return directory


def test_demo_notices_are_issued_signed_and_verify(store: Store, keys_dir: Path):
    from exports.notice_pdf import read_embedded
    from exports.signing import TrustStore, load_device_key, verify_pdf
    from inspect_app.config import keys_dir as configured_keys_dir
    from inspect_app.services.demo import demo_agency, issue_demo_notices
    from inspect_app.services.hazards import get_hazard

    generate_demo(store, **NOTICE_SIZE)
    assert configured_keys_dir() == keys_dir and load_device_key(keys_dir) is None
    issued = issue_demo_notices(store, keys_dir=configured_keys_dir(), agency=demo_agency(), count=3,
                                now=datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    key = load_device_key(keys_dir)
    assert key is not None and store.device_id in key.subject and "演示设备" in key.subject
    assert len(issued) == 3 and len({n.number for n in issued}) == 3
    trust = TrustStore.from_directory(keys_dir)
    with store.read() as session:
        notices = {n.number: n for n in session.exec(select(Notice)).all()}
    assert set(notices) == {n.number for n in issued}
    for notice in notices.values():
        result = verify_pdf(notice.pdf, trust, read_embedded)
        assert result.status == "authentic", result.reason
        assert result.number == notice.number
        hazards = session_hazards(store, notice.id)
        assert hazards and all(not get_hazard(store, h, TODAY).missing for h in hazards)


def session_hazards(store: Store, notice_id: str) -> list[str]:
    with store.read() as session:
        return list(session.exec(select(Hazard.id).where(Hazard.notice_id == notice_id)).all())


def test_demo_notices_choose_the_same_tenants_for_the_same_seed_and_skip_issued_ones(tmp_path: Path):
    from inspect_app.services.demo import demo_agency, issue_demo_notices

    chosen = []
    for run in ("a", "b"):
        store = Store.open(tmp_path / f"{run}.db")
        try:
            generate_demo(store, **NOTICE_SIZE)
            first = issue_demo_notices(store, keys_dir=tmp_path / "keys", agency=demo_agency(), count=2)
            second = issue_demo_notices(store, keys_dir=tmp_path / "keys", agency=demo_agency(), count=2)
            names = [n.content["addressee"]["credit_code"] for n in first + second]
            assert len(names) == len(set(names)) == 3  # the second call takes the one left, not the same
            chosen.append(names)
        finally:
            store.close()
    assert chosen[0] == chosen[1]


def test_demo_command_reports_the_notices(tmp_path: Path, keys_dir: Path, monkeypatch, capsys):
    import json

    from inspect_app.cli import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    code = main(["--db", str(tmp_path / "demo.db"), "demo", "--parks", "2", "--tenants-per-park", "8", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["notices"] >= 1
    assert (keys_dir / "device_key.pem").exists()
    store = Store.open(tmp_path / "demo.db")
    try:
        with store.read() as session:
            assert count(session, Notice) == summary["notices"] + summary["opinions"] + summary["records"]
    finally:
        store.close()


def test_some_ledger_verifications_find_a_mismatch_the_overview_flags(store: Store):
    generate_demo(store, parks=2, tenants_per_park=100, seed=3, today=TODAY)

    with store.read() as session:
        verifications = session.exec(select(Inspection).where(Inspection.template_id == "ledger_verification")).all()
        failed = session.exec(
            select(CheckResult).join(Inspection, CheckResult.inspection_id == Inspection.id)
            .where(Inspection.template_id == "ledger_verification", CheckResult.outcome == "fail")).all()
    assert verifications and failed
    assert all(result.observed_value for result in failed)  # what was seen, as the inspector types it
    from inspect_app.services.park_overview import county_overview

    assert county_overview(store, today=TODAY).county.flags.get("ledger_mismatch") == len(failed)


def test_the_demo_shows_every_document_kind_and_service_state(store: Store, keys_dir: Path):
    from exports.notice_pdf import read_embedded
    from exports.signing import TrustStore, verify_pdf
    from forms import china_time
    from inspect_app.services.demo import complete_demo_documents, demo_agency, issue_demo_notices
    from inspect_app.services.notice_service import list_notices

    generate_demo(store, **NOTICE_SIZE)
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    issued = issue_demo_notices(store, keys_dir=keys_dir, agency=demo_agency(), count=3, now=now)
    counts = complete_demo_documents(store, issued, keys_dir=keys_dir, agency=demo_agency(), now=now)
    assert counts == {"served": 2, "opinions": 1, "records": 1}
    rows = list_notices(store, today=china_time.local_date(now))
    kinds = sorted(row.kind for row in rows)
    assert kinds == ["inspection_record", *["rectification"] * 3, "reinspection_opinion"]
    newest = max((row for row in rows if row.kind == "rectification"), key=lambda row: row.issued_on)
    assert all(row.service is not None for row in rows if row.kind != "inspection_record" and row is not newest)
    trust = TrustStore.from_directory(keys_dir)
    with store.read() as session:
        for notice in session.exec(select(Notice)).all():
            result = verify_pdf(notice.pdf, trust, read_embedded)
            assert result.status == "authentic", (notice.number, result.reason)
