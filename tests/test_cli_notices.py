"""`parkinspect notices export|print|block` and `verify` on what was exported."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime

import pytest

from exports.signing import create_device_key
from inspect_app.cli import main
from inspect_app.services.notices import issue_rectification_notice
from tests.test_notices import AGENCY, NOW, hazards_of_a_tenant

KEYS_SINCE = datetime(2026, 1, 1, tzinfo=UTC)  # signing keys are valid from then on (notices check it)

@pytest.fixture
def issued(store, park, tmp_path, monkeypatch):
    from forms.inspector import InspectorInput
    from inspect_app.services.profile import save_profile

    keys = tmp_path / "keys"
    monkeypatch.setenv("PARKINSPECT_KEYS_DIR", str(keys))
    create_device_key(keys, common_name="李明 平湖市经济和信息化局", device_id=store.device_id,
                      now=KEYS_SINCE)  # valid before the fixed issue dates
    me = save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))
    numbers = []
    for n in (1, 2):
        ids = hazards_of_a_tenant(store, park, me, n, codes=("B02",))
        numbers.append(issue_rectification_notice(store, hazard_ids=ids, agency=AGENCY, keys_dir=keys, now=NOW).number)
    return numbers


def run(capsys, db_path, *args):
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_export_all_then_verify_each_file(issued, db_path, tmp_path, capsys):
    code, out, _ = run(capsys, db_path, "notices", "export", "-o", str(tmp_path / "out"), "--all")
    assert code == 0 and "2" in out
    files = sorted((tmp_path / "out").glob("*.pdf"))
    assert len(files) == 2
    for path in files:
        code, out, _ = run(capsys, db_path, "verify", str(path))
        assert code == 0, out
        assert any(number in out for number in issued)


def test_export_by_number_and_an_unknown_number(issued, db_path, tmp_path, capsys):
    code, _, _ = run(capsys, db_path, "notices", "export", "-o", str(tmp_path / "one"), issued[0])
    assert code == 0 and len(list((tmp_path / "one").glob("*.pdf"))) == 1
    code, _, err = run(capsys, db_path, "notices", "export", "-o", str(tmp_path / "none"), "平经信安整〔2026〕Z99-0001号")
    assert code == 2 and "Z99-0001" in err


def test_print_uses_lp_and_says_so_when_there_is_no_printer(issued, db_path, tmp_path, capsys, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_lp = bin_dir / "lp"
    fake_lp.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path / 'printed'}\n")
    fake_lp.chmod(fake_lp.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    code, out, _ = run(capsys, db_path, "notices", "print", issued[0])
    assert code == 0 and (tmp_path / "printed").read_text().strip().endswith(".pdf")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, _, err = run(capsys, db_path, "--lang", "en", "notices", "print", issued[0])
    assert code == 2 and "lp" in err


def test_device_block_can_be_set_and_is_validated(store, db_path, capsys):
    code, out, _ = run(capsys, db_path, "--lang", "en", "notices", "block")
    assert code == 0 and "provisional" in out  # never synced, nothing set by hand
    code, out, _ = run(capsys, db_path, "notices", "block", "a07")
    assert code == 0 and "A07" in out and "手动设置" in out
    code, out, _ = run(capsys, db_path, "notices", "block")
    assert code == 0 and "A07" in out
    code, _, err = run(capsys, db_path, "notices", "block", "7-x")
    assert code == 2 and err


def test_a_notice_with_one_byte_changed_is_not_authentic(issued, db_path, tmp_path, capsys):
    run(capsys, db_path, "notices", "export", "-o", str(tmp_path / "out"), issued[0])
    [path] = (tmp_path / "out").glob("*.pdf")
    data = bytearray(path.read_bytes())
    middle = len(data) // 3
    data[middle] ^= 0x01
    path.write_bytes(bytes(data))
    code, out, _ = run(capsys, db_path, "verify", str(path))
    assert code in (1, 2) and out.strip()  # altered: never authentic
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.7\n garbage")
    assert run(capsys, db_path, "verify", str(garbage))[0] == 2


def test_the_qr_of_one_notice_does_not_vouch_for_another(issued, store, db_path, capsys):
    from sqlmodel import select

    from db.models import Notice

    with store.read() as session:
        first, second = session.exec(select(Notice).order_by(Notice.sequence)).all()[:2]
    code, out, _ = run(capsys, db_path, "verify", "--qr", first.signature)
    assert code == 0 and first.number in out
    from exports.signing import TrustStore, verify_qr
    from inspect_app.config import keys_dir

    result = verify_qr(first.signature, TrustStore.from_directory(keys_dir()), second.content_json.encode())
    assert result.status == "not_authentic"
