"""A province's hub on PostgreSQL: a thousand devices push and pull a day's work against a hub that
already holds ten million changes; prints JSON (docs/PERFORMANCE.md, "Province hub").

    python benchmarks/hub_province.py                                   # 1,000 devices, 10,000,000 changes
    python benchmarks/hub_province.py --devices 20 --changes 100000     # the short profile (about a minute)
    python benchmarks/hub_province.py --work /tmp/province --keep       # keep the cluster afterwards, to look at it
    python benchmarks/hub_province.py --url postgresql://…/empty_db     # a database of a running server instead

1. **Cluster**: a throwaway PostgreSQL (tests/postgres.py) in `--work` (a temporary folder by
   default), deleted at the end unless `--keep`. Seeded with fsync off, then restarted with fsync,
   synchronous_commit and full_page_writes on for the run. Make it again by running the command:
   nothing else is kept.
2. **Seed** (`seed_s`, `seed_disk_gb`): a demo device's outbox (6 parks × 40 tenants, the code of
   `parkinspect demo`) is pushed into the hub through `PushApplier` (the template: real, packed
   change rows, merged rows and unique keys). Its rows are then copied with COPY until the log
   holds `--changes`: copy r of template park i becomes a slice of park (r·6 + i) mod `--parks`;
   every row id is renamed per copy (its first 8 hex digits), the merged rows' snapshot texts with
   it, so the rows the devices edit are real rows of their parks. The logged payloads are the
   template's packed bytes as they were (their sizes are what count; nobody applies them), and
   unique-key digests are made distinct per copy. Secondary indexes are built after the copy.
3. **Devices**: `--devices` enrolments, park-limited (1-20 parks each, a province's inspectors)
   but for `--office-share` of them (devices of every park). Each runs a day as asyncio HTTP
   clients on loopback (`--concurrency` devices syncing at once): two syncs, each pushing half of
   its `--edits` edits (a tenant's contact renamed + its audit event; `--photo-share` of the edits
   with a photo: upload, attachment and link rows) then pulling until nothing is left; then one
   last pull each. Every device must end holding exactly the changes of its parks the others
   pushed (`complete`): no pull cursor skipped a change committed late with a lower sequence.
4. **Reported**: the rate the seeded hub serves a first sync of every park at (`snapshot_rows_per_s`,
   before the day), p50/p95/max of push and pull requests, changes accepted and delivered per second,
   the hub's CPU seconds and peak memory (uvicorn's processes; PostgreSQL's server processes,
   private memory), storage per change (pg_total_relation_size per table and index ÷ changes),
   and the plans (EXPLAIN ANALYZE) of a 20-park device's pull, snapshot page and push dedupe.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TEMPLATE_PARKS = 6  # the demo's defaults (`parkinspect demo`)
TEMPLATE_TENANTS = 40
SEED_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200",
                 "shared_buffers": "512MB", "maintenance_work_mem": "512MB", "max_wal_size": "2GB",
                 "checkpoint_timeout": "30min"}
RUN_SETTINGS = {**SEED_SETTINGS, "fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
PHOTO_BYTES = 150_000
PULL_LIMIT = 1000
UUID = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
CHANGE_COLUMNS = ("device_id", "device_seq", "table_name", "row_id", "park_id", "op", "hlc", "actor_id",
                  "payload", "base", "received_at")
ROW_COLUMNS = ("table_name", "row_id", "park_id", "sha256", "values", "field_hlcs", "field_seen", "deleted",
               "snapshot")
# Stored compact on PostgreSQL (hub/compact_ids.py): every column but the sequence, the payloads and the time.
CHANGE_ID_COLUMNS = (0, 2, 3, 4, 5, 6, 7)  # device_id, table_name, row_id, park_id, op, hlc, actor_id
ROW_ID_COLUMNS = (0, 1, 2)  # table_name, row_id, park_id


def hub_app():
    """The hub as each uvicorn worker builds it (`--factory`): the URL from the environment."""
    from inspect_app.hub.app import create_app

    return create_app(os.environ["PARKINSPECT_PROVINCE_HUB"], rate_per_second=1_000_000, burst=1_000_000)


def pg_connect(url: str):
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


# --- the seed ------------------------------------------------------------------------------------


def park_id(number: int) -> str:
    return f"{number:08x}-0000-7000-8000-{number:012x}"


@dataclass
class Template:
    changes: list[tuple]
    rows: list[tuple]
    keys: list[tuple]
    parks: list[str]  # template park ids
    shared: set[str]  # ids of rows of no park (kept once, never renamed)


def build_template(engine, folder: Path, parks: int, tenants: int) -> Template:
    """The demo's outbox pushed into the hub (the first copy), read back as stored."""
    from sqlalchemy import select

    from benchmarks.hub_storage import demo_outbox
    from inspect_app.hub.push import PushApplier
    from inspect_app.hub.storage import _device, device, enrol_device

    enrolled, _ = enrol_device(engine, "seed-template")
    with engine.begin() as conn:
        hub_device = _device(conn.execute(select(device).where(device.c.id == enrolled.id)).one())
    for batch in demo_outbox(folder, parks, tenants, 2026):
        with engine.begin() as conn:
            result = PushApplier(conn, hub_device, max_clock_skew_ms=10 ** 15).run(batch)
        if result.rejected:
            raise SystemExit(f"the hub refused the template's changes: {result.rejected[:3]}")
    with pg_connect(str(engine.url.render_as_string(hide_password=False))) as conn:
        # Ids and stamps as text (stored compact: hub/compact_ids.py); written back packed by the copies.
        changes = [_texts(r, CHANGE_ID_COLUMNS) for r in
                   conn.execute(f"SELECT {', '.join(CHANGE_COLUMNS)} FROM change ORDER BY seq").fetchall()]
        rows = [_texts(r, ROW_ID_COLUMNS) for r in
                conn.execute(f'SELECT {", ".join(map(_quote, ROW_COLUMNS))} FROM row_state').fetchall()]
        keys = [_texts(r, (1,)) for r in conn.execute("SELECT key, row_id FROM unique_key").fetchall()]
        parks = sorted(r[1] for r in rows if r[0] == "park")
    shared = {r[1] for r in rows if r[2] is None}
    return Template(changes=changes, rows=rows, keys=keys, parks=parks, shared=shared)


def _quote(name: str) -> str:
    return f'"{name}"'


def _texts(row: tuple, positions: tuple[int, ...]) -> tuple:
    """A row read with psycopg, its compact id columns (hub/compact_ids.py) as their text."""
    from inspect_app.hub.compact_ids import unpack

    return tuple(unpack(bytes(v)) if i in positions and v is not None else v for i, v in enumerate(row))


def _packed(value: str | None) -> bytes | None:
    """An id or stamp as a compact column stores it (what SQLAlchemy's `CompactText` writes)."""
    from inspect_app.hub.compact_ids import pack

    return None if value is None else pack(value)


class Renamer:
    """Row ids of copy `r`: template parks become province parks, other ids get r's 8 hex digits."""

    def __init__(self, template: Template, parks: int):
        self.template, self.parks = template, parks
        self.park_index = {p: i for i, p in enumerate(template.parks)}

    def park_of(self, copy: int, template_park: str) -> str:
        return park_id((copy * len(self.park_index) + self.park_index[template_park]) % self.parks + 1)

    def rename(self, copy: int, value: str) -> str:
        if value in self.park_index:
            return self.park_of(copy, value)
        if value in self.template.shared:
            return value
        return f"{copy:08x}{value[8:]}"

    def text(self, copy: int, text: str | None) -> str | None:
        if text is None:
            return None
        return UUID.sub(lambda m: self.rename(copy, m.group(0)), text)


def seed(url: str, engine, folder: Path, target: int, parks: int, template_size: tuple[int, int]) -> dict:
    """Fill the hub to `target` changes over `parks` parks (module docstring, step 2)."""
    started = time.perf_counter()
    template = build_template(engine, folder, *template_size)
    renamer = Renamer(template, parks)
    per_copy = len(template.changes)
    copies = max(1, -(-target // per_copy))
    with pg_connect(url) as conn:
        indexes = drop_secondary_indexes(conn)
        # Copy 0 is the template itself (pushed above); copies 1.. are written here.
        written_parks = {renamer.park_of(0, p) for p in template.parks}
        # The template's parks are renamed in place so that copy 0 is park 1..6 like every other.
        rename_template_parks(conn, renamer)
        device_seq: dict[str, int] = {}
        now = datetime.now(UTC)
        changes_left = target - per_copy
        for copy in range(1, copies):
            with conn.cursor().copy(f"COPY change ({', '.join(CHANGE_COLUMNS)}) FROM STDIN") as out:
                for c in template.changes[:changes_left]:
                    device = f"seed{copy % 400:03d}"
                    device_seq[device] = device_seq.get(device, 0) + 1
                    park = renamer.rename(copy, c[4]) if c[4] is not None else None
                    out.write_row((_packed(device), device_seq[device], _packed(c[2]),
                                   _packed(renamer.rename(copy, c[3])), _packed(park), _packed(c[5]), _packed(c[6]),
                                   _packed(c[7]), c[8], c[9], now))
            changes_left -= min(per_copy, changes_left)
            with conn.cursor().copy(f"COPY row_state ({', '.join(map(_quote, ROW_COLUMNS))}) FROM STDIN") as out:
                for r in template.rows:
                    if r[2] is None:
                        continue  # rows of no park (inspectors, plans): the template's only
                    renamed = renamer.rename(copy, r[1])
                    if r[0] == "park":
                        if renamed in written_parks:
                            continue
                        written_parks.add(renamed)
                    out.write_row((_packed(r[0]), _packed(renamed), _packed(renamer.rename(copy, r[2])), r[3],
                                   _packed_text(renamer, copy, r[4], json_value=True),
                                   None if r[5] is None else json.dumps(r[5]),
                                   None if r[6] is None else json.dumps(r[6]), r[7],
                                   _packed_text(renamer, copy, r[8])))
            with conn.cursor().copy("COPY unique_key (key, row_id) FROM STDIN") as out:
                for k in template.keys:
                    if k[1] in template.shared:
                        continue
                    out.write_row((hashlib.sha256(b"%d:" % copy + bytes(k[0])).digest()[:16],
                                   _packed(renamer.rename(copy, k[1]))))
            if changes_left <= 0:
                break
        index_started = time.perf_counter()
        for statement in indexes:
            conn.execute(statement)
        conn.execute("ANALYZE")
        index_s = time.perf_counter() - index_started
        total = conn.execute("SELECT count(*) FROM change").fetchone()[0]
    return {"seed_changes": total, "seed_copies": copies, "template_changes": per_copy,
            "seed_parks": min(parks, copies * len(template.parks)),
            "seed_s": round(time.perf_counter() - started, 1), "seed_index_s": round(index_s, 1)}


def _packed_text(renamer: Renamer, copy: int, stored: bytes | None, json_value: bool = False) -> bytes | None:
    """A packed `row_state` value (snapshot text or values) with copy `copy`'s row ids, packed again."""
    from inspect_app.hub.log_codec import SNAPSHOT_VERSION, pack, pack_text, unpack_text

    if stored is None:
        return None
    text = renamer.text(copy, unpack_text(bytes(stored)))
    return pack(json.loads(text)) if json_value else pack_text(text, SNAPSHOT_VERSION)


def rename_template_parks(conn, renamer: Renamer) -> None:
    """Copy 0's parks get province park ids (1..6) like every later copy's, in every place they
    appear: the park rows, the park column of rows and changes, and the park rows' snapshots."""
    from inspect_app.hub.log_codec import SNAPSHOT_VERSION, pack_text, unpack_text

    for name in renamer.template.parks:
        # The ids as stored (hub/compact_ids.py); the snapshot texts are packed (hub/log_codec.py):
        # renamed here, not by SQL's replace().
        old, new, park = _packed(name), _packed(renamer.park_of(0, name)), _packed("park")
        rows = conn.execute("SELECT table_name, row_id, snapshot FROM row_state WHERE park_id = %s "
                            "AND snapshot IS NOT NULL", (old,)).fetchall()
        for table, row_id, stored in rows:
            text = unpack_text(bytes(stored)).replace(name, renamer.park_of(0, name))
            conn.execute("UPDATE row_state SET snapshot = %s WHERE table_name = %s AND row_id = %s",
                         (pack_text(text, SNAPSHOT_VERSION), table, row_id))
        conn.execute("UPDATE row_state SET row_id = %s WHERE table_name = %s AND row_id = %s", (new, park, old))
        conn.execute("UPDATE row_state SET park_id = %s WHERE park_id = %s", (new, old))
        conn.execute("UPDATE change SET park_id = %s WHERE park_id = %s", (new, old))
        conn.execute("UPDATE change SET row_id = %s WHERE table_name = %s AND row_id = %s", (new, park, old))
        conn.execute("UPDATE unique_key SET row_id = %s WHERE row_id = %s", (new, old))


def drop_secondary_indexes(conn) -> list[str]:
    """Drop the log's and rows' indexes that are not primary keys or constraints; the statements
    that make them again (a bulk load then builds each once, sorted, instead of row by row)."""
    found = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        "AND i.tablename IN ('change', 'row_state', 'unique_key') "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)").fetchall()
    for name, _ in found:
        conn.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


# --- devices -------------------------------------------------------------------------------------


@dataclass
class SimDevice:
    name: str
    token: str
    device_id: str
    parks: list[str]  # empty: every park
    tenants: list[tuple[str, str, str]]  # (row id, park id, the stamp of its contact as the hub holds it)
    cursor: int
    base: str = ""  # the hub address this device syncs with (one of the hub's processes)
    seq: int = 0
    counter: int = 0
    pushed: list[tuple[int, str]] = field(default_factory=list)  # (device_seq, park) accepted
    received: set[tuple[str, int]] = field(default_factory=set)

    def stamp(self) -> str:
        self.counter += 1
        return f"{int(time.time() * 1000):013d}.{self.counter % 100_000:05d}.{self.device_id}"


def enrol_devices(engine, url: str, count: int, parks: int, office_share: float, rng: random.Random) -> list[SimDevice]:
    from inspect_app.hub.storage import enrol_device

    with pg_connect(url) as conn:
        cursor = conn.execute("SELECT max(seq) FROM change").fetchone()[0] or 0
    devices = []
    offices = max(1, round(count * office_share)) if office_share > 0 else 0
    for number in range(count):
        assigned = [] if number < offices else [park_id(rng.randrange(parks) + 1)
                                                  for _ in range(rng.randint(1, 20))]
        assigned = list(dict.fromkeys(assigned))
        enrolled, token = enrol_device(engine, f"province-{number:04d}", assigned)
        devices.append(SimDevice(name=enrolled.name, token=token, device_id=f"{rng.getrandbits(128):032x}",
                                 parks=assigned, tenants=[], cursor=cursor))
    with pg_connect(url) as conn:
        for dev in devices:
            own = dev.parks or [park_id(rng.randrange(parks) + 1)]
            rows = [_texts(r, (0, 1)) for r in conn.execute(
                "SELECT row_id, park_id, field_hlcs, snapshot FROM row_state WHERE table_name = %s "
                "AND park_id = ANY(%s) AND NOT deleted LIMIT 200", (_packed("tenant"), [_packed(p) for p in own])).fetchall()]
            dev.tenants = [(r[0], r[1], _clocks(r[2], r[3]).get("contact_name", _clocks(r[2], r[3])["id"])) for r in rows]
            if not dev.tenants:
                raise SystemExit(f"no tenant in the parks of {dev.name}")
    return devices


def _clocks(field_hlcs: dict | None, snapshot: bytes | None) -> dict:
    """A row's stored clocks: NULL when the insert's stamp alone, kept in the snapshot (hub/rows.py)."""
    from inspect_app.hub.log_codec import unpack_text

    return field_hlcs if field_hlcs is not None else {"id": json.loads(unpack_text(bytes(snapshot)))[1]}


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def sync_columns(dev: SimDevice, row_id: str) -> tuple[dict, str]:
    stamp = dev.stamp()
    now = iso_now()
    return {"id": row_id, "hlc": stamp, "origin_device": dev.device_id, "deleted": False,
            "created_at": now, "updated_at": now}, stamp


def new_id(rng: random.Random) -> str:
    value = f"{rng.getrandbits(128):032x}"
    return f"{value[:8]}-{value[8:12]}-7{value[13:16]}-8{value[17:20]}-{value[20:32]}"


def edit(dev: SimDevice, rng: random.Random, photo: bool) -> tuple[list[dict], bytes | None]:
    """One edit as the device writes it: the tenant's contact renamed, its audit event, and with
    a photo the attachment and its link (the photo's bytes to upload first)."""
    tenant, park, base = rng.choice(dev.tenants)
    name = f"联系人{rng.randrange(10_000)}"
    stamp = dev.stamp()
    changes = [{"table": "tenant", "row_id": tenant, "op": "update", "hlc": stamp,
                "payload": {"contact_name": name, "hlc": stamp, "origin_device": dev.device_id,
                            "updated_at": iso_now()}, "base": {"contact_name": base}}]
    audit_id = new_id(rng)
    columns, audit_stamp = sync_columns(dev, audit_id)
    changes.append({"table": "audit_event", "row_id": audit_id, "op": "insert", "hlc": audit_stamp, "base": {},
                    "payload": {**columns, "table_name": "tenant", "row_id": tenant, "action": "update",
                                "actor_id": None, "before": {"contact_name": None}, "after": {"contact_name": name}}})
    content = None
    if photo:
        content = rng.randbytes(PHOTO_BYTES)
        digest = hashlib.sha256(content).hexdigest()
        attachment_id, link_id = new_id(rng), new_id(rng)
        columns, attachment_stamp = sync_columns(dev, attachment_id)
        changes.append({"table": "attachment", "row_id": attachment_id, "op": "insert", "hlc": attachment_stamp,
                        "base": {}, "payload": {**columns, "sha256": digest, "size": len(content),
                                                "media_type": "image/jpeg", "original_name": "现场.jpg"}})
        columns, link_stamp = sync_columns(dev, link_id)
        changes.append({"table": "attachment_link", "row_id": link_id, "op": "insert", "hlc": link_stamp, "base": {},
                        "payload": {**columns, "attachment_sha256": digest, "owner_table": "tenant",
                                    "owner_id": tenant, "caption": "门头"}})
    for change in changes:
        dev.seq += 1
        change.update(device_id=dev.device_id, device_seq=dev.seq, actor_id=None)
        change["park"] = park
    return changes, content


@dataclass
class Timings:
    push: list[float] = field(default_factory=list)
    pull: list[float] = field(default_factory=list)
    upload: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    accepted: int = 0
    delivered: int = 0
    retries: int = 0


RETRIES = 3  # as the device's client: a dropped connection is tried again (a push is idempotent)


async def request(http, timings: list[float], method: str, path: str, dev: SimDevice, t: Timings, **kwargs):
    import httpx

    for attempt in range(RETRIES):
        started = time.perf_counter()
        try:
            answer = await http.request(method, dev.base + path,
                                        headers={"Authorization": f"Bearer {dev.token}"}, **kwargs)
        except httpx.TransportError:  # e.g. a kept-alive connection the server closed meanwhile
            if attempt == RETRIES - 1:
                raise
            t.retries += 1
            await asyncio.sleep(0.5 * 2 ** attempt)
            continue
        timings.append(time.perf_counter() - started)
        answer.raise_for_status()
        return answer
    raise AssertionError("unreachable")


async def sync(http, dev: SimDevice, edits: int, photo_share: float, rng: random.Random, t: Timings) -> None:
    """Upload the photos, push the edits (≤ 500 changes a request), pull until nothing is left."""
    changes: list[dict] = []
    for _ in range(edits):
        made, content = edit(dev, rng, rng.random() < photo_share)
        if content is not None:
            await request(http, t.upload, "PUT", f"/api/v1/attachments/{made[2]['payload']['sha256']}", dev, t,
                          content=content)
        changes.extend(made)
    for start in range(0, len(changes), 500):
        batch = changes[start:start + 500]
        body = {"changes": [{k: v for k, v in c.items() if k != "park"} for c in batch]}
        answer = (await request(http, t.push, "POST", "/api/v1/push", dev, t, json=body)).json()
        if answer["rejected"]:
            raise RuntimeError(f"{dev.name}: the hub refused {answer['rejected'][:2]}")
        dev.pushed.extend((c["device_seq"], c["park"]) for c in batch)
        t.accepted += len(batch)
    await pull(http, dev, t)


async def pull(http, dev: SimDevice, t: Timings) -> None:
    while True:
        page = (await request(http, t.pull, "GET", "/api/v1/changes", dev, t,
                              params={"after": dev.cursor, "limit": PULL_LIMIT})).json()
        dev.received.update((c["device_id"], c["device_seq"]) for c in page["changes"])
        t.delivered += len(page["changes"])
        dev.cursor = page["next_after"]
        if not page["has_more"]:
            return


async def run_day(bases: list[str], devices: list[SimDevice], edits: int, photo_share: float, concurrency: int,
                  seed_value: int) -> tuple[Timings, float]:
    """Each device's day (two syncs, then a last pull) against the hub at `bases` (device i uses
    address i mod n: more than one hub process on one database)."""
    import httpx

    for number, dev in enumerate(devices):
        dev.base = bases[number % len(bases)]
    t = Timings()
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def one(dev: SimDevice, part: int, rng: random.Random) -> None:
        async with gate:
            try:
                if part is None:
                    await pull(http, dev, t)
                else:
                    await sync(http, dev, part, photo_share, rng, t)
            except (httpx.HTTPError, RuntimeError) as exc:
                t.errors.append(f"{dev.name}: {type(exc).__name__}: {exc}"[:300])

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=300, limits=limits) as http:
        halves = (edits // 2, edits - edits // 2)
        for round_number, part in enumerate(halves):
            order = list(devices)
            random.Random(seed_value + round_number).shuffle(order)
            await asyncio.gather(*(one(dev, part, random.Random(f"{seed_value}:{dev.name}:{round_number}"))
                                   for dev in order))
        await asyncio.gather(*(one(dev, None, random.Random(0)) for dev in devices))  # the last pull
    return t, time.perf_counter() - started


def completeness(devices: list[SimDevice]) -> dict:
    """Each device holds exactly the others' accepted changes of its parks (all, for an office)."""
    missing = extra = 0
    for dev in devices:
        parks = set(dev.parks)
        expected = {(other.device_id, seq) for other in devices if other is not dev
                    for seq, park in other.pushed if not parks or park in parks}
        missing += len(expected - dev.received)
        extra += len(dev.received - expected)
    return {"complete": missing == 0 and extra == 0, "missing": missing, "unexpected": extra}


# --- the hub process and what it costs ------------------------------------------------------------


class Sampler(threading.Thread):
    """CPU seconds and peak memory of the hub's process trees (uvicorn; PostgreSQL's server),
    sampled twice a second. PostgreSQL's memory is each process's private part (RSS - shared):
    its shared buffers are counted once, as `shared_buffers`."""

    def __init__(self, uvicorn_pid: int, url: str):
        super().__init__(daemon=True)
        import psutil

        # The server's main process is the parent of each backend: asked while this connection's
        # backend still lives (it exits when the connection closes).
        with pg_connect(url) as conn:
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            server = psutil.Process(backend).parent()
        self.trees = {"uvicorn": psutil.Process(uvicorn_pid), "postgres": server}
        self.peak = dict.fromkeys(self.trees, 0.0)
        self.start_cpu = self.cpu()
        self.stopping = threading.Event()

    def cpu(self) -> dict[str, float]:
        import psutil

        result = {}
        for name, root in self.trees.items():
            total = 0.0
            for proc in [root, *root.children(recursive=True)]:
                try:
                    times = proc.cpu_times()
                    total += times.user + times.system + times.children_user + times.children_system
                except psutil.Error:
                    pass
            result[name] = total
        return result

    def memory(self) -> dict[str, float]:
        import psutil

        result = {}
        for name, root in self.trees.items():
            total = 0
            for proc in [root, *root.children(recursive=True)]:
                try:
                    info = proc.memory_info()
                    total += info.rss if name == "uvicorn" else max(0, info.rss - info.shared)
                except psutil.Error:
                    pass
            result[name] = total / 1e6
        return result

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            for name, mb in self.memory().items():
                self.peak[name] = max(self.peak[name], mb)

    def finish(self, seconds: float) -> dict:
        self.stopping.set()
        self.join()
        end = self.cpu()
        return {f"{name}_cpu_s": round(end[name] - self.start_cpu[name], 1) for name in self.trees} | {
            f"{name}_cpu_share": round((end[name] - self.start_cpu[name]) / seconds, 2) for name in self.trees} | {
            f"{name}_peak_mb": round(self.peak[name]) for name in self.trees}


def serve_here(url: str):
    from inspect_app.hub.app import create_app
    from tests.hub_server import serve

    return serve(create_app(url, rate_per_second=1_000_000, burst=1_000_000))


def start_hub(url: str, workers: int):
    import httpx

    from tests.hub_server import free_port

    port = free_port()
    env = {**os.environ, "PARKINSPECT_PROVINCE_HUB": url, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "benchmarks.hub_province:hub_app", "--factory",
                                "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                                "--log-level", "warning"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(1200):
        try:
            if httpx.get(f"{base}/api/v1/health").status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.05)
    process.terminate()
    raise RuntimeError("the hub did not start")


# --- plans and storage ---------------------------------------------------------------------------


def explain(engine, query) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of a SQLAlchemy query: its time, the buffers it touched, its plan."""
    from sqlalchemy import text

    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        lines = [row[0] for row in conn.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"))]
    buffers = [int(n) for line in lines[:3] for n in re.findall(r"(?:hit|read)=(\d+)", line)]
    took = next((float(m.group(1)) for line in lines if (m := re.search(r"Execution Time: ([\d.]+)", line))), None)
    return {"ms": took, "buffers": sum(buffers), "plan": [line.strip() for line in lines if "->" in line][:6]}


def plans(engine, url: str, top_before: int) -> dict:
    """The queries a 20-park device's sync runs, against the seeded hub (module docstring)."""
    from sqlalchemy import and_, or_, select, text

    from inspect_app.hub import pull, snapshot
    from inspect_app.hub.push import SHARED_TABLES, unique_key_query
    from inspect_app.hub.storage import Device, change, row_state

    with pg_connect(url) as conn:
        every = [_texts(r, (0,))[0] for r in conn.execute(
            "SELECT row_id FROM row_state WHERE table_name = %s ORDER BY row_id", (_packed("park"),))]
        parks = every[::max(1, len(every) // 20)][:20]  # spread over the province, not its first parks
        newest = conn.execute("SELECT max(seq) FROM change").fetchone()[0]
        busy_device = _texts(conn.execute("SELECT device_id FROM change WHERE seq = %s", (newest,)).fetchone(), (0,))[0]
        key = conn.execute("SELECT key FROM unique_key LIMIT 1").fetchone()
    device = Device(id="x", name="x", device_id="0" * 32, parks=tuple(parks), created_at=datetime.now(UTC),
                    revoked_at=None)
    # The pull as it was: one scan with the parks in an OR, ordered by seq.
    scope = or_(change.c.park_id.in_(parks), and_(change.c.park_id.is_(None),
                                                  change.c.table_name.in_(sorted(SHARED_TABLES))))

    def one_query(after: int):
        return (select(change).where(change.c.seq > after, change.c.seq <= newest,
                                     change.c.device_id != device.device_id, scope)
                .order_by(change.c.seq).limit(PULL_LIMIT + 1))

    return {
        "pull_first_page_per_park": explain(engine, pull.page_query(device, 0, newest, PULL_LIMIT + 1)),
        "pull_first_page_one_scan": explain(engine, one_query(0)),
        "pull_day_per_park": explain(engine, pull.page_query(device, top_before, newest, PULL_LIMIT + 1)),
        "pull_day_one_scan": explain(engine, one_query(top_before)),
        "snapshot_check_result_per_park": explain(engine, snapshot.page_query(device, "check_result", "", 2001)),
        # The page as it was: the table's rows in row-id order, the device's parks kept.
        "snapshot_check_result_one_scan": explain(engine, select(row_state.c.row_id, row_state.c.snapshot).where(
            row_state.c.table_name == "check_result", row_state.c.row_id > "",
            row_state.c.park_id.in_(parks)).order_by(row_state.c.row_id).limit(2001)),
        # The push's look-up of a unique key (`unique_key_query`), its digest spelt as a literal.
        **({} if key is None else {"push_unique_keys": explain(engine, text(
            str(unique_key_query([b""]).compile(engine)).replace(
                "(__[POSTCOMPILE_key_1])", f"('\\x{bytes(key[0]).hex()}'::bytea)")))}),
        "push_dedupe": explain(engine, select(change.c.device_seq).where(
            change.c.device_id == busy_device, change.c.device_seq.in_(list(range(1, 501))))),
    }


def first_sync_rate(url: str) -> dict:
    """The hub's part of a first sync of a device of every park, over the seeded hub: every table's
    snapshot pages (`snapshot_rows_per_s`, as benchmarks/hub_storage.py measures it on SQLite)."""
    from benchmarks.hub_storage import snapshot_rate
    from inspect_app.hub.storage import Device

    every_park = Device(id="x", name="x", device_id=None, parks=(), created_at=datetime.now(UTC), revoked_at=None)
    return snapshot_rate(url, every_park)


def storage(url: str) -> dict:
    with pg_connect(url) as conn:
        changes = conn.execute("SELECT count(*) FROM change").fetchone()[0]
        rows = conn.execute(
            "SELECT c.relname, pg_relation_size(c.oid) + COALESCE(pg_total_relation_size(c.reltoastrelid), 0), "
            "c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') ORDER BY 2 DESC").fetchall()
        database = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    attachments = next((size for name, size, _ in rows if name == "attachment"), 0)
    per_change = {name: round(size / changes) for name, size, _ in rows if size / changes >= 1}
    return {"changes": changes, "database_mb": round(database / 1e6),
            "bytes_per_change": round((database - attachments) / changes),
            "attachment_mb": round(attachments / 1e6), "per_change": per_change}


# --- the run ---------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency(values: list[float]) -> dict:
    return {"count": len(values), "p50_ms": round(percentile(values, 0.5) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "max_ms": round(max(values, default=0) * 1000, 1)}


def du_gb(folder: Path) -> float:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return round(total / 1e9, 2)


def measure(args) -> dict:
    report: dict = {"devices": args.devices, "parks": args.parks, "edits": args.edits,
                    "photo_share": args.photo_share, "workers": args.workers, "concurrency": args.concurrency,
                    "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    if args.url:  # an empty database of a server already running, as it is set up
        report.update(simulate(args, args.url, None))
        return report
    from tests.postgres import PostgresCluster, find_binaries

    binaries = find_binaries()
    if binaries is None:
        raise SystemExit("PostgreSQL's initdb/pg_ctl not found")
    work = Path(args.work or tempfile.mkdtemp(prefix="parkinspect-province-"))
    work.mkdir(parents=True, exist_ok=True)
    os.chmod(work, 0o755)  # as root the server runs as `nobody`, who must reach its folder
    cluster = PostgresCluster(binaries, parent=str(work))
    try:
        cluster.start(SEED_SETTINGS)
        report.update(simulate(args, cluster.url(), cluster))
    finally:
        if args.keep:
            report["kept"] = str(cluster.root)
        else:
            cluster.stop()
            if not args.work:
                shutil.rmtree(work, ignore_errors=True)
    return report


def simulate(args, url: str, cluster) -> dict:
    """Seed, enrol, run the day and measure (module docstring); `cluster`: restarted durable after the seed."""
    from sqlalchemy import create_engine

    from inspect_app.hub.storage import open_engine

    report: dict = {}
    engine = open_engine(url)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="parkinspect-province-template-") as scratch:
        report.update(seed(url, engine, Path(scratch), args.changes, args.parks,
                           (args.template_parks, args.template_tenants)))
    engine.dispose()
    if cluster is not None:
        cluster.restart(RUN_SETTINGS)
        report["seed_disk_gb"] = du_gb(cluster.data)
    engine = create_engine(url)
    hub = None
    stack = contextlib.ExitStack()
    try:
        report["storage_seeded"] = storage(url)
        report.update(first_sync_rate(url))
        with pg_connect(url) as conn:
            top_before = conn.execute("SELECT max(seq) FROM change").fetchone()[0]
        started = time.perf_counter()
        devices = enrol_devices(engine, url, args.devices, report["seed_parks"], args.office_share, rng)
        report["enrol_s"] = round(time.perf_counter() - started, 1)
        if args.workers == 0:  # served by a thread of this process (tests): the figures include the clients
            base = stack.enter_context(serve_here(url))
            sampler = Sampler(os.getpid(), url)
        else:
            hub, base = start_hub(url, args.workers)
            sampler = Sampler(hub.pid, url)
        sampler.start()
        timings, seconds = asyncio.run(run_day([base], devices, args.edits, args.photo_share, args.concurrency,
                                               args.seed))
        report["day_s"] = round(seconds, 1)
        report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        report["hub"] = sampler.finish(seconds)
        report["push"] = latency(timings.push)
        report["pull"] = latency(timings.pull)
        report["upload"] = latency(timings.upload)
        report["accepted_per_s"] = round(timings.accepted / seconds)
        report["delivered_per_s"] = round(timings.delivered / seconds)
        report["accepted"], report["delivered"] = timings.accepted, timings.delivered
        report["errors"] = len(timings.errors)
        report["retries"] = timings.retries
        report["first_errors"] = timings.errors[:5]
        report.update(completeness(devices))
        report["plans"] = plans(engine, url, top_before)
        report["storage"] = storage(url)
    finally:
        stack.close()
        if hub is not None:
            hub.terminate()
            hub.wait(timeout=60)
        engine.dispose()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=10_000_000, help="changes the hub holds before the day")
    parser.add_argument("--parks", type=int, default=1500)
    parser.add_argument("--edits", type=int, default=50, help="edits per device in the day")
    parser.add_argument("--photo-share", type=float, default=0.05)
    parser.add_argument("--office-share", type=float, default=0.02, help="devices of every park")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (0: a thread of this process)")
    parser.add_argument("--concurrency", type=int, default=50, help="devices syncing at once")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--template-parks", type=int, default=TEMPLATE_PARKS, help="the demo copied by the seed")
    parser.add_argument("--template-tenants", type=int, default=TEMPLATE_TENANTS)
    parser.add_argument("--url", help="an empty hub database of a running server instead of a new cluster")
    parser.add_argument("--work", help="folder for the cluster (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the cluster (its folder is printed)")
    args = parser.parse_args(argv)
    report = measure(args)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report.get("complete") and not report.get("errors") else 1


if __name__ == "__main__":
    sys.exit(main())
