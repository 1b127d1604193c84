"""Three devices and a hub over real HTTP on loopback: random offline edits and sync orders, with
the cable pulled mid-push and mid-pull (hypothesis), against the SQLite hub and PostgreSQL.

Each example: device 0 creates a park (tenants, an inspection with a hazard and its 五落实 item)
and syncs; devices 1 and 2 start from the hub's snapshot (their first sync may be cut, the next
one finishes it). Then a generated list of steps: edits on one device (tenant fields, new
tenants, tombstones and undeletes, hazard and 五落实 fields, quarterly figures) and syncs of one
device, some cut — every request from the k-th on fails, either before it reaches the hub or
after the hub handled it (the answer is lost). At the end every device syncs twice, and:

- every device holds the same rows in every synced table (conflict rows included);
- each field holds the value of its write with the greatest clock, computed here from all
  devices' outboxes;
- every losing value is a conflict row, on every device: the losers are computed here,
  independently of the merge code, with the rule of docs/SYNC.md (not the winner, and no write's
  base covers it);
- nothing lost, nothing doubled: the hub holds each device's outbox once, each device's push
  cursor is at its last change, no device has a change waiting or refused, and every row any
  device inserted is on every device, once.

Two more participants make it hostile. Device 2's wall clock is three hours ahead (an injected
clock): the hub refuses its stamps until it corrects its clock from the hub's, and the changes it
made before its first sync are re-stamped, never lost. And a device limited to park PH-002
pushes crafted changes between the steps — written by someone who knows the format and every row
id — that reach into PH-001, break a NOT NULL column, carry a date-time without a zone or a stamp
from the year 2286, re-parent rows across parks, take over a row id, rename the office's
inspector: the hub refuses each one (its code is one the rule allows), none reaches a device, and
the honest devices still end identical with every losing value kept. The limited device itself
syncs normally and ends holding exactly PH-002's rows as the others hold them.

Default: a short run (PARKINSPECT_SIM_EXAMPLES, default 4 on SQLite and 3 on PostgreSQL). The long run:
`PARKINSPECT_SIM_EXAMPLES=300 pytest tests/test_sync_simulation.py` or `pytest -m slow
tests/test_sync_simulation.py` (100 examples of up to 60 steps per hub).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections import defaultdict
from pathlib import Path
from unittest import mock

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import select as sql_select

from db.changelog import STAMP_FIELDS
from db.clock import format_stamp, wall_clock_ms
from db.models import SYNCED_TABLES, Hazard, Park, QuarterlyReport, RectificationItem, Tenant
from db.store import Store
from inspect_app.hub.app import create_app
from inspect_app.hub.storage import change, enrol_device
from inspect_app.services.maintenance import check_database
from inspect_app.sync import client
from inspect_app.sync.changes import push_cursor
from inspect_app.sync.client import SyncNetworkError, sync_once, tls_context
from tests.conftest import make_credit_code
from tests.hub_server import serve
from tests.new_files import new_device_file, new_sqlite_hub
from tests.sync_helpers import synced_rows
from tests.test_hub import add_inspector, add_park

DEVICES = 3
SKEWED = 2  # this device's wall clock runs three hours ahead
SKEW_MS = 3 * 3600 * 1000
EXAMPLES = int(os.environ.get("PARKINSPECT_SIM_EXAMPLES", "4"))
EDITED = {"tenant": ("name", "contact_name", "headcount", "rented_area_m2", "deleted"), "hazard": ("description",),
          "rectification_item": ("measures",), "quarterly_report": ("output_value_wan", "electricity_kwh")}
WORDS = ["甲", "乙", "丙", "丁", "Alpha", "Beta", "仓库", "车间"]

# --- the generated steps ---------------------------------------------------------------------------

device_no = st.integers(0, DEVICES - 1)
pick = st.integers(0, 50)  # which row: taken modulo the rows the device holds
word = st.sampled_from(WORDS)
edit = st.one_of(
    st.tuples(st.just("tenant"), device_no, pick, st.sampled_from(["name", "contact_name"]), word),
    st.tuples(st.just("tenant"), device_no, pick, st.just("headcount"), st.integers(0, 500)),
    st.tuples(st.just("tenant"), device_no, pick, st.just("rented_area_m2"), st.sampled_from([50.0, 120.5, 300.0])),
    st.tuples(st.just("new_tenant"), device_no, pick, word),
    st.tuples(st.just("tombstone"), device_no, pick, st.booleans()),
    st.tuples(st.just("hazard"), device_no, pick, st.just("description"), word),
    st.tuples(st.just("rectification"), device_no, pick, st.just("measures"), word),
    st.tuples(st.just("quarterly"), device_no, pick, st.sampled_from([1.5, 20.0, 88.25])),
)
# a cut: every request from the k-th on fails, before reaching the hub or with its answer lost
cut = st.none() | st.tuples(st.integers(1, 12), st.booleans())
sync_step = st.tuples(st.just("sync"), device_no, cut)
# what the park-limited attacker tries; each must be refused with one of these codes
ATTACKS = {
    "take_over_row": {"row_exists", "park_not_assigned", "park_move"},
    "null_name": {"not_null"},
    "zone_less": {"no_time_zone"},
    "far_future": {"clock_ahead"},
    "hazard_of_other_park": {"other_park", "park_not_assigned", "unknown_parent"},
    "move_tenant": {"park_move", "park_not_assigned"},
    "reparent_result": {"other_park", "park_not_assigned", "unknown_parent"},
    "rename_inspector": {"not_owner"},
    "edit_other_park": {"park_not_assigned"},
}
attack = st.tuples(st.just("attack"), st.sampled_from(sorted(ATTACKS)))
steps = st.lists(st.one_of(edit, sync_step, attack), min_size=4, max_size=30)


# --- the network ---------------------------------------------------------------------------------------


class Cable(httpx.BaseTransport):
    """Real HTTP; with `cut_at`, every request from that one on fails (the cable is pulled), before
    it is sent or, with `lose_answers`, after the hub handled it."""

    def __init__(self, cut_at: int | None = None, lose_answers: bool = False):
        self.inner = httpx.HTTPTransport(verify=tls_context())
        self.cut_at, self.lose_answers = cut_at, lose_answers
        self.count = 0
        self.lock = threading.Lock()  # a first sync fetches the next page in a thread

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.count += 1
            cut = self.cut_at is not None and self.count >= self.cut_at
        if cut and not self.lose_answers:
            raise httpx.ConnectError("cable pulled", request=request)
        response = self.inner.handle_request(request)
        if cut:
            response.read()
            response.close()
            raise httpx.ReadError("connection lost before the answer", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def ahead() -> int:
    return wall_clock_ms() + SKEW_MS


def new_device(path: Path, **options) -> Store:
    """A new device (its file a copy of one migrated once: tests/new_files.py)."""
    return Store.open(new_device_file(path), **options)


# Every entry a device wrote: the outbox and what pruning deleted from it (World keeps a copy).
OUTBOX = "(SELECT * FROM change_log UNION ALL SELECT * FROM pruned_entry)"
_real_prune = client.changelog_prune.prune


def _archiving_prune(conn, **options) -> int:
    _archive_table(conn)
    conn.execute("INSERT INTO pruned_entry SELECT * FROM change_log WHERE seq < ? "
                 "AND seq NOT IN (SELECT seq FROM pruned_entry)", (client.changelog_prune.prunable_below(conn),))
    conn.commit()
    return _real_prune(conn, **options)


def _archive_table(conn) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS pruned_entry AS SELECT * FROM change_log WHERE 0")


class World:
    def __init__(self, folder: Path, hub_url: str, base: str, app):
        self.folder, self.base, self.app = folder, base, app
        self.devices = [new_device(folder / f"device{n}.db", **({"now_ms": ahead} if n == SKEWED else {}))
                        for n in range(DEVICES)]
        self.tokens = [enrol_device(app.state.engine, f"device-{n}")[1] for n in range(DEVICES)]
        self.counter = 0
        self.attacker: Attacker | None = None
        # The checks below rebuild every write from the devices' outboxes; the prune after each sync
        # (tested in tests/test_sync_prune.py) keeps a copy of what it deletes here for them.
        self._keep_pruned = mock.patch.object(client.changelog_prune, "prune", _archiving_prune)
        self._keep_pruned.start()

    def sync(self, n: int, cut=None, store: Store | None = None, token: str | None = None) -> bool:
        cable = Cable(*cut) if cut else Cable()
        try:
            sync_once(store or self.devices[n], self.base, token or self.tokens[n], transport=cable,
                      sleep=lambda _s: None, max_tries=2, timeout=30)
        except SyncNetworkError:
            assert cut is not None, "a sync failed without a cut"
            return False
        finally:
            cable.close()
        return True

    def close(self) -> None:
        self._keep_pruned.stop()
        for store in self.devices:
            store.close()
        if self.attacker is not None:
            self.attacker.store.close()

    # --- edits, as a person makes them on one device -------------------------------------------------

    def edit(self, step) -> None:
        kind, n = step[0], step[1]
        store = self.devices[n]
        self.counter += 1
        with store.transaction() as session:
            if kind == "tenant":
                row = _nth(session, Tenant, step[2])
                if row is not None:
                    setattr(row, step[3], step[4] if step[3] != "name" else f"{step[4]}{self.counter}")
            elif kind == "new_tenant":
                park = session.exec(sql_select(Park)).first()
                if park is not None:
                    session.add(Tenant(park_id=park.id, name=f"{step[3]}新{self.counter}",
                                       credit_code=make_credit_code(5000 + self.counter), rented_area_m2=80,
                                       headcount=3, scale="below", lease_use="production"))
            elif kind == "tombstone":
                row = _nth(session, Tenant, step[2])
                if row is not None:
                    row.deleted = step[3]
            elif kind == "hazard":
                row = _nth(session, Hazard, step[2])
                if row is not None:
                    row.description = f"{step[4]}{self.counter}"
            elif kind == "rectification":
                row = _nth(session, RectificationItem, step[2])
                if row is not None:
                    row.measures = f"{step[4]}{self.counter}"
            elif kind == "quarterly":
                # Each device keeps its own quarter (quarter = device + 1): two devices adding the same
                # tenant's quarter offline make two rows of one unique key, which are not merged
                # (docs/SYNC.md); editing another device's quarter row is a normal update.
                tenant = _nth(session, Tenant, step[2])
                if tenant is not None:
                    row = session.exec(sql_select(QuarterlyReport).where(
                        QuarterlyReport.tenant_id == tenant.id, QuarterlyReport.year == 2026,
                        QuarterlyReport.quarter == n + 1)).first()
                    if row is None:
                        session.add(QuarterlyReport(tenant_id=tenant.id, year=2026, quarter=n + 1,
                                                    output_value_wan=step[3]))
                    else:
                        row.output_value_wan = step[3]
                    other = session.exec(sql_select(QuarterlyReport).where(
                        QuarterlyReport.tenant_id == tenant.id).order_by(QuarterlyReport.id)).first()
                    if other is not None and other is not row:
                        other.electricity_kwh = step[3] * 10


class Attacker:
    """A device limited to PH-002 that pushes crafted changes, knowing the format and every row id
    (read here from device 0, the office's view of the county)."""

    def __init__(self, world: World, parks: dict[str, dict[str, str]], inspector_id: str):
        self.world, self.parks, self.inspector_id = world, parks, inspector_id
        self.store = new_device(world.folder / "attacker.db")
        self.token = enrol_device(world.app.state.engine, "attacker", ["PH-002"])[1]
        self.seq = 0
        self.refused: list[tuple[str, str]] = []

    def sync(self) -> None:
        assert self.world.sync(0, store=self.store, token=self.token)

    def attack(self, kind: str) -> None:
        office = self.world.devices[0]
        mine, theirs = self.parks["PH-002"], self.parks["PH-001"]
        stamp = self.store.clock.tick()
        if kind == "take_over_row":  # insert over PH-001's tenant, placed in PH-002
            change = self._insert_like(office, "tenant", theirs["tenant"], park_id=mine["park"], stamp=stamp)
        elif kind == "null_name":
            change = self._update("tenant", mine["tenant"], {"name": None}, stamp)
        elif kind == "zone_less":
            change = self._update("tenant", mine["tenant"], {"created_at": "2026-11-26T02:00:00"}, stamp)
        elif kind == "far_future":
            change = self._update("tenant", mine["tenant"], {"name": "未来"},
                                  format_stamp(9_999_999_999_999, 0, self.store.device_id))
        elif kind == "hazard_of_other_park":  # a new hazard in PH-002 naming PH-001's tenant and inspection
            change = self._insert_like(office, "hazard", mine["hazard"], new_id=True, stamp=stamp,
                                       tenant_id=theirs["tenant"], inspection_id=theirs["inspection"])
        elif kind == "move_tenant":
            change = self._update("tenant", mine["tenant"], {"park_id": theirs["park"]}, stamp)
        elif kind == "reparent_result":
            change = self._update("check_result", mine["check_result"], {"inspection_id": theirs["inspection"]},
                                  stamp)
        elif kind == "rename_inspector":
            change = self._update("inspector", self.inspector_id, {"name": "冒名"}, stamp)
        else:  # edit_other_park
            change = self._update("tenant", theirs["tenant"], {"name": "篡改"}, stamp)
        self.seq += 1
        change = {"device_id": self.store.device_id, "device_seq": 1_000_000 + self.seq, "actor_id": None,
                  "base": {}, **change}
        answer = httpx.post(f"{self.world.base}/api/v1/push", json={"changes": [change]}, timeout=30,
                            headers={"Authorization": f"Bearer {self.token}"})
        assert answer.status_code == 200, answer.text
        codes = [r["code"] for r in answer.json()["rejected"]]
        assert len(codes) == 1 and codes[0] in ATTACKS[kind], f"{kind} answered {codes}"
        self.refused.append((kind, codes[0]))

    def _update(self, table: str, row_id: str, values: dict, stamp: str) -> dict:
        payload = {**values, "hlc": stamp, "origin_device": self.store.device_id}
        return {"table": table, "row_id": row_id, "op": "update", "hlc": stamp, "payload": payload,
                "base": {name: "" for name in values}}

    def _insert_like(self, office: Store, table: str, row_id: str, *, stamp: str, new_id: bool = False,
                     **values) -> dict:
        """An insert with every column of a real row (so only the attack itself is wrong)."""
        with office.connect() as conn:
            _archive_table(conn)
            payload = json.loads(conn.execute(f"SELECT payload FROM {OUTBOX} WHERE table_name = ? AND row_id = ? "
                                              "AND op = 'insert'", (table, row_id)).fetchone()[0])
        target = f"0192ffff-0000-7000-8000-{self.seq:012d}" if new_id else row_id
        payload = {**payload, **values, "id": target, "hlc": stamp, "origin_device": self.store.device_id}
        return {"table": table, "row_id": target, "op": "insert", "hlc": stamp, "payload": payload}


def _nth(session, model, n: int):
    ids = session.exec(sql_select(model.id).order_by(model.id)).all()
    return session.get(model, ids[n % len(ids)]) if ids else None


# --- what must hold at the end -------------------------------------------------------------------------


def all_writes(world: World) -> dict[tuple[str, str, str], list[tuple[str, object, str | None]]]:
    """Every write of every field by any device: {(table, row, field): [(hlc, value, base)]}."""
    writes = defaultdict(list)
    for store in world.devices:
        with store.connect() as conn:
            _archive_table(conn)
            for table, row_id, op, hlc, payload, base in conn.execute(
                    f"SELECT table_name, row_id, op, hlc, payload, base FROM {OUTBOX}"):
                payload, base = json.loads(payload), json.loads(base) if base else {}
                for field, value in payload.items():
                    if field in STAMP_FIELDS or field == "id":
                        continue
                    writes[(table, row_id, field)].append((hlc, value, base.get(field) if op != "insert" else None))
    return writes


def expected_losers(writes) -> set[tuple]:
    """The rule of docs/SYNC.md: a write loses when it is not the greatest clock of its field and
    no write of that field had a base at or past it."""
    losers = set()
    for (table, row_id, field), done in writes.items():
        winner = max(stamp for stamp, _, _ in done)
        bases = [base for _, _, base in done if base]
        for stamp, value, _ in done:
            if stamp != winner and not any(base >= stamp for base in bases):
                losers.add((table, row_id, field, _plain(value), stamp))
    return losers


def _plain(value):
    """One spelling for comparing values from payloads and from columns."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def conflicts(store: Store) -> set[tuple]:
    with store.connect() as conn:
        rows = conn.execute("SELECT table_name, row_id, field, losing_value, losing_hlc FROM conflict "
                            "WHERE resolved = 0").fetchall()
    return {(t, r, f, _plain(json.loads(v)) if v is not None else None, h) for t, r, f, v, h in rows}


def check_world(world: World) -> set[tuple]:
    devices = world.devices
    first = synced_rows(devices[0])
    for store in devices[1:]:
        other = synced_rows(store)
        for table in SYNCED_TABLES:
            assert other[table] == first[table], f"{table} differs between {devices[0].path.name} and {store.path.name}"

    for store in devices:  # whole, and the per-park totals the triggers keep followed every merge
        report = check_database(store.path)
        assert report["ok"], f"{store.path.name}: {report['problems']}"

    writes = all_writes(world)
    # each field holds the value of its greatest clock
    with devices[0].connect() as conn:
        for (table, row_id, field), done in writes.items():
            if field not in EDITED.get(table, ()):
                continue
            stamp, value, _ = max(done, key=lambda w: w[0])
            held = conn.execute(f'SELECT "{field}" FROM "{table}" WHERE id = ?', (row_id,)).fetchone()
            assert held is not None, f"{table} {row_id} lost"
            assert _plain(held[0]) == _plain(value), f"{table}.{field} of {row_id}: {held[0]!r}, wanted {value!r}"

    losers = expected_losers(writes)
    for store in devices:
        assert conflicts(store) == losers, f"conflict rows of {store.path.name}"

    attacker = world.attacker
    if attacker is not None:  # every crafted change refused; its own sync holds PH-002 as the others do
        with attacker.store.connect() as conn:
            assert conn.execute("SELECT count(*) FROM applied_change WHERE problem IS NOT NULL").fetchone()[0] == 0
        limited = synced_rows(attacker.store, tables=("park", "tenant", "hazard"))
        park_id = attacker.parks["PH-002"]["park"]
        assert [r for r in limited["park"]] == [r for r in first["park"] if r[0] == park_id]
        assert limited["tenant"] and all(r in first["tenant"] for r in limited["tenant"])
        assert limited["hazard"] and all(r in first["hazard"] for r in limited["hazard"])

    # nothing lost, nothing doubled (the hub holds no change of the attacker)
    with world.app.state.engine.connect() as conn:
        on_hub = conn.execute(select(change.c.device_id, change.c.device_seq)).all()
        assert len(on_hub) == len(set(on_hub))
    # every stamp the skewed device left on the hub is within reach of the hub's clock
    with world.app.state.engine.connect() as conn:
        newest = max(conn.execute(select(change.c.hlc)).scalars(), default=None)
    assert newest is None or int(newest.split(".")[0]) < wall_clock_ms() + 60_000, "a stamp from the future"
    sent = set()
    for store in devices:
        with store.connect() as conn:
            _archive_table(conn)
            outbox = conn.execute(f"SELECT device_id, seq FROM {OUTBOX}").fetchall()
            assert conn.execute("SELECT count(*) FROM applied_change WHERE waiting_for IS NOT NULL "
                                "OR problem IS NOT NULL").fetchone()[0] == 0
            assert conn.execute("SELECT count(*) FROM rejected_change").fetchone()[0] == 0
        sent.update(outbox)
        assert push_cursor(store, world.base)[0] == max((seq for _, seq in outbox), default=0)
    assert set(map(tuple, on_hub)) == sent
    inserted = defaultdict(set)
    for store in devices:
        with store.connect() as conn:
            _archive_table(conn)
            for table, row_id in conn.execute(f"SELECT table_name, row_id FROM {OUTBOX} WHERE op = 'insert'"):
                inserted[table].add(row_id)
    for table, ids in inserted.items():
        held = [row[0] for row in first[table]]
        assert len(held) == len(set(held)) and ids <= set(held), f"{table}: rows lost or doubled"
    return losers


# --- running an example ------------------------------------------------------------------------------------


def run_example(hub_url_for, first_cuts, plan) -> set[tuple]:
    with tempfile.TemporaryDirectory(prefix="parkinspect-sim-") as folder:
        folder = Path(folder)
        hub_url = hub_url_for(folder)
        app = create_app(hub_url, rate_per_second=100_000, burst=100_000)
        try:
            with serve(app) as base:
                world = World(folder, hub_url, base, app)
                try:
                    return play(world, first_cuts, plan)
                finally:
                    world.close()
        finally:
            app.state.engine.dispose()


def play(world: World, first_cuts, plan) -> set[tuple]:
    seed = world.devices[0]
    parks = {code: add_park(seed, code, n=n) for n, code in enumerate(("PH-001", "PH-002"), start=1)}
    inspector_id = add_inspector(seed, "王主任")
    for _ in range(2):
        world.edit(("new_tenant", 0, 0, "初"))
    world.edit(("tenant", SKEWED, 0, "name", "早"))  # made before the skewed device ever synced
    assert world.sync(0)
    world.attacker = Attacker(world, parks, inspector_id)
    world.attacker.sync()
    for n in (1, 2):  # first syncs load the snapshot; a cut one is finished by the next
        world.sync(n, first_cuts[n - 1])
        assert world.sync(n)
    for step in plan:
        if step[0] == "sync":
            world.sync(step[1], step[2])
        elif step[0] == "attack":
            world.attacker.attack(step[1])
        else:
            world.edit(step)
    for _round in range(2):
        for n in range(DEVICES):
            assert world.sync(n)
    world.attacker.sync()
    return check_world(world)


def sqlite_hub(folder: Path) -> str:
    return new_sqlite_hub(folder / "hub.db")


COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow],
              derandomize=False)


@settings(max_examples=EXAMPLES, **COMMON)
@given(first_cuts=st.tuples(cut, cut), plan=steps)
def test_three_devices_converge_through_a_sqlite_hub(first_cuts, plan):
    run_example(sqlite_hub, first_cuts, plan)


@settings(max_examples=max(3, EXAMPLES // 2), **COMMON)
@given(first_cuts=st.tuples(cut, cut), plan=steps)
def test_three_devices_converge_through_a_postgresql_hub(postgres_cluster, first_cuts, plan):
    run_example(lambda _folder: postgres_cluster.new_hub_database(), first_cuts, plan)


def test_a_fixed_story_with_concurrent_edits_cut_syncs_and_a_tombstone_ends_with_its_conflicts():
    """The checks above on a known story: they find the losers and hold them to the devices."""
    plan = [("tenant", 1, 0, "name", "甲"), ("tenant", 2, 0, "name", "乙"), ("tombstone", 2, 1, True),
            ("tenant", 1, 1, "headcount", 7), ("sync", 1, (3, True)), ("hazard", 0, 0, "description", "丙"),
            ("sync", 2, (2, False)), ("hazard", 2, 0, "description", "丁"), ("sync", 0, None),
            ("quarterly", 1, 0, 20.0), ("quarterly", 2, 0, 1.5), ("sync", 1, None), ("sync", 2, (4, True)),
            ("rectification", 0, 0, "measures", "仓库"), ("rectification", 1, 0, "measures", "车间")]
    plan += [("attack", kind) for kind in sorted(ATTACKS)]
    losers = run_example(sqlite_hub, ((2, True), None), plan)
    assert {(table, field) for table, _, field, _, _ in losers} >= {
        ("tenant", "name"), ("hazard", "description"), ("rectification_item", "measures")}


long_steps = st.lists(st.one_of(edit, sync_step), min_size=20, max_size=60)


@pytest.mark.slow
@settings(max_examples=100, **COMMON)
@given(first_cuts=st.tuples(cut, cut), plan=long_steps)
def test_long_run_sqlite(first_cuts, plan):
    run_example(sqlite_hub, first_cuts, plan)


@pytest.mark.slow
@settings(max_examples=100, **COMMON)
@given(first_cuts=st.tuples(cut, cut), plan=long_steps)
def test_long_run_postgresql(postgres_cluster, first_cuts, plan):
    run_example(lambda _folder: postgres_cluster.new_hub_database(), first_cuts, plan)
