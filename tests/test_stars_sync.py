"""Typed star scores over sync, through a real hub on loopback (SQLite and PostgreSQL): a score
typed on one laptop reaches another with its evidence; a score out of range, written past the
form by a hostile or broken device, is refused by the hub and reaches no one."""

from __future__ import annotations

from sqlmodel import select

from db.models import RejectedChange, StarScore
from inspect_app.hub.storage import enrol_device
from inspect_app.services.stars import save_star_score
from inspect_app.sync.client import sync_once
from tests.test_hub import add_park
from tests.test_plans_sync import hub  # noqa: F401 - fixture: the hub on loopback, on SQLite and PostgreSQL


def scores(store) -> dict[str, tuple[float, str | None]]:
    with store.read() as session:
        return {row.item_code: (row.points, row.evidence) for row in session.exec(select(StarScore))}


def test_a_typed_score_syncs_and_an_out_of_range_one_is_refused(hub, devices):  # noqa: F811
    first, second = devices.new("first"), devices.new("second")
    tokens = {name: enrol_device(hub.state.engine, name)[1] for name in ("first", "second")}
    park = add_park(first, "PH-001")["park"]
    assert sync_once(first, hub.state.base, tokens["first"]).rejected == 0
    sync_once(second, hub.state.base, tokens["second"])

    save_star_score(first, park_id=park, year=2026, item_code="S1", points="6", evidence="配套设施照片")
    assert sync_once(first, hub.state.base, tokens["first"]).rejected == 0
    sync_once(second, hub.state.base, tokens["second"])
    assert scores(second) == {"S1": (6.0, "配套设施照片")}

    # Past the form: a score above any item's maximum, and the synced one changed to below zero.
    with first.transaction() as session:
        session.add(StarScore(park_id=park, year=2026, item_code="I1", points=150.0, evidence="表"))
        row = session.exec(select(StarScore).where(StarScore.item_code == "S1")).one()
        row.points = -1.0
        session.add(row)
    summary = sync_once(first, hub.state.base, tokens["first"])
    assert summary.rejected == 2
    with first.read() as session:
        refused = session.exec(select(RejectedChange)).all()
    assert sorted(r.code for r in refused) == ["bad_value", "bad_value"]
    assert all("points" in r.message for r in refused)
    sync_once(second, hub.state.base, tokens["second"])
    assert scores(second) == {"S1": (6.0, "配套设施照片")}  # neither reached the other laptop
