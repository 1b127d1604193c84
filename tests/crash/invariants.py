"""What must hold in a database after any crash (or in any backup copy), as queries.

`database_problems(path)` — true of every committed state, whatever was acknowledged:
- SQLite: `integrity_check` ok, `foreign_key_check` empty; `parkinspect check` (check_database) ok.
- Logged: every synced row's current version is in the outbox or the inbox — its `hlc` equals the
  greatest stamp of its change-log entries and applied inbox entries (conflict rows, made by the
  merge itself, excepted); every change-log entry and applied inbox entry names a row that exists.
- Whole inspections: every inspection has one result per checklist item (31); a finished one has
  no unanswered item and exactly one hazard per failed item; one in progress has no hazard.
- Whole hazards: every hazard has exactly one live rectification item (not superseded, not deleted).
- Whole notices: PDF, both hashes and the signature present (their hashes are checked by `check`);
  a rectification notice locks exactly the hazards its content lists, and its items.
- Numbering: numbers and (block, year, sequence) unique; for this device's blocks the sequences of
  a year are exactly 1..counter (no duplicate, no gap: a number is used only by a committed
  notice, and the counter moves in the same transaction); each number spells its sequence.
- Photos: every attachment row has its file beside the database, whole (hash checked).
- Sync cursor: the pull cursor and the inbox move together (no change past the cursor is in the
  inbox; every change up to it is).

`journal_problems(path, journal, fixtures)` — every acknowledged write is there with its values; of
the last write, which was intended but not acknowledged (the kill came during it), either all or
nothing is there.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from inspect_app.services.maintenance import check_database
from tests.crash.setup import HUB, IMPORT_PARK
from tests.crash.worker import FIVE

CHECKLIST_ITEMS = 31



def _rows(conn: sqlite3.Connection, sql: str, *params) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


def database_problems(path: Path, attachments: Path | None = None) -> list[str]:
    """`attachments`: the photo folder (default: beside the file; a backup copy names the live one)."""
    from db.models import SYNCED_TABLES

    tables = tuple(name for name in SYNCED_TABLES if name != "conflict")
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        problems = [f"integrity: {r[0]}" for r in _rows(conn, "PRAGMA integrity_check") if r[0] != "ok"]
        if problems:
            return problems
        problems += [f"foreign key: {r}" for r in _rows(conn, "PRAGMA foreign_key_check")]
        report = check_database(Path(path))
        problems += [f"check: {p}" for p in report["problems"]]
        problems += _logging(conn, tables)
        problems += _inspections(conn)
        problems += _hazards(conn)
        problems += _notices(conn)
        problems += _cursor(conn)
        problems += _attachment_files(conn, attachments or Path(path).parent / "attachments")
        return problems
    finally:
        conn.close()


def _logging(conn, tables) -> list[str]:
    problems = []
    for table in tables:
        problems += [f"{table} {row_id}: row at {hlc}, newest logged {logged}" for row_id, hlc, logged in _rows(
            conn,
            f"SELECT t.id, t.hlc, (SELECT max(s) FROM ("  # noqa: S608 - table names from the models
            f"  SELECT hlc AS s FROM change_log c WHERE c.table_name = '{table}' AND c.row_id = t.id"
            f"  UNION ALL SELECT hlc FROM applied_change a WHERE a.table_name = '{table}' AND a.row_id = t.id"
            f"  AND a.waiting_for IS NULL AND a.problem IS NULL)) AS logged FROM {table} t "
            "WHERE logged IS NULL OR logged != t.hlc")]
        problems += [f"change_log {seq}: {table} {row_id} missing" for seq, row_id in _rows(
            conn, f"SELECT seq, row_id FROM change_log c WHERE table_name = '{table}' "  # noqa: S608
                  f"AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = c.row_id)")]
        problems += [f"applied_change {origin}/{seq}: {table} {row_id} missing" for origin, seq, row_id in _rows(
            conn, f"SELECT origin_device, device_seq, row_id FROM applied_change a WHERE table_name = '{table}' "  # noqa: S608
                  "AND waiting_for IS NULL AND problem IS NULL "
                  f"AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = a.row_id)")]
    return problems


def _inspections(conn) -> list[str]:
    problems = [f"inspection {i}: {n} results" for i, n in _rows(
        conn, "SELECT i.id, (SELECT count(*) FROM check_result r WHERE r.inspection_id = i.id) AS n "
              "FROM inspection i WHERE n != ?", CHECKLIST_ITEMS)]
    problems += [f"finished inspection {i}: {n} unanswered" for i, n in _rows(
        conn, "SELECT i.id, count(*) FROM inspection i JOIN check_result r ON r.inspection_id = i.id "
              "WHERE i.status = 'finished' AND r.outcome IS NULL GROUP BY i.id")]
    problems += [f"finished inspection {i}, failed item {r}: {n} hazards" for i, r, n in _rows(
        conn, "SELECT i.id, r.id, (SELECT count(*) FROM hazard h WHERE h.check_result_id = r.id) AS n "
              "FROM inspection i JOIN check_result r ON r.inspection_id = i.id "
              "WHERE i.status = 'finished' AND r.outcome = 'fail' AND n != 1")]
    problems += [f"inspection {i} in progress has hazard {h}" for i, h in _rows(
        conn, "SELECT i.id, h.id FROM inspection i JOIN hazard h ON h.inspection_id = i.id "
              "WHERE i.status = 'in_progress'")]
    return problems


def _hazards(conn) -> list[str]:
    return [f"hazard {h}: {n} live rectification items" for h, n in _rows(
        conn, "SELECT h.id, (SELECT count(*) FROM rectification_item i WHERE i.hazard_id = h.id "
              "AND i.deleted = 0 AND i.status != 'superseded') AS n FROM hazard h WHERE n != 1")]


def _notices(conn) -> list[str]:
    problems = []
    for notice_id, number, kind, content_json, pdf, pdf_sha256, signature in _rows(
            conn, "SELECT id, number, kind, content_json, pdf, pdf_sha256, signature FROM notice"):
        if not pdf or not pdf_sha256 or not signature or not content_json:
            problems.append(f"notice {number}: PDF, hash or signature missing")
            continue
        if kind == "rectification":
            listed = len(json.loads(content_json)["hazards"])
            locked = _rows(conn, "SELECT count(*) FROM hazard WHERE notice_id = ?", notice_id)[0][0]
            items = _rows(conn, "SELECT count(DISTINCT hazard_id) FROM rectification_item WHERE notice_id = ?",
                          notice_id)[0][0]
            if not listed == locked == items:
                problems.append(f"notice {number}: lists {listed} hazards, locks {locked} hazards, {items} items")
    problems += [f"hazard {h}: locked by missing notice {n}" for h, n in _rows(
        conn, "SELECT id, notice_id FROM hazard h WHERE notice_id IS NOT NULL "
              "AND NOT EXISTS (SELECT 1 FROM notice n WHERE n.id = h.notice_id)")]
    for block, year, last in _rows(conn, "SELECT device_block, year, last_sequence FROM notice_counter"):
        sequences = [r[0] for r in _rows(conn, "SELECT sequence FROM notice WHERE device_block = ? AND year = ? "
                                               "ORDER BY sequence", block, year)]
        if sequences != list(range(1, last + 1)):
            problems.append(f"block {block} {year}: counter at {last}, sequences {sequences}")
    problems += [f"notice {number}: does not spell sequence {seq}" for number, seq in _rows(
        conn, "SELECT number, sequence FROM notice") if not number.endswith(f"-{seq:04d}号")]
    problems += [f"notice number {n} used {c} times" for n, c in _rows(
        conn, "SELECT number, count(*) FROM notice GROUP BY number HAVING count(*) > 1")]
    return problems


def _attachment_files(conn, folder: Path) -> list[str]:
    """Every attachment row has its file, whole: the file is stored (fsynced, renamed) before the row."""
    problems = []
    for (digest,) in _rows(conn, "SELECT sha256 FROM attachment"):
        found = [p for p in (folder / digest[:2]).glob(f"{digest}*") if not p.name.endswith(".partial")]
        if not found or hashlib.sha256(found[0].read_bytes()).hexdigest() != digest:
            problems.append(f"attachment {digest}: file missing or not whole")
    return problems


def _cursor(conn) -> list[str]:
    found = _rows(conn, "SELECT pulled_seq FROM sync_state WHERE hub_id = ?", HUB)
    cursor = found[0][0] if found else 0
    beyond = _rows(conn, "SELECT count(*) FROM applied_change WHERE hub_seq > ?", cursor)[0][0]
    up_to = _rows(conn, "SELECT count(*) FROM applied_change WHERE hub_seq <= ?", cursor)[0][0]
    problems = [f"{beyond} inbox entries past the pull cursor {cursor}"] if beyond else []
    if up_to != cursor:
        problems.append(f"pull cursor at {cursor}, {up_to} hub changes in the inbox")
    return problems


# --- the journal ----------------------------------------------------------------------------------


def read_journal(path: Path) -> list[dict]:
    """Whole lines only: a line cut by the kill was never fully reported (and is cut off the file)."""
    if not path.exists():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with path.open("r+b") as handle:
            handle.truncate(end)
    return [json.loads(line) for line in data[:end].decode("utf-8").splitlines() if line]


@dataclass
class Expected:
    """The acknowledged state, folded from the journal."""

    tenants: dict[str, dict] = field(default_factory=dict)
    inspections: set[str] = field(default_factory=set)
    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)
    passed: set[str] = field(default_factory=set)
    finished: dict[str, list[str]] = field(default_factory=dict)
    items: dict[str, str | None] = field(default_factory=dict)  # item id -> contingency plan
    notices: dict[str, dict] = field(default_factory=dict)
    reinspections: dict[str, str] = field(default_factory=dict)
    ledger: str | None = None
    pulled: int = 0
    bundle: bool = False
    photos: dict[str, str] = field(default_factory=dict)  # sha256 -> hazard id
    pending: dict | None = None  # the intent the kill interrupted, if any

    @classmethod
    def fold(cls, entries: list[dict]) -> Expected:
        expected = cls()
        for entry in entries:
            if "intent" in entry:
                expected.pending = entry
                continue
            expected.pending = None
            if "killed" in entry:
                continue
            op = entry.get("ack")
            if op in ("tenant_add", "tenant_edit"):
                expected.tenants[entry["id"]] = entry["fields"]
            elif op == "start":
                expected.inspections.add(entry["inspection_id"])
            elif op == "outcome":
                expected.outcomes[entry["result_id"]] = (entry["outcome"], entry["note"])
            elif op == "pass_rest":
                expected.passed.add(entry["inspection_id"])
            elif op == "finish":
                expected.finished[entry["inspection_id"]] = entry["hazard_ids"]
            elif op == "five":
                expected.items[entry["item_id"]] = entry["contingency_plan"]
            elif op == "notice":
                expected.notices[entry["id"]] = entry
            elif op == "reinspect":
                expected.reinspections[entry["reinspection_id"]] = entry["outcome"]
            elif op == "import":
                expected.ledger = entry["file"]
            elif op == "pull":
                expected.pulled = max(expected.pulled, entry["through"])
            elif op == "bundle":
                expected.bundle = True
            elif op == "photo":
                expected.photos[entry["sha256"]] = entry["hazard_id"]
        return expected


def journal_problems(path: Path, entries: list[dict], ledgers: dict[str, Path], bundle_changes: list[dict]) -> list[str]:
    expected = Expected.fold(entries)
    pending = expected.pending or {}
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        problems = []
        for tenant_id, fields in expected.tenants.items():
            row = conn.execute("SELECT * FROM tenant WHERE id = ?", (tenant_id,)).fetchone()
            if row is None:
                problems.append(f"acknowledged tenant {tenant_id} missing")
                continue
            stored = {name: row[name] for name in fields}
            interrupted = pending.get("intent") == "tenant_edit" and pending["id"] == tenant_id
            if stored != fields and not (interrupted and _matches(stored, {**fields, **pending["fields"]})):
                problems.append(f"tenant {tenant_id}: acknowledged {fields}, stored {stored}")
        for inspection_id in expected.inspections:
            if conn.execute("SELECT 1 FROM inspection WHERE id = ?", (inspection_id,)).fetchone() is None:
                problems.append(f"acknowledged inspection {inspection_id} missing")
        for result_id, (outcome, note) in expected.outcomes.items():
            row = conn.execute("SELECT outcome, note FROM check_result WHERE id = ?", (result_id,)).fetchone()
            if row is None or (row["outcome"], row["note"]) != (outcome, note):
                problems.append(f"result {result_id}: acknowledged {outcome} {note!r}, stored {tuple(row or ())}")
        for inspection_id in expected.passed:
            left = conn.execute("SELECT count(*) FROM check_result WHERE inspection_id = ? AND outcome IS NULL",
                                (inspection_id,)).fetchone()[0]
            if left:
                problems.append(f"inspection {inspection_id}: rest acknowledged passed, {left} unanswered")
        for inspection_id, hazard_ids in expected.finished.items():
            status = conn.execute("SELECT status FROM inspection WHERE id = ?", (inspection_id,)).fetchone()
            found = {r[0] for r in conn.execute("SELECT id FROM hazard WHERE inspection_id = ?", (inspection_id,))}
            if status is None or status[0] != "finished" or found != set(hazard_ids):
                problems.append(f"inspection {inspection_id}: acknowledged finished with {hazard_ids}, "
                                f"stored {tuple(status or ())} with {sorted(found)}")
        for item_id, plan in expected.items.items():
            row = conn.execute("SELECT contingency_plan, hazard_id FROM rectification_item WHERE id = ?",
                               (item_id,)).fetchone()
            # an incomplete 五落实 completed by the interrupted save (same item, whole plan)
            completed = (pending.get("intent") == "five" and pending["complete"]
                         and row is not None and pending["hazard_id"] == row[1] and row[0] == FIVE["contingency_plan"])
            if row is None or not (row[0] == plan or completed):
                problems.append(f"rectification item {item_id}: acknowledged {plan!r}, stored {tuple(row or ())}")
        for notice_id, ack in expected.notices.items():
            row = conn.execute("SELECT number, pdf_sha256 FROM notice WHERE id = ?", (notice_id,)).fetchone()
            if row is None or (row["number"], row["pdf_sha256"]) != (ack["number"], ack["pdf_sha256"]):
                problems.append(f"acknowledged notice {ack['number']} missing or changed")
            locked = {r[0] for r in conn.execute("SELECT id FROM hazard WHERE notice_id = ?", (notice_id,))}
            if locked != set(ack["hazard_ids"]):
                problems.append(f"notice {ack['number']}: locks {sorted(locked)}, acknowledged {ack['hazard_ids']}")
        for reinspection_id, outcome in expected.reinspections.items():
            row = conn.execute("SELECT outcome FROM reinspection WHERE id = ?", (reinspection_id,)).fetchone()
            if row is None or row[0] != outcome:
                problems.append(f"acknowledged re-inspection {reinspection_id} missing")
        for digest, hazard_id in expected.photos.items():
            if conn.execute("SELECT 1 FROM attachment_link WHERE attachment_sha256 = ? AND owner_table = 'hazard' "
                            "AND owner_id = ?", (digest, hazard_id)).fetchone() is None:
                problems.append(f"acknowledged photo {digest} of hazard {hazard_id} missing")
        problems += _ledger_problems(conn, expected, pending, ledgers)
        cursor = conn.execute("SELECT pulled_seq FROM sync_state WHERE hub_id = ?", (HUB,)).fetchone()
        if (cursor[0] if cursor else 0) < expected.pulled:
            problems.append(f"pull acknowledged through {expected.pulled}, cursor at {tuple(cursor or ())}")
        if expected.bundle:
            inbox = {(r[0], r[1]) for r in conn.execute("SELECT origin_device, device_seq FROM applied_change")}
            lost = [c for c in bundle_changes if (c["device_id"], c["device_seq"]) not in inbox]
            if lost:
                problems.append(f"bundle acknowledged, {len(lost)} of its changes not in the inbox")
        return problems
    finally:
        conn.close()


def settle(path: Path, entries: list[dict], ledgers: dict[str, Path]) -> list[dict]:
    """Journal lines that close a trial: the interrupted write's outcome as the database now holds it
    (it may have committed without being acknowledged), so later trials expect that state."""
    expected = Expected.fold(entries)
    pending = expected.pending or {}
    lines: list[dict] = []
    conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        if pending.get("intent") == "tenant_edit":
            # A tenant never acknowledged here (the fixture's, or one whose add was cut after its
            # commit) is held to the fields the edit meant to change.
            fields = expected.tenants.get(pending["id"]) or pending["fields"]
            row = conn.execute(f"SELECT {', '.join(fields)} FROM tenant WHERE id = ?", (pending["id"],)).fetchone()
            lines.append({"ack": "tenant_edit", "id": pending["id"], "fields": dict(zip(fields, row, strict=True)),
                          "settled": True})
        elif pending.get("intent") == "five":
            for item_id, plan in conn.execute("SELECT id, contingency_plan FROM rectification_item "
                                              "WHERE hazard_id = ?", (pending["hazard_id"],)):
                if item_id in expected.items:
                    lines.append({"ack": "five", "item_id": item_id, "contingency_plan": plan, "settled": True})
        elif pending.get("intent") == "import":
            stored = {r[0]: (r[1], r[2]) for r in conn.execute(
                "SELECT t.credit_code, t.contact_phone, t.headcount FROM tenant t JOIN park p ON p.id = t.park_id "
                "WHERE p.code = ? AND t.deleted = 0", (IMPORT_PARK,))}
            lines += [{"ack": "import", "file": name, "settled": True}
                      for name, file in sorted(ledgers.items()) if stored == ledger_rows(file)]
    finally:
        conn.close()
    return [*lines, {"killed": True}]


def _matches(stored: dict, wanted: dict) -> bool:
    return all(stored[name] == value for name, value in wanted.items())


def ledger_rows(path: Path) -> dict[str, tuple[str, int]]:
    """credit code -> (contact phone, headcount) as the ledger file says."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    code, phone, headcount = (next(i for i, h in enumerate(header) if h.startswith(word))
                              for word in ("统一社会信用代码", "联系电话", "租赁区域总人数"))
    return {r[code]: (r[phone], int(r[headcount])) for r in rows[1:] if r and r[code]}


def _ledger_problems(conn, expected: Expected, pending: dict, ledgers: dict[str, Path]) -> list[str]:
    """The import park's tenants are, all of them, as one whole file says (or none yet)."""
    stored = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT t.credit_code, t.contact_phone, t.headcount FROM tenant t JOIN park p ON p.id = t.park_id "
        "WHERE p.code = ? AND t.deleted = 0", (IMPORT_PARK,))}
    allowed = {expected.ledger} if expected.ledger else {None}
    if pending.get("intent") == "import":
        allowed.add(pending["file"])
    for name in allowed:
        if name is None and not stored:
            return []
        if name is not None and stored == ledger_rows(ledgers[name]):
            return []
    return [f"import park holds {len(stored)} tenants matching none of the files {sorted(map(str, allowed))}"]
