"""The hub's change log stored compressed (hub/log_codec.py): what a device pushed is what another
device pulls, byte for byte as JSON, while the hub keeps it packed; the dictionary never changes."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest
from sqlalchemy import select, type_coerce
from sqlalchemy.types import LargeBinary

from inspect_app.hub.app import create_app
from inspect_app.hub.log_codec import (
    SNAPSHOT_VERSION,
    VERSION,
    PackedValueError,
    pack,
    pack_text,
    unpack,
    unpack_text,
    unpack_utf8,
)
from inspect_app.hub.log_dictionary import DICTIONARY_V1, DICTIONARY_V2
from inspect_app.hub.storage import change, enrol_device
from tests.hub_server import serve
from tests.test_hub import API, add_park, open_device, outbox, rename_tenant

# Stored payloads are only readable with the exact dictionary they were written with.
DICTIONARY_V1_SHA256 = "6c8475b607a73d88f844b1b5bc3e4bce58d3243d4aa9bd68b1b4a75e277d8c46"


DICTIONARY_V2_SHA256 = "7001a19bf9a9f76068f75761348491bd1968e81bb4e98acb0469ff824b4b5b77"


def test_the_dictionaries_never_change():
    assert hashlib.sha256(DICTIONARY_V1).hexdigest() == DICTIONARY_V1_SHA256
    assert hashlib.sha256(DICTIONARY_V2).hexdigest() == DICTIONARY_V2_SHA256
    assert (VERSION, SNAPSHOT_VERSION) == (1, 2)


@pytest.mark.parametrize("version", [1, 2])
def test_a_packed_text_reads_back_as_the_same_text_whatever_its_dictionary(version):
    text = '["0192-a","1764150000000.00001.dev-a",{},{},["0192-a","平湖市鼎华电器有限公司",null,false,"🔥\\u0000"]]'
    stored = pack_text(text, version)
    assert stored[0] == version and unpack_text(stored) == text and unpack_utf8(stored) == text.encode()
    assert len(stored) < len(text.encode())


@pytest.mark.parametrize("value", [
    {}, [], None, 0, "", {"name": "平湖市鼎华电器有限公司", "headcount": 54, "rented_area_m2": 1410.5,
                        "deleted": False, "notes": None, "inspector_ids": ["a", "b"], "after": {"x": [1, {"y": 2}]}},
    {"id": "x" * 5000, "emoji": "🔥", "escape": "\"\\\n\u0000"},
])
def test_a_packed_value_reads_back_as_the_same_json(value):
    stored = pack(value)
    assert stored[0] == VERSION
    assert unpack(stored) == value
    assert pack(value) == stored  # deterministic: a backup copy or a migration writes the same bytes


def test_a_check_result_is_kept_in_a_fraction_of_its_json():
    payload = {"id": "01a24d50-d0c3-78b5-8dfb-cc4330ff1345", "hlc": "1796593472011.00000.0408bf46def6587a",
               "origin_device": "0408bf46def6587a", "deleted": False,
               "created_at": "2026-12-06T21:44:31.683838+00:00", "updated_at": "2026-12-06T21:44:32.012065+00:00",
               "inspection_id": "01a24d50-d0c3-7daf-ad1e-531631fc9508", "item_code": "A01", "position": 0,
               "category": "使用性质", "item_text": "未擅自改变厂房、仓库使用性质", "default_severity": "general",
               "major_possible": True, "outcome": "na", "note": None, "observed_value": None}
    as_json = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert len(pack(payload)) < len(as_json) / 3


@pytest.mark.parametrize("stored", [b"", b"\x03abc", b"\x01not deflate at all", pack({"a": 1})[:-3],
                                    b'{"a": 1}'])
def test_what_pack_did_not_write_is_refused_with_a_reason(stored):
    with pytest.raises(PackedValueError):
        unpack(stored)


def test_devices_pull_exactly_what_was_pushed_while_the_hub_keeps_it_packed(hub_url, tmp_path):
    app = create_app(hub_url)
    laptop = open_device(tmp_path, "a")
    token_a = enrol_device(app.state.engine, "laptop-a")[1]
    token_b = enrol_device(app.state.engine, "laptop-b")[1]
    ids = add_park(laptop, "PH-001")
    rename_tenant(laptop, ids["tenant"], "平湖市新名称有限公司")
    sent = outbox(laptop)
    sent[-1]["base"] = {"name": sent[0]["hlc"]}  # an update written over a base: kept and served too
    try:
        with serve(app) as base:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token_a}"}) as http:
                assert http.post(f"{API}/push", json={"changes": sent}).json()["rejected"] == []
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token_b}"}) as http:
                pulled = http.get(f"{API}/changes", params={"limit": 1000}).json()["changes"]
                row_changes = http.post(f"{API}/snapshot/changes",
                                        json={"table": "tenant", "row_ids": [ids["tenant"]]}).json()["changes"]
        assert [(c["payload"], c["base"]) for c in pulled] == [(c["payload"], c["base"]) for c in sent]
        tenant_changes = [c for c in sent if c["table"] == "tenant"]
        assert [(c["payload"], c["base"]) for c in row_changes] == [(c["payload"], c["base"]) for c in tenant_changes]
        with app.state.engine.connect() as conn:
            stored = conn.execute(select(type_coerce(change.c.payload, LargeBinary), change.c.row_id)
                                  .order_by(change.c.seq)).all()
        for (packed, _), wire in zip(stored, sent, strict=True):
            as_json = json.dumps(wire["payload"], ensure_ascii=False, separators=(",", ":")).encode()
            assert bytes(packed)[0] == VERSION and len(packed) < len(as_json)
    finally:
        app.state.engine.dispose()
        laptop.close()
