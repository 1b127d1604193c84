"""Field clocks of synced rows (`row_version`): which write each field's value came from.

A row that was only inserted has no entry: every field carries its insert stamp, which is then
the row's `hlc`. The first update (local or merged from another device) creates the entry with
`inserted` = that stamp. `seen` keeps, per field, the greatest `base` of any write applied: a
write whose stamp is at most that was seen by a later writer and is not a conflict (docs/SYNC.md).
Used by the flush hook (db/changelog.py) and the merge (inspect_app/sync/apply.py), through the
connection of the transaction they run in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import text

SELECT = text("SELECT inserted, clocks, seen FROM row_version WHERE table_name = :t AND row_id = :r")
UPSERT = text(
    "INSERT INTO row_version (table_name, row_id, inserted, clocks, seen) VALUES (:t, :r, :inserted, :clocks, :seen) "
    "ON CONFLICT (table_name, row_id) DO UPDATE SET clocks = excluded.clocks, seen = excluded.seen")
# Conflicts a later write saw are settled: that writer had the losing value in front of them.
DROP_SEEN_CONFLICTS = text(
    "DELETE FROM conflict WHERE table_name = :t AND row_id = :r AND field = :f AND losing_hlc <= :seen "
    "AND resolved = 0")


@dataclass
class FieldClocks:
    inserted: str
    clocks: dict[str, str] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)
    stored: bool = False  # an entry exists (so conflicts may exist for this row)

    def clock(self, name: str) -> str:
        return self.clocks.get(name, self.inserted)

    def record_write(self, name: str, stamp: str | None, base: str | None) -> bool:
        """Note a write of `name`; return True when `seen` grew (settled conflicts may need dropping)."""
        if stamp is not None and stamp > self.clock(name):
            self.clocks[name] = stamp
        if base and base > self.seen.get(name, ""):
            self.seen[name] = base
            return True
        return False


def load(conn, table_name: str, row_id: str, row_hlc: str) -> FieldClocks:
    found = conn.execute(SELECT, {"t": table_name, "r": row_id}).first()
    if found is None:
        return FieldClocks(inserted=row_hlc)
    clocks, seen = (value if isinstance(value, dict) else json.loads(value) for value in found[1:])
    return FieldClocks(found[0], clocks, seen, stored=True)


def save(conn, table_name: str, row_id: str, versions: FieldClocks) -> None:
    save_many(conn, [(table_name, row_id, versions)])


def save_many(conn, entries: list[tuple[str, str, FieldClocks]]) -> None:
    """One executemany for a flush's updated rows (an import may update thousands)."""
    conn.execute(UPSERT, [{"t": table_name, "r": row_id, "inserted": versions.inserted,
                           "clocks": json.dumps(versions.clocks), "seen": json.dumps(versions.seen)}
                          for table_name, row_id, versions in entries])
    for _, _, versions in entries:
        versions.stored = True


def drop_seen_conflicts(conn, table_name: str, row_id: str, name: str, seen: str) -> None:
    conn.execute(DROP_SEEN_CONFLICTS, {"t": table_name, "r": row_id, "f": name, "seen": seen})
