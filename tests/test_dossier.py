"""一企一档: a tenant's signed file — its text, its signature, photos, a park's batch, the CLI, the ledger key."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
from PIL import Image

from db.models import Inspection
from exports.signing import TrustStore, create_device_key, verify_pdf
from forms.i18n import t
from forms.tenant import TenantInput
from inspect_app.cli import main
from inspect_app.services import dossier
from inspect_app.services.attachments import attach_file
from inspect_app.services.hazards import record_reinspection
from inspect_app.services.inspections import (
    finish_inspection,
    load_inspection,
    pass_remaining,
    record_outcome,
    start_inspection,
)
from inspect_app.services.ledger import save_tenant
from inspect_app.services.notice_service import record_service
from inspect_app.services.notices import issue_rectification_notice
from tests.conftest import make_credit_code, tenant_values
from tests.test_notices import AGENCY, FIRE, FIVE, inspector  # noqa: F401  (a fixture)

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
GENERATED = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


@pytest.fixture
def keys(tmp_path, monkeypatch, store):
    directory = tmp_path / "keys"
    monkeypatch.setenv("PARKINSPECT_KEYS_DIR", str(directory))
    create_device_key(directory, common_name="李明 平湖市经济和信息化局", device_id=store.device_id)
    return directory


def inspect(store, park, tenant_id, inspector_id, on: datetime, codes=()) -> list[str]:
    """A finished inspection started at `on`, failing `codes`; the hazard ids."""
    inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant_id, template=FIRE,
                                     inspector_ids=[inspector_id])
    with store.transaction() as session:
        session.get(Inspection, inspection_id).started_at = on
    for result in load_inspection(store, inspection_id).results:
        if result.code in codes:
            record_outcome(store, result.id, "fail", note=f"{result.code} 现场发现问题")
    pass_remaining(store, inspection_id)
    return finish_inspection(store, inspection_id, today=on.date())


@pytest.fixture
def tenant_file(store, park, inspector, keys, tmp_path):  # noqa: F811
    """A tenant with three inspections (the third fails an item again after its hazard was closed),
    a notice served, a re-inspection, a renamed contact (history) and one photo whose file is gone."""
    from forms.rectification import RectificationInput
    from inspect_app.services.hazards import save_rectification


    tenant = save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(1)))
    save_tenant(store, park_id=park.id, tenant_id=tenant.id,
                data=TenantInput.model_validate(tenant_values(1, contact_name="王芳")))
    first = inspect(store, park, tenant.id, inspector.id, datetime(2026, 3, 10, 2, 0, tzinfo=UTC), ("B02", "D01"))
    for hazard_id in first:
        save_rectification(store, hazard_id, RectificationInput.model_validate(FIVE), today=date(2026, 3, 10))
    notice = issue_rectification_notice(store, hazard_ids=first, agency=AGENCY, keys_dir=keys,
                                        now=datetime(2026, 3, 10, 6, 0, tzinfo=UTC))
    record_service(store, notice.number, {"method": "直接送达", "recipient": "张伟", "served_on": "2026-03-11"},
                   today=date(2026, 3, 11))
    record_reinspection(store, first[0], outcome="rectified", on=date(2026, 3, 20), evidence_note="已清理",
                        new_deadline=None, inspector_ids=[inspector.id])
    inspect(store, park, tenant.id, inspector.id, datetime(2026, 6, 2, 2, 0, tzinfo=UTC))
    again = inspect(store, park, tenant.id, inspector.id, datetime(2026, 9, 15, 2, 0, tzinfo=UTC), ("B02",))
    photo = tmp_path / "现场.jpg"
    Image.new("RGB", (800, 600), (200, 40, 40)).save(photo)
    attach_file(store, path=photo, owner_table="hazard", owner_id=again[0], caption="通道堵塞")
    gone = tmp_path / "gone.png"
    Image.new("RGB", (50, 50), (0, 0, 200)).save(gone)
    sha = attach_file(store, path=gone, owner_table="hazard", owner_id=first[1])
    (store.path.parent / "attachments" / sha[:2] / f"{sha}.png").unlink()  # the stored file lost
    return tenant, notice, sha


def pdf_text(path) -> str:
    """The PDF's text without any white space (pdftotext spaces and wraps as the layout falls)."""
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(text.split())


def test_the_file_names_every_inspection_and_notice_and_verifies(store, park, keys, tenant_file, tmp_path):
    tenant, notice, missing_sha = tenant_file
    target = tmp_path / "档案.pdf"
    written = dossier.write_dossier(store, tenant.id, target, keys_dir=keys, now=GENERATED, agency="平湖市经济和信息化局")
    assert (written.inspections, written.notices) == (3, 1)
    text = pdf_text(target)
    for day in ("2026年3月10日", "2026年6月2日", "2026年9月15日"):
        assert day in text
    assert notice.number in text
    assert "张伟" in text and "13812345678" in text  # the 五落实's responsible person
    assert "直接送达" in text and "2026年3月11日" in text  # the service
    assert "王芳" in text and "张伟→王芳" in text  # the history of the contact
    assert "重复发现的问题" in text and "B02" in text
    assert f"照片文件缺失：{missing_sha[:12]}" in text  # a note, not a crash
    assert "第1页共" in text and "平湖市经济和信息化局" in text
    assert "八、重复发现的问题" in text

    trust = TrustStore.from_directory(keys)
    result = verify_pdf(target.read_bytes(), trust)
    assert result.status == "authentic", result.reason
    assert result.dossier["credit_code"] == tenant.credit_code
    assert (result.dossier["inspections"], result.dossier["notices"]) == (3, 1)

    data = bytearray(target.read_bytes())
    at = data.index(b"/Keywords")  # one byte of the signed document information
    data[at + 12] ^= 0x01
    assert verify_pdf(bytes(data), trust).status != "authentic"


def test_a_tenant_with_nothing_says_none_in_every_section(store, park, keys, tmp_path):
    tenant = save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(7)))
    target = tmp_path / "empty.pdf"
    dossier.write_dossier(store, tenant.id, target, keys_dir=keys, now=GENERATED)
    text = pdf_text(target)
    assert text.count("无") >= 6  # history has its creation; the quarters table is always there
    for heading in ("检查记录", "文书及送达", "照片", "重复发现的问题"):
        assert heading in text


def test_the_cli_in_english_writes_and_verify_says_what_it_is(store, park, keys, tenant_file, db_path, tmp_path,
                                                              capsys):
    tenant, _notice, _ = tenant_file
    target = tmp_path / "file.pdf"
    code = main(["--db", str(db_path), "--lang", "en", "dossier", "--tenant", tenant.credit_code, "-o", str(target)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Tenant file written" in out and "3 inspections, 1 documents" in out
    assert "3.Inspections" in pdf_text(target) and "8.Repeatfindings" in pdf_text(target)

    code = main(["--db", str(db_path), "--lang", "en", "verify", str(target)])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "tenant file (一企一档)" in out and tenant.credit_code in out and "3 inspections" in out

    code = main(["--db", str(db_path), "--lang", "en", "dossier", "--tenant", make_credit_code(99), "-o",
                 str(tmp_path / "x.pdf")])
    _, err = capsys.readouterr()
    assert code == 2 and "No tenant with credit code" in err and not (tmp_path / "x.pdf").exists()


def test_without_a_key_the_refusal_says_how_to_get_one(store, park, db_path, tmp_path, capsys):
    tenant = save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(3)))
    code = main(["--db", str(db_path), "dossier", "--tenant", tenant.credit_code, "-o", str(tmp_path / "a.pdf")])
    _, err = capsys.readouterr()
    assert code == 2 and "keys init" in err and not (tmp_path / "a.pdf").exists()


def test_a_park_batch_writes_one_sorted_file_per_tenant(store, park, keys, db_path, tmp_path, capsys):
    tenants = [save_tenant(store, park_id=park.id, data=TenantInput.model_validate(
        tenant_values(n, name=f'精密/机械:{n}*"有限公司" ')))for n in (3, 1, 2)]
    folder = tmp_path / "园区档案"
    code = main(["--db", str(db_path), "dossier", "--park", park.code, "-o", str(folder), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    files = sorted(p.name for p in folder.iterdir())
    assert files == [dossier.file_name(t) for t in sorted(tenants, key=lambda t: t.credit_code)]
    assert not any(c in name for name in files for c in '\\/:*?"<>| ')
    assert len(json.loads(out)["files"]) == 3


async def test_the_ledger_key_writes_the_file_and_says_where(store, park, keys, tmp_path, monkeypatch):
    from inspect_app.app import make_app
    from inspect_app.screens import ledger as ledger_screen
    from tests.conftest import TODAY
    from tests.pilot import settle
    from tests.test_tui import open_first_park, with_profile

    with_profile(store)
    tenant = save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(5)))
    monkeypatch.setattr(ledger_screen, "default_export_folder", lambda: tmp_path / "docs")  # where the key looks
    app = make_app(store, today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_first_park(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        messages = [n.message for n in app._notifications]
    path = tmp_path / "docs" / dossier.file_name(tenant)
    assert path.exists()
    assert t("tui.dossier.written", path=str(path)) in messages, messages
