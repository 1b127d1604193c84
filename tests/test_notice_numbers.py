"""Notice numbers that never collide and never stop a device: where the block comes from (by hand,
the hub, provisional), the hub's blocks over real HTTP, and a number already held skipped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from db import notice_block
from db.errors import UserError
from db.models import Notice, Park
from exports.signing import create_device_key
from forms.inspector import InspectorInput
from inspect_app.hub.storage import enrol_device
from inspect_app.services.notices import (
    block_and_origin,
    issue_rectification_notice,
    next_number_preview,
    set_device_block,
)
from inspect_app.services.profile import save_profile
from inspect_app.sync.bundle import export_bundle, import_bundle
from inspect_app.sync.client import sync_once
from tests.test_notices import AGENCY, NOW, hazards_of_a_tenant

KEYS_SINCE = datetime(2026, 1, 1, tzinfo=UTC)  # signing keys are valid from then on (notices check it)

def ready_to_issue(store, tmp_path, name: str):
    """An inspector profile and a signing key on this device: (inspector, keys folder)."""
    keys = tmp_path / f"keys-{name}"
    create_device_key(keys, common_name=f"设备 {name}", device_id=store.device_id,
                      now=KEYS_SINCE)  # valid before the fixed issue dates
    inspector = save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))
    return inspector, keys


def add_park(store) -> Park:
    with store.transaction() as session:
        park = Park(code="PH-001", name="平湖经济开发区小微企业园", district="平湖市", street="当湖街道",
                    function_type="manufacturing", developer_type="government", land_area_mu=120.5,
                    floor_area_m2=86000)
        session.add(park)
    return park


def issue(store, park, inspector, keys, n: int) -> str:
    ids = hazards_of_a_tenant(store, park, inspector, n, codes=("B02",))
    return issue_rectification_notice(store, hazard_ids=ids, agency=AGENCY, keys_dir=keys, now=NOW).number


def numbers(store) -> list[str]:
    with store.read() as session:
        return sorted(session.exec(select(Notice.number)).all())


def test_a_device_never_synced_has_a_long_provisional_block_from_its_whole_id(devices):
    a, b = devices.new("a"), devices.new("b")
    block, origin = block_and_origin(a)
    assert origin == notice_block.PROVISIONAL and block == notice_block.provisional_block(a.device_id)
    assert len(block) == 8 and block.startswith("P") and block != block_and_origin(b)[0]
    # The whole id counts: two ids alike in their first characters get different blocks.
    assert notice_block.provisional_block("abc0000000000000") != notice_block.provisional_block("abc0000000000001")
    # Eight characters: never one a person can set (2–6) or the hub gives (H + digits).
    with pytest.raises(UserError):
        set_device_block(a, block)


def test_a_block_set_by_hand_wins_and_the_hubs_form_is_reserved(store):
    with store.connect() as conn:
        assert notice_block.adopt_hub_block(conn, "H004")
        assert not notice_block.adopt_hub_block(conn, "../x")  # not a hub block: ignored
    assert block_and_origin(store) == ("H004", notice_block.HUB)
    with pytest.raises(UserError) as refused:
        set_device_block(store, "h012")
    assert refused.value.key == "errors.device_block_reserved" and "H012" in refused.value.message()
    set_device_block(store, "a07")
    assert block_and_origin(store) == ("A07", notice_block.HAND)


def test_an_imported_notice_holding_the_next_number_does_not_stop_issuing(devices, tmp_path):
    """Two devices set the same block by hand; B imports A's bundle with A's 0001, then issues:
    before, every issue on B failed with UNIQUE constraint failed: notice.number."""
    a, b = devices.new("a"), devices.new("b")
    for store in (a, b):
        set_device_block(store, "A07")
    inspector_a, keys_a = ready_to_issue(a, tmp_path, "a")
    park = add_park(a)
    first = issue(a, park, inspector_a, keys_a, 1)
    export_bundle(a, tmp_path / "a.zip")
    import_bundle(b, tmp_path / "a.zip")
    inspector_b, keys_b = ready_to_issue(b, tmp_path, "b")
    assert next_number_preview(b, AGENCY, NOW.year).endswith("A07-0002号")
    second = issue(b, park, inspector_b, keys_b, 2)
    third = issue(b, park, inspector_b, keys_b, 3)
    assert first.endswith("A07-0001号") and second.endswith("A07-0002号") and third.endswith("A07-0003号")
    assert numbers(b) == sorted([first, second, third])
    # A's paper keeps its number on B: nothing was renumbered.
    with b.read() as session:
        assert session.exec(select(Notice.origin_device).where(Notice.number == first)).one() == a.device_id


def test_a_notice_holding_a_number_under_another_block_field_is_skipped_too(store, park, tmp_path):
    """A damaged or hostile row whose number string is this device's next one, filed under another block."""
    set_device_block(store, "A07")
    inspector, keys = ready_to_issue(store, tmp_path, "a")
    taken = issue(store, park, inspector, keys, 1).replace("A07-0001", "A07-0002")
    with store.connect() as conn:  # bypasses the ORM's append-only guard, as a damaged file might
        conn.execute("UPDATE notice SET number = ?, device_block = 'Z99'", (taken,))
    assert issue(store, park, inspector, keys, 2).endswith("A07-0003号")


def test_two_enrolled_devices_get_different_hub_blocks_and_both_issue_over_loopback(served_hub, devices, tmp_path):
    app, url = served_hub
    a, b = devices.new("a"), devices.new("b")
    (device_a, token_a), (device_b, token_b) = (enrol_device(app.state.engine, name) for name in ("a", "b"))
    assert (device_a.notice_block, device_b.notice_block) == ("H001", "H002")
    inspector_a, keys_a = ready_to_issue(a, tmp_path, "a")
    park = add_park(a)
    provisional = issue(a, park, inspector_a, keys_a, 1)  # before the first sync
    assert "〔2026〕第P" in provisional
    sync_once(a, url + "/", token_a)
    sync_once(b, url + "/", token_b)
    assert block_and_origin(a) == ("H001", notice_block.HUB) and block_and_origin(b) == ("H002", notice_block.HUB)
    inspector_b, keys_b = ready_to_issue(b, tmp_path, "b")
    from_a = issue(a, park, inspector_a, keys_a, 2)
    from_b = issue(b, park, inspector_b, keys_b, 3)
    assert from_a.endswith("H001-0001号") and from_b.endswith("H002-0001号")
    for store, token in ((a, token_a), (b, token_b), (a, token_a)):
        summary = sync_once(store, url + "/", token)
        assert summary.rejected == 0
    assert numbers(a) == numbers(b) == sorted([provisional, from_a, from_b])
    # A block set by hand on the laptop still wins over the hub's.
    set_device_block(b, "B12")
    sync_once(b, url + "/", token_b)
    assert block_and_origin(b) == ("B12", notice_block.HAND)
