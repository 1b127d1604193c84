"""A device whose wall clock is off corrects it from the hub's and re-stamps what it has not sent.

At each sync the client reads the hub's time from `/me` (`now_ms`) and learns the offset of this
machine's clock (half the round trip is the error bound). The offset is kept in `local_setting`
(`clock_offset_ms`) and applied by `Store.open` to the clock's wall time, so later edits carry
corrected stamps (docs/SYNC.md, "Clocks").

Changes stamped while the clock was ahead would be refused by the hub (`clock_ahead`). Those that
never left the device are re-stamped before the push: the change-log entry's stamp and the
payload's, the row's `hlc`, its field clocks and the bases and conflicts that name those stamps,
in one transaction. The clock is set back to the newest stamp that stays (allowed only because the
re-made stamps were never seen elsewhere) and ticks forward from there in the original order, so
the device's own writes keep their order and still come after everything they saw.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from db.backup import BUNDLE_EXPORTED_SEQ_SETTING
from db.clock import HybridClock, millis_of, newest
from db.models import SYNCED_TABLES
from db.store import CLOCK_OFFSET_SETTING, Store, received_stamps
from forms.i18n import t
from inspect_app.sync.apply import conflict_id

log = logging.getLogger(__name__)

MIN_CORRECTION_MS = 2_000  # below this an offset is network noise, not a wrong clock
TELL_USER_MS = 60_000  # a correction of at least this is said in the summary


@dataclass
class Correction:
    offset_ms: int  # hub time minus this machine's (ms), now applied to the clock
    changed_by_ms: int  # how much the applied offset moved at this sync


def measure_offset(hub_now_ms: int, sent_ms: int, received_ms: int) -> int:
    """The hub's time minus this machine's, taking the hub's answer to be from mid round trip."""
    return hub_now_ms - (sent_ms + received_ms) // 2


def adopt_offset(store: Store, measured_ms: int, round_trip_ms: int) -> Correction:
    """Apply and keep a measured offset when it differs from the kept one by more than the noise."""
    previous = store.clock.offset_ms
    if abs(measured_ms - previous) <= max(MIN_CORRECTION_MS, round_trip_ms):
        return Correction(previous, 0)
    offset = measured_ms if abs(measured_ms) > MIN_CORRECTION_MS else 0
    with store.connect() as conn:
        conn.execute("INSERT INTO local_setting (key, value) VALUES (?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (CLOCK_OFFSET_SETTING, str(offset)))
    store.clock.offset_ms = offset
    log.info("clock offset from the hub: %+d ms (was %+d ms)", offset, previous)
    return Correction(offset, offset - previous)


def correction_text(offset_ms: int) -> str:
    """"本机时钟比中心快 3 小时，已按中心时间校正" (a negative offset: this machine is ahead)."""
    amount_ms = abs(offset_ms)
    if amount_ms >= 3_600_000:
        amount = t("sync.clock_hours", hours=f"{amount_ms / 3_600_000:.1f}".removesuffix(".0"))
    else:
        amount = t("sync.clock_minutes", minutes=max(1, round(amount_ms / 60_000)))
    return t("sync.clock_fast" if offset_ms < 0 else "sync.clock_slow", amount=amount)


def restamp_outbox(store: Store, after_seq: int, limit_ms: int, *, requeue: tuple[int, ...] = (),
                   in_transaction: Callable[[object], None] | None = None) -> int:
    """Re-stamp this device's changes after `after_seq` (not sent) from the first one stamped after
    `limit_ms` on; `requeue`: sent changes the hub refused as `clock_ahead`, copied as new outbox
    entries and re-stamped with them. `in_transaction(conn)` runs in the same transaction (the push
    cursor moving past the refused ones). Returns how many entries got new stamps."""
    with store.connect() as conn:
        conn.execute("BEGIN IMMEDIATE")  # no edit between reading the outbox and rewriting it
        copies = [(seq, _copy_entry(conn, seq)) for seq in sorted(set(requeue))]
        pending = conn.execute("SELECT seq, table_name, row_id, hlc, payload, base FROM change_log "
                               "WHERE seq > ? ORDER BY seq", (after_seq,)).fetchall()
        copied = {new for _, new in copies}
        # The copies stand where the originals stood: before everything not yet sent.
        order = [new for _, new in copies] + [row[0] for row in pending if row[0] not in copied]
        entries = {row[0]: row for row in pending}
        first = next((i for i, seq in enumerate(order)
                      if seq in copied or millis_of(entries[seq][3]) > limit_ms), None)
        if first is not None:
            restamped = order[first:]
            mapping = _new_stamps(conn, store, entries, order[:first], restamped, after_seq, limit_ms, requeue)
            _rewrite(conn, entries, restamped, mapping)
            _warn_if_exported(conn, min((seq for seq, _ in copies), default=restamped[0]))
        if in_transaction is not None:
            in_transaction(conn)
    if first is None:
        return 0
    store.clock.reset(mapping[entries[restamped[-1]][3]])
    log.warning("re-stamped %d changes made while this machine's clock was ahead of the hub's", len(restamped))
    return len(restamped)


def _copy_entry(conn, seq: int) -> int:
    cursor = conn.execute("INSERT INTO change_log (table_name, row_id, op, hlc, device_id, actor_id, payload, "
                          "created_at, base) SELECT table_name, row_id, op, hlc, device_id, actor_id, payload, "
                          "created_at, base FROM change_log WHERE seq = ?", (seq,))
    return cursor.lastrowid


def _new_stamps(conn, store: Store, entries: dict, kept: list[int], restamped: list[int], after_seq: int,
                limit_ms: int, requeue: tuple[int, ...]) -> dict[str, str]:
    """old stamp -> new stamp, ticking from the newest stamp that stays (never one past the limit)."""
    sent = conn.execute(
        "SELECT hlc FROM change_log WHERE seq <= ? AND CAST(substr(hlc, 1, instr(hlc, '.') - 1) AS INTEGER) <= ? "
        f"AND seq NOT IN ({','.join('?' * len(requeue))}) ORDER BY seq DESC LIMIT 1",
        (after_seq, limit_ms, *requeue)).fetchone()
    stays = [entries[seq][3] for seq in kept] + [sent[0] if sent else None] + received_stamps(conn)
    start = newest(s for s in stays if s and millis_of(s) <= limit_ms)
    clock = HybridClock(store.device_id, now_ms=store.clock.machine_ms, last=start, offset_ms=store.clock.offset_ms)
    return {entries[seq][3]: clock.tick() for seq in restamped}


def _rewrite(conn, entries: dict, restamped: list[int], mapping: dict[str, str]) -> None:
    rows: set[tuple[str, str]] = set()
    for seq in restamped:
        _, table_name, row_id, old, payload, base = entries[seq]
        payload, base = json.loads(payload), json.loads(base) if base else base
        if "hlc" in payload:
            payload["hlc"] = mapping[old]
        if base:  # a later edit of this device saw the earlier one's stamp
            base = {name: mapping.get(seen, seen) for name, seen in base.items()}
        conn.execute("UPDATE change_log SET hlc = ?, payload = ?, base = ? WHERE seq = ?",
                     (mapping[old], json.dumps(payload, ensure_ascii=False),
                      None if base is None else json.dumps(base), seq))
        if table_name in SYNCED_TABLES:  # the row still carrying that stamp (a later edit may have moved it)
            conn.execute(f'UPDATE "{table_name}" SET hlc = ? WHERE id = ? AND hlc = ?', (mapping[old], row_id, old))
        rows.add((table_name, row_id))
    for table_name, row_id in rows:
        _rewrite_field_clocks(conn, table_name, row_id, mapping)
    _rewrite_conflicts(conn, mapping)


def _rewrite_field_clocks(conn, table_name: str, row_id: str, mapping: dict[str, str]) -> None:
    found = conn.execute("SELECT inserted, clocks, seen FROM row_version WHERE table_name = ? AND row_id = ?",
                         (table_name, row_id)).fetchone()
    if found is None:
        return
    inserted, clocks, seen = found[0], json.loads(found[1]), json.loads(found[2])
    conn.execute("UPDATE row_version SET inserted = ?, clocks = ?, seen = ? WHERE table_name = ? AND row_id = ?",
                 (mapping.get(inserted, inserted), json.dumps({k: mapping.get(v, v) for k, v in clocks.items()}),
                  json.dumps({k: mapping.get(v, v) for k, v in seen.items()}), table_name, row_id))


def _rewrite_conflicts(conn, mapping: dict[str, str]) -> None:
    """A conflict naming a re-made stamp: as winner (a remote write lost to this device's), or as
    loser (its id derives from the losing stamp, so every device finds the same one)."""
    olds = list(mapping)
    for start in range(0, len(olds), 400):
        chunk = olds[start:start + 400]
        marks = ",".join("?" * len(chunk))
        conn.execute(f"UPDATE conflict SET winning_hlc = CASE winning_hlc {' '.join('WHEN ? THEN ?' for _ in chunk)} "
                     f"END WHERE winning_hlc IN ({marks})",
                     [v for old in chunk for v in (old, mapping[old])] + chunk)
        losers = conn.execute(f"SELECT id, table_name, row_id, field, losing_hlc FROM conflict "
                              f"WHERE losing_hlc IN ({marks})", chunk).fetchall()
        for old_id, table_name, row_id, field, losing in losers:
            new = mapping[losing]
            conn.execute("UPDATE conflict SET id = ?, hlc = CASE hlc WHEN ? THEN ? ELSE hlc END, losing_hlc = ? "
                         "WHERE id = ?", (conflict_id(table_name, row_id, field, new), losing, new, new, old_id))


def _warn_if_exported(conn, first_seq: int) -> None:
    row = conn.execute("SELECT value FROM local_setting WHERE key = ?", (BUNDLE_EXPORTED_SEQ_SETTING,)).fetchone()
    if row and int(row[0]) >= first_seq:
        log.warning("changes from %d on were written to a sync bundle before this re-stamp: a device importing "
                    "that bundle sets them aside as too far ahead until the re-stamped ones reach it", first_seq)
