"""What the crash worker needs before the first kill: a database with an inspector, two parks, a
signing key and a device block, two ledger files, a page stream from another device and a bundle.

Everything is made through the real services, in the parent (never killed), once per run.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from pathlib import Path

from db.models import Park
from db.store import Store
from exports.signing import create_device_key
from forms.inspector import InspectorInput
from forms.tenant import TenantInput
from inspect_app.services.ledger import save_tenant
from inspect_app.services.ledger_export import export_ledger
from inspect_app.services.notices import set_device_block
from inspect_app.services.profile import save_profile
from inspect_app.sync.bundle import export_bundle
from inspect_app.sync.changes import outbox_page
from tests.conftest import tenant_values
from tests.new_files import new_device_file

KEYS_SINCE = datetime(2026, 1, 1, tzinfo=UTC)  # signing keys are valid from then on (notices check it)

MAIN_PARK = "PH-001"
IMPORT_PARK = "PH-IMP"
BLOCK = "A07"
HUB = "https://hub.crash.test"
IMPORT_TENANTS = 12
REMOTE_TENANTS = 200


@dataclass(frozen=True)
class Fixtures:
    db: Path
    keys: Path
    import_a: Path
    import_b: Path
    pull_pages: Path  # JSON list of wire changes with hub `seq` 1..n (another device's outbox)
    bundle: Path

    def args(self) -> list[str]:
        return [str(self.db), str(self.keys), str(self.import_a), str(self.import_b), str(self.pull_pages),
                str(self.bundle)]


def add_park(store: Store, code: str, name: str) -> Park:
    with store.transaction() as session:
        park = Park(code=code, name=name, district="平湖市", street="当湖街道", function_type="manufacturing",
                    developer_type="government", star_rating=4, provincially_certified=True, land_area_mu=120.5,
                    floor_area_m2=86000, property_company="平湖市开发区物业管理有限公司")
        session.add(park)
    return park


def copy_of(fixtures: Fixtures, folder: Path) -> Fixtures:
    """The prepared folder copied to `folder`: preparing takes a second or two, copying milliseconds
    (tests that each want a fresh office take a copy of one prepared per module)."""
    source = fixtures.db.parent
    shutil.copytree(source, folder)
    return Fixtures(*(folder / path.relative_to(source) for path in astuple(fixtures)))


def prepare(folder: Path) -> Fixtures:
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "parkinspect.db"
    keys = folder / "keys"
    store = Store.open(new_device_file(db))
    try:
        save_profile(store, InspectorInput(name="李明", id_number="33048220190012", agency="平湖市经济和信息化局"))
        set_device_block(store, BLOCK)
        park = add_park(store, MAIN_PARK, "平湖经济开发区小微企业园")
        add_park(store, IMPORT_PARK, "独山港小微企业园")
        for n in range(1, 4):
            save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(n)))
        create_device_key(keys, common_name="李明 平湖市经济和信息化局", device_id=store.device_id,
                      now=KEYS_SINCE)  # valid before the fixed issue dates
    finally:
        store.close()
    import_a, import_b = _ledger_files(folder)
    return Fixtures(db, keys, import_a, import_b, _remote_pages(folder), _bundle(folder))


def _ledger_files(folder: Path) -> tuple[Path, Path]:
    """The same tenants twice: file B changes every tenant's contact phone and headcount."""
    store = Store.open(new_device_file(folder / "ledger-source.db"))
    try:
        park = add_park(store, IMPORT_PARK, "独山港小微企业园")
        tenants = [save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(500 + n)))
                   for n in range(IMPORT_TENANTS)]
        import_a = folder / "ledger-a.csv"
        export_ledger(store, import_a, park_code=IMPORT_PARK)
        for n, tenant in enumerate(tenants):
            data = TenantInput.model_validate(tenant_values(500 + n, contact_phone=f"1390000{n:04d}", headcount="77"))
            save_tenant(store, park_id=park.id, data=data, tenant_id=tenant.id)
        import_b = folder / "ledger-b.csv"
        export_ledger(store, import_b, park_code=IMPORT_PARK)
    finally:
        store.close()
    return import_a, import_b


def _remote_pages(folder: Path) -> Path:
    """Another device's park, tenants and edits as the hub would serve them (seq 1..n)."""
    store = Store.open(new_device_file(folder / "remote.db"))
    try:
        park = add_park(store, "PH-R01", "新埭镇小微企业园")
        for n in range(REMOTE_TENANTS):
            tenant = save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(700 + n)))
            if n % 3 == 0:
                data = TenantInput.model_validate(tenant_values(700 + n, headcount=str(10 + n)))
                save_tenant(store, park_id=park.id, data=data, tenant_id=tenant.id)
        changes = outbox_page(store, 0, 10**6)
    finally:
        store.close()
    for seq, change in enumerate(changes, start=1):
        change["seq"] = seq
    path = folder / "pull.json"
    path.write_text(json.dumps(changes, ensure_ascii=False), encoding="utf-8")
    return path


def _bundle(folder: Path) -> Path:
    store = Store.open(new_device_file(folder / "bundle-source.db"))
    try:
        park = add_park(store, "PH-B01", "广陈镇小微企业园")
        for n in range(10):
            save_tenant(store, park_id=park.id, data=TenantInput.model_validate(tenant_values(900 + n)))
        path = folder / "office.zip"
        export_bundle(store, path)
    finally:
        store.close()
    return path
