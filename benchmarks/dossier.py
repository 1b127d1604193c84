"""一企一档: one tenant's signed file, for a tenant with 20 inspections; a table or JSON.

    python benchmarks/dossier.py [--inspections 20] [--count 5] [--warmup 1] [--json]

Metrics (docs/PERFORMANCE.md, section "Tenant file (一企一档)", has the figures):

dossier_ms          write_dossier as `parkinspect dossier --tenant` runs it: every query
                    (services/dossier.dossier_content), render (exports/dossier_pdf.py), PAdES
                    signature, the file written
dossier_read_ms     the queries alone (dossier_content)
pages               pages of the file

The tenant is made through the app's services in a scratch database: --inspections finished
inspections of the fire-safety checklist, two failed items each (so two hazards with complete
五落实), a rectification notice for every second one with its service, one re-inspection each,
eight quarters of figures and three photos. Figures are medians over --count runs after --warmup.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UNITS = {"dossier_ms": "ms", "dossier_read_ms": "ms", "pages": ""}
TARGETS = {"dossier_ms": "<= 1000"}
FIVE = {"responsible_person": "张伟", "responsible_phone": "13812345678", "measures": "清理通道，搬离纸箱",
        "funds_yuan": "2000", "deadline": "", "contingency_plan": "整改期间专人值守，配备灭火器"}


def build(folder: Path, inspections: int):
    """A store with one tenant as the module docstring says; (store, tenant id, keys folder)."""
    from PIL import Image

    from db import migrations
    from db.models import Inspection, Park
    from db.store import Store
    from exports.signing import create_device_key
    from forms.checklist import builtin_templates
    from forms.inspector import InspectorInput
    from forms.quarterly import QuarterlyInput
    from forms.rectification import RectificationInput
    from forms.tenant import TenantInput
    from inspect_app.services.attachments import attach_file
    from inspect_app.services.hazards import record_reinspection, save_rectification
    from inspect_app.services.inspections import (
        finish_inspection,
        load_inspection,
        pass_remaining,
        record_outcome,
        start_inspection,
    )
    from inspect_app.services.ledger import save_tenant
    from inspect_app.services.notice_service import record_service
    from inspect_app.services.notices import Agency, issue_rectification_notice
    from inspect_app.services.profile import save_profile
    from inspect_app.services.quarterly import save_quarter
    from inspect_app.services.risk_flags import Quarter

    path = folder / "bench.db"
    migrations.upgrade_to_head(path)
    store = Store.open(path)
    keys = folder / "keys"
    create_device_key(keys, common_name="基准 设备", device_id=store.device_id)
    me = save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))
    with store.transaction() as session:
        park = Park(code="PH-001", name="平湖经济开发区小微企业园", district="平湖市", street="当湖街道",
                    function_type="manufacturing", developer_type="government", land_area_mu=120.5,
                    floor_area_m2=86000)
        session.add(park)
    tenant = save_tenant(store, park_id=park.id, data=TenantInput.model_validate({
        "name": "平湖基准精密机械有限公司", "credit_code": "91330482000000019E", "contact_name": "张伟",
        "contact_phone": "13812345678", "building": "3号楼", "unit_no": "301", "rented_area_m2": "1200",
        "headcount": "35", "scale": "规下", "lease_use": "生产", "risk_points": "粉尘、动火作业"}))
    template = builtin_templates()["fire_safety"]
    agency = Agency(name="平湖市经济和信息化局", short="平经信安整")
    start = datetime(2022, 1, 10, 2, 0, tzinfo=UTC)
    photo = folder / "photo.jpg"
    for n in range(inspections):
        on = start + timedelta(days=45 * n)
        inspection_id = start_inspection(store, park_id=park.id, tenant_id=tenant.id, template=template,
                                         inspector_ids=[me.id])
        with store.transaction() as session:
            session.get(Inspection, inspection_id).started_at = on
        for result in load_inspection(store, inspection_id).results:
            if result.code in ("B02", "D01"):
                record_outcome(store, result.id, "fail", note=f"{result.code} 现场发现问题")
        pass_remaining(store, inspection_id)
        hazards = finish_inspection(store, inspection_id, today=on.date())
        for hazard_id in hazards:
            five = {**FIVE, "deadline": (on.date() + timedelta(days=14)).isoformat()}
            save_rectification(store, hazard_id, RectificationInput.model_validate(five), today=on.date())
        if n % 2 == 0:
            notice = issue_rectification_notice(store, hazard_ids=hazards, agency=agency, keys_dir=keys,
                                                now=on + timedelta(hours=4))
            record_service(store, notice.number, {"method": "直接送达", "recipient": "张伟",
                                                  "served_on": (on.date() + timedelta(days=1)).isoformat()},
                           today=on.date() + timedelta(days=1))
        record_reinspection(store, hazards[0], outcome="rectified", on=on.date() + timedelta(days=10),
                            evidence_note="已整改", new_deadline=None, inspector_ids=[me.id])
        if n < 3:
            Image.new("RGB", (1600, 1200), (40 * n, 90, 160)).save(photo)
            attach_file(store, path=photo, owner_table="hazard", owner_id=hazards[1], caption=f"照片{n + 1}")
    from forms import china_time  # after ROOT is on sys.path

    last = Quarter.last_complete(china_time.today())
    for k in range(8):
        q = last.shift(-k)
        save_quarter(store, tenant_id=tenant.id, quarter=(q.year, q.quarter), data=QuarterlyInput.model_validate(
            {"output_value_wan": 300 + k, "electricity_kwh": 50000, "water_t": 800, "tax_wan": 12}))
    return store, tenant.id, keys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inspections", type=int, default=20)
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from inspect_app.services.dossier import dossier_content, write_dossier

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        os.environ.setdefault("PARKINSPECT_KEYS_DIR", str(folder / "keys"))
        store, tenant_id, keys = build(folder, args.inspections)
        target = folder / "dossier.pdf"
        whole, read = [], []
        for run in range(args.warmup + args.count):
            began = time.perf_counter()
            dossier_content(store, tenant_id, agency="平湖市经济和信息化局")
            middle = time.perf_counter()
            write_dossier(store, tenant_id, target, keys_dir=keys, agency="平湖市经济和信息化局")
            ended = time.perf_counter()
            if run >= args.warmup:
                read.append((middle - began) * 1000)
                whole.append((ended - middle) * 1000)
        pages = target.read_bytes().count(b"/Type /Page\n") or target.read_bytes().count(b"/Type /Page ")
        store.close()
    figures = {"dossier_ms": round(statistics.median(whole), 1), "dossier_read_ms": round(statistics.median(read), 1),
               "pages": pages}
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name:<18} {value:>10} {UNITS[name]:<3} {TARGETS.get(name, '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
