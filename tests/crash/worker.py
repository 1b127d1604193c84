"""The process the crash harness kills: a stream of writes through the real services.

    python -m tests.crash.worker JOURNAL SEED DB KEYS LEDGER_A LEDGER_B PULL_JSON BUNDLE [MAX_OPS]

Before each service call it appends an *intent* line to the journal, after the call returns an
*ack* line (what was saved: ids, values, the notice number) — "the UI reported it saved". Both are
flushed and fsynced before going on, so the parent reads exactly what was reported. The writes:
tenant added / edited, an inspection step by step (start, failed items, pass the rest, finish into
hazards), 五落实 saved, a notice issued (numbered, PDF rendered and signed), a re-inspection of a
notified hazard, a ledger import, a sync pull page (apply_page), a bundle import, a photo of a hazard (file, then row and link).

It prints "ready" once the store is open, then writes until killed (or MAX_OPS writes are done).
"""

from __future__ import annotations

import json
import os
import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from db.errors import UserError
from db.store import Store
from forms.checklist import builtin_templates
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
from inspect_app.services.ledger import get_tenant, save_tenant, tenant_as_input
from inspect_app.services.ledger_import import import_ledger
from inspect_app.services.notices import Agency, issue_rectification_notice
from inspect_app.sync.apply import apply_page
from inspect_app.sync.bundle import import_bundle
from inspect_app.sync.changes import push_cursor
from tests.conftest import make_credit_code, tenant_values
from tests.crash.setup import HUB, IMPORT_PARK, MAIN_PARK
from tests.images import image_bytes

FIRE = builtin_templates()["fire_safety"]
AGENCY = Agency(name="平湖市经济和信息化局", short="平经信安整")
FIVE = {"responsible_person": "张伟", "responsible_phone": "13812345678", "measures": "清理通道，搬离纸箱",
        "funds_yuan": "0", "funds_reason": "自行整改，无需资金", "deadline": (date.today() + timedelta(days=30)).isoformat(),  # never in the past
        "contingency_plan": "整改期间专人值守，配备灭火器"}
TENANT_FIELDS = ("name", "credit_code", "contact_phone", "headcount", "rented_area_m2")
WEIGHTS = {"tenant_add": 3, "tenant_edit": 4, "inspect": 8, "five": 3, "notice": 2, "reinspect": 1,
           "import_ledger": 1, "pull": 3, "import_bundle": 0.3, "photo": 1}


class Journal:
    def __init__(self, path: Path):
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, entry: dict) -> None:
        os.write(self.fd, (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
        os.fsync(self.fd)


class Worker:
    def __init__(self, journal: Journal, rng: random.Random, store: Store, keys: Path, ledgers: dict[str, Path],
                 pull: list[dict], bundle: Path):
        self.journal, self.rng, self.store, self.keys = journal, rng, store, keys
        self.ledgers, self.pull_changes, self.bundle = ledgers, pull, bundle
        self.park_id = self._one("SELECT id FROM park WHERE code = ?", MAIN_PARK)

    def _one(self, sql: str, *params):
        with self.store.connect() as conn:
            row = conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def _all(self, sql: str, *params) -> list[tuple]:
        with self.store.connect() as conn:
            return conn.execute(sql, params).fetchall()

    def step(self) -> None:
        name = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        try:
            getattr(self, name)()
        except UserError as refused:  # a refusal writes nothing: told, not acknowledged
            self.journal.write({"refused": name, "key": refused.key})

    # --- the writes ---------------------------------------------------------------------------

    def tenant_add(self) -> None:
        n = self.rng.randrange(10_000, 99_999_999)
        values = tenant_values(n, credit_code=make_credit_code(n), headcount=str(self.rng.randint(1, 500)))
        data = TenantInput.model_validate(values)
        self.journal.write({"intent": "tenant_add", "credit_code": data.credit_code})
        tenant = save_tenant(self.store, park_id=self.park_id, data=data)
        self.journal.write({"ack": "tenant_add", "id": tenant.id, "fields": _fields(tenant)})

    def tenant_edit(self) -> None:
        ids = [r[0] for r in self._all("SELECT id FROM tenant WHERE park_id = ? AND deleted = 0 ORDER BY id",
                                       self.park_id)]
        tenant = get_tenant(self.store, self.rng.choice(ids))
        values = {**tenant_as_input(tenant), "contact_phone": f"138{self.rng.randrange(10**8):08d}",
                  "headcount": self.rng.randint(1, 500)}
        data = TenantInput.model_validate(values)
        self.journal.write({"intent": "tenant_edit", "id": tenant.id,
                            "fields": {"contact_phone": data.contact_phone, "headcount": data.headcount}})
        saved = save_tenant(self.store, park_id=self.park_id, data=data, tenant_id=tenant.id)
        self.journal.write({"ack": "tenant_edit", "id": saved.id, "fields": _fields(saved)})

    def inspect(self) -> None:
        """One step of an inspection: start one, or go on with the one left open (resumed after a kill)."""
        open_id = self._one("SELECT id FROM inspection WHERE park_id = ? AND status = 'in_progress' "
                            "ORDER BY started_at LIMIT 1", self.park_id)
        if open_id is None:
            tenant_id = self.rng.choice([r[0] for r in self._all(
                "SELECT id FROM tenant WHERE park_id = ? AND deleted = 0", self.park_id)])
            self.journal.write({"intent": "start", "tenant_id": tenant_id})
            inspector_id = self._one("SELECT value FROM local_setting WHERE key = 'inspector_id'")
            inspection_id = start_inspection(self.store, park_id=self.park_id, tenant_id=tenant_id, template=FIRE,
                                             inspector_ids=[inspector_id])
            self.journal.write({"ack": "start", "inspection_id": inspection_id, "items": len(FIRE.items)})
            return
        view = load_inspection(self.store, open_id)
        wanted_failures = 1 + int(open_id[-1], 16) % 2
        unanswered = [r for r in view.results if r.outcome is None]
        if view.failed < wanted_failures and unanswered:
            result = self.rng.choice(unanswered)
            note = f"{result.code} 现场发现问题 {self.rng.randrange(1000)}"
            self.journal.write({"intent": "outcome", "result_id": result.id})
            record_outcome(self.store, result.id, "fail", note=note)
            self.journal.write({"ack": "outcome", "result_id": result.id, "outcome": "fail", "note": note})
        elif unanswered:
            self.journal.write({"intent": "pass_rest", "inspection_id": open_id})
            passed = pass_remaining(self.store, open_id)
            self.journal.write({"ack": "pass_rest", "inspection_id": open_id, "passed": passed})
        else:
            self.journal.write({"intent": "finish", "inspection_id": open_id})
            hazard_ids = finish_inspection(self.store, open_id, today=date.today())
            self.journal.write({"ack": "finish", "inspection_id": open_id, "hazard_ids": hazard_ids})

    def five(self) -> None:
        candidates = [r[0] for r in self._all(
            "SELECT h.id FROM hazard h JOIN rectification_item i ON i.hazard_id = h.id "
            "AND i.deleted = 0 AND i.status != 'superseded' WHERE h.notice_id IS NULL "
            "AND (i.responsible_person IS NULL OR coalesce(i.contingency_plan, '') = '') ORDER BY h.id")]
        if not candidates:
            return
        hazard_id = self.rng.choice(candidates)
        complete = self.rng.random() < 0.8
        values = FIVE if complete else {**FIVE, "contingency_plan": ""}
        data = RectificationInput.model_validate(values)
        self.journal.write({"intent": "five", "hazard_id": hazard_id, "complete": complete})
        item_id = save_rectification(self.store, hazard_id, data)
        self.journal.write({"ack": "five", "hazard_id": hazard_id, "item_id": item_id,
                            "contingency_plan": data.contingency_plan or None})

    def notice(self) -> None:
        rows = self._all(
            "SELECT coalesce(h.tenant_id, ''), h.id FROM hazard h JOIN rectification_item i ON i.hazard_id = h.id "
            "AND i.deleted = 0 AND i.status = 'open' WHERE h.notice_id IS NULL AND h.park_id = ? "
            "AND i.responsible_person IS NOT NULL AND coalesce(i.contingency_plan, '') != '' ORDER BY h.id",
            self.park_id)
        by_tenant: dict[str, list[str]] = {}
        for tenant_id, hazard_id in rows:
            by_tenant.setdefault(tenant_id, []).append(hazard_id)
        if not by_tenant:
            return
        hazard_ids = by_tenant[self.rng.choice(sorted(by_tenant))]
        self.journal.write({"intent": "notice", "hazard_ids": hazard_ids})
        issued = issue_rectification_notice(self.store, hazard_ids=hazard_ids, agency=AGENCY, keys_dir=self.keys,
                                            now=datetime.now(UTC))
        self.journal.write({"ack": "notice", "id": issued.id, "number": issued.number,
                            "pdf_sha256": issued.pdf_sha256, "hazard_ids": hazard_ids})

    def reinspect(self) -> None:
        candidates = [r[0] for r in self._all(
            "SELECT h.id FROM hazard h JOIN rectification_item i ON i.hazard_id = h.id "
            "AND i.deleted = 0 AND i.status = 'open' WHERE h.notice_id IS NOT NULL ORDER BY h.id")]
        if not candidates:
            return
        hazard_id = self.rng.choice(candidates)
        outcome = self.rng.choice(("rectified", "not_rectified"))
        today = date.today()
        inspector_id = self._one("SELECT value FROM local_setting WHERE key = 'inspector_id'")
        self.journal.write({"intent": "reinspect", "hazard_id": hazard_id, "outcome": outcome})
        reinspection_id = record_reinspection(
            self.store, hazard_id, outcome=outcome, on=today, evidence_note="复查照片已存档",
            new_deadline=today + timedelta(days=15) if outcome == "not_rectified" else None,
            inspector_ids=[inspector_id])
        self.journal.write({"ack": "reinspect", "hazard_id": hazard_id, "reinspection_id": reinspection_id,
                            "outcome": outcome})

    def import_ledger(self) -> None:
        which = self.rng.choice(sorted(self.ledgers))
        self.journal.write({"intent": "import", "file": which})
        report = import_ledger(self.store, self.ledgers[which], park_code=IMPORT_PARK)
        assert report.written and not report.problems, report.problems
        self.journal.write({"ack": "import", "file": which, "created": report.created, "updated": report.updated})

    def pull(self) -> None:
        _pushed, cursor = push_cursor(self.store, HUB)
        page = [c for c in self.pull_changes if c["seq"] > cursor][: self.rng.randint(5, 40)]
        if not page:
            return
        self.journal.write({"intent": "pull", "through": page[-1]["seq"]})
        result = apply_page(self.store, page, hub=HUB)
        self.journal.write({"ack": "pull", "through": page[-1]["seq"], "applied": result.applied})

    def photo(self) -> None:
        """A photo of a hazard: the file is stored beside the database, then its row and link."""
        hazard_ids = [r[0] for r in self._all("SELECT id FROM hazard ORDER BY id")]
        if not hazard_ids:
            return
        hazard_id = self.rng.choice(hazard_ids)
        source = self.journal.path.parent / "photos" / f"{self.rng.randrange(10**12)}.png"
        source.parent.mkdir(exist_ok=True)
        source.write_bytes(image_bytes("PNG", seed=self.rng.randrange(10**9),
                                       size=(self.rng.randint(24, 256), self.rng.randint(24, 256))))
        self.journal.write({"intent": "photo", "hazard_id": hazard_id})
        digest = attach_file(self.store, path=source, owner_table="hazard", owner_id=hazard_id)
        self.journal.write({"ack": "photo", "hazard_id": hazard_id, "sha256": digest})

    def import_bundle(self) -> None:
        self.journal.write({"intent": "bundle"})
        summary = import_bundle(self.store, self.bundle)
        self.journal.write({"ack": "bundle", "applied": summary.result.applied})


def _fields(tenant) -> dict:
    return {name: getattr(tenant, name) for name in TENANT_FIELDS}


def warm_up(keys: Path) -> None:
    """Load the PDF font and the signing code now (about 1 s, once per process), so that the kills
    land in writes rather than in the first notice's start-up."""
    import pyhanko.pdf_utils.incremental_writer  # noqa: F401 - what sign_pdf imports on first use
    import pyhanko.sign  # noqa: F401

    import exports.qr_symbol  # noqa: F401 - what the PDF's QR code imports on first use
    from exports import signing
    from exports.fonts import pdf_font

    pdf_font()
    signing.load_device_key(keys)


def main(argv: list[str], ready=None) -> int:
    """`ready()` is called once writes are about to start (default: print "ready")."""
    journal_path, seed, db, keys, ledger_a, ledger_b, pull, bundle, *rest = argv
    max_ops = int(rest[0]) if rest else None
    store = Store.open(db)
    worker = Worker(Journal(Path(journal_path)), random.Random(int(seed)), store, Path(keys),
                    {"a": Path(ledger_a), "b": Path(ledger_b)},
                    json.loads(Path(pull).read_text(encoding="utf-8")), Path(bundle))
    warm_up(Path(keys))
    if ready is None:
        print("ready", flush=True)
    else:
        ready()
    done = 0
    while max_ops is None or done < max_ops:
        worker.step()
        done += 1
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
