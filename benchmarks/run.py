"""ParkInspect benchmarks on the 30,000-tenant database; prints a table (or JSON with --json).

    python benchmarks/generate.py --hazards 20000   # once: benchmarks/out/bench.db, 300 parks x 100 tenants
    python benchmarks/run.py [--db benchmarks/out/bench.db] [--repeat 5] [--warmup 1] [--json] [--strict]

Metrics (docs/PERFORMANCE.md says how to read them):

startup_bare_s       spawn -> exit of `startup_probe.py bare`: a bare Textual app importing the same
                     libraries, exiting right after its first paint (headless)
startup_app_s        spawn -> exit of `startup_probe.py app`: ParkInspect on the database, exiting
                     right after the park list painted its rows (headless)
startup_ratio        median app / median bare (target <= 1.3); min/max are of back-to-back pairs
startup_paint_ratio  the same from spawn to the first paint only (the probes report it)
ledger_open_ms       Pilot, 80x24: enter on the park with the most tenants -> LedgerScreen.show done
ledger_open_paint_ms the same, up to the refresh that follows show (rows on screen)
search_keystroke_ms  Pilot, every park's ledger: one key typed into the search box -> the show() of
                     the query it started is done (each key waits for its rows before the next):
                     精密机械, six digits of a credit code, the initials jm, 有限公司, each then emptied
peak_rss_app_mb      ru_maxrss of the startup_app processes
peak_rss_session_mb  ru_maxrss of this process after the Pilot session (ledgers opened, searched)
inspection_open_ms   Pilot, 80x24: push InspectionScreen on a finished fire-safety inspection of a
                     tenant (31 items; a different one each run) -> the end of its on_mount (loaded,
                     checklist in the table); only when inspect_app/screens/inspection.py exists
inspection_open_paint_ms  the same, up to the refresh that follows (the checklist on screen)
inspection_load_ms   services.inspections.load_inspection alone, on the same inspections
hazards_open_ms      Pilot, 80x24: push HazardsScreen() as the park list does (every park, hazards not
                     closed) -> the end of its first show() (first page in the table)
hazards_open_paint_ms  the same, up to the refresh that follows (rows on screen)
hazards_open_count_ms  the same, up to the count on the status line (read after the rows, capped)
hazards_view_ms      services.hazards.hazard_page, first page (HazardQuery's default page size) of
                     every park's hazards, earliest deadline first: what the view waits for; the
                     same for a few filters is printed below the main table (a checkout before
                     hazard_page: list_hazards, page and count together)
hazards_count_ms     services.hazards.count_hazards of the same, capped as the view caps it

Targets are judged on the median. The startup probes run alternately (bare, app, bare, app...)
after --warmup unmeasured runs of each, so that a busy moment of the machine hits both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_DB = ROOT / "benchmarks" / "out" / "bench.db"
PROBE = Path(__file__).resolve().parent / "startup_probe.py"
SIZE = (80, 24)
WORD = "精密机械"  # typed a character at a time; 精 is in about 1 name in 30
INITIALS = "jm"  # pinyin initials (佳美, 嘉铭, 精密…): two letters, too short for trigrams
COMMON = "有限公司"  # in nearly every name
WAIT_TIMEOUT_S = 30.0

TARGETS = {  # metric -> upper limit of the median
    "startup_ratio": 1.3,
    "ledger_open_ms": 150.0,
    "search_keystroke_ms": 50.0,
    "peak_rss_app_mb": 200.0,
    "peak_rss_session_mb": 200.0,
    "hazards_open_ms": 100.0,  # to the first rows
    "hazards_view_ms": 100.0,
}
METRICS = (
    "startup_bare_s",
    "startup_app_s",
    "startup_ratio",
    "startup_paint_ratio",
    "ledger_open_ms",
    "ledger_open_paint_ms",
    "search_keystroke_ms",
    "peak_rss_app_mb",
    "peak_rss_session_mb",
    "inspection_open_ms",
    "inspection_open_paint_ms",
    "inspection_load_ms",
    "hazards_open_ms",
    "hazards_open_paint_ms",
    "hazards_open_count_ms",
    "hazards_view_ms",
    "hazards_count_ms",
)


@dataclass
class Metric:
    name: str
    samples: list[float]
    value: float | None = None  # what is judged and shown as the median, if not the samples' median

    @property
    def median(self) -> float:
        return self.value if self.value is not None else statistics.median(self.samples)

    @property
    def target(self) -> str:
        return f"<= {TARGETS[self.name]:g}" if self.name in TARGETS else ""

    @property
    def passed(self) -> bool | None:
        return self.median <= TARGETS[self.name] if self.name in TARGETS else None


@dataclass
class Keystroke:
    key: str
    search: str  # the search box after the key
    matches: int
    ms: float
    cpu_ms: float = 0.0  # the process's CPU time over the same span (UI and query threads)


@dataclass
class HazardFilter:
    name: str  # what the hazards view is asked for
    matches: int  # hazards matching (the count the view shows)
    rows: int  # rows on the first page
    samples: list[float]  # ms per first page (hazard_page; list_hazards in an older checkout)
    count_samples: list[float] = field(default_factory=list)  # ms per capped count (count_hazards)
    more: bool = False  # the count met the cap: "more than"


@dataclass
class Results:
    metrics: dict[str, Metric] = field(default_factory=dict)
    keystrokes: list[Keystroke] = field(default_factory=list)
    hazard_filters: list[HazardFilter] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, metric: Metric) -> None:
        self.metrics[metric.name] = metric


# --- start-up, one process per run ----------------------------------------------------------------


def probe(args: list[str]) -> dict:
    """Spawn the probe; return its JSON report plus the wall seconds from spawn to exit."""
    env = {**os.environ, "BENCH_SPAWN_MONOTONIC": repr(time.monotonic())}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(PROBE), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    out, err = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(
            f"startup probe {args} failed ({process.returncode}):\n{err.decode(errors='replace')}"
        )
    report = json.loads(out.decode().strip().splitlines()[-1])
    report["wall_s"] = wall
    return report


def ratio_metric(name: str, app: list[dict], bare: list[dict], key: str) -> Metric:
    pairs = [a[key] / b[key] for a, b in zip(app, bare, strict=True)]
    return Metric(
        name, pairs, statistics.median(a[key] for a in app) / statistics.median(b[key] for b in bare)
    )


def startup(results: Results, db: Path, repeat: int, warmup: int) -> None:
    bare_args, app_args = ["bare"], ["app", "--db", str(db)]
    for _ in range(warmup):  # bytecode caches, the page cache
        probe(bare_args)
        probe(app_args)
    bare, app = [], []
    for _ in range(repeat):
        bare.append(probe(bare_args))
        app.append(probe(app_args))
    if not all(r["parks_shown"] for r in app):
        raise RuntimeError("the app exited without showing any park")
    results.add(Metric("startup_bare_s", [r["wall_s"] for r in bare]))
    results.add(Metric("startup_app_s", [r["wall_s"] for r in app]))
    results.add(ratio_metric("startup_ratio", app, bare, "wall_s"))
    results.add(ratio_metric("startup_paint_ratio", app, bare, "paint_s"))
    results.add(Metric("peak_rss_app_mb", [r["rss_mb"] for r in app]))
    results.notes.append(
        "spawn -> first paint, median: bare {:.3f} s, app {:.3f} s".format(
            statistics.median(r["paint_s"] for r in bare), statistics.median(r["paint_s"] for r in app)
        )
    )
    extra = set(app[0]["modules"]) - set(bare[0]["modules"])
    roots = sorted(m for m in extra if not any(m.startswith(other + ".") for other in extra))
    if roots:
        results.notes.append(
            "third-party modules only the app loads (and their submodules): " + ", ".join(roots)
        )


# --- in-process, driven with Pilot ---------------------------------------------------------------


async def wait_until(pilot, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await pilot.pause(0.001)


async def settle(app, pilot) -> None:
    from textual.worker import WorkerCancelled

    await pilot.pause()
    while True:
        try:
            await app.workers.wait_for_complete()
            break
        except WorkerCancelled:  # an exclusive worker replaced by a newer one (the status line's timer)
            await pilot.pause()
    await pilot.pause()


def credit_code_fragment(db: Path) -> str:
    """Six characters from the random part of a mid-ledger tenant's credit code (fixed for a seed)."""
    live = "FROM tenant WHERE deleted = 0 AND status = 'in_park'"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        count = conn.execute(f"SELECT count(*) {live}").fetchone()[0]
        code = conn.execute(f"SELECT credit_code {live} ORDER BY credit_code LIMIT 1 OFFSET ?", (count // 2,))
        return code.fetchone()[0][10:16]


async def session(results: Results, db: Path, today: date, repeat: int) -> None:
    from textual.widgets import DataTable, Input

    from db.store import Store
    from inspect_app.app import make_app
    from inspect_app.screens.ledger import LedgerScreen
    from inspect_app.screens.park_list import ParkListScreen

    shows: list[tuple[float, str, int]] = []  # (perf_counter when show returned, search, total)
    paints: list[float] = []
    original_show = LedgerScreen.show

    def show(self: LedgerScreen, rows, total, append, keep_tenant) -> None:
        original_show(self, rows, total, append, keep_tenant)
        shows.append((time.perf_counter(), self.query_state.search, total))
        self.app.call_after_refresh(lambda: paints.append(time.perf_counter()))

    code_fragment = credit_code_fragment(db)
    store = Store.open(db)
    LedgerScreen.show = show
    try:
        app = make_app(store, today=today)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            parks = app.screen
            assert isinstance(parks, ParkListScreen) and parks.summaries, "the park list did not load"
            largest = max(range(len(parks.summaries)), key=lambda i: parks.summaries[i].tenants)
            parks.query_one("#parks", DataTable).move_cursor(row=largest)
            await pilot.pause()

            opens, open_paints = [], []
            for _ in range(repeat):
                shows.clear()
                paints.clear()
                started = time.perf_counter()
                await pilot.press("enter")
                await wait_until(pilot, lambda: bool(shows) and bool(paints), "the ledger rows")
                opens.append((shows[0][0] - started) * 1000)
                open_paints.append((paints[0] - started) * 1000)
                await settle(app, pilot)
                ledger = app.screen
                assert isinstance(ledger, LedgerScreen) and ledger.park_id == parks.summaries[largest].id
                assert ledger.query_one("#ledger", DataTable).row_count > 0
                await pilot.press("escape")
                await settle(app, pilot)
            results.add(Metric("ledger_open_ms", opens))
            results.add(Metric("ledger_open_paint_ms", open_paints))
            park = parks.summaries[largest]
            results.notes.append(f"ledger opened: {park.code}, {park.tenants} tenants in the park")

            await pilot.press("slash")  # every park's ledger, the search box focused
            await settle(app, pilot)
            ledger = app.screen
            assert isinstance(ledger, LedgerScreen) and ledger.park_id is None
            search = ledger.query_one("#search", Input)
            assert app.focused is search
            for _ in range(repeat):
                for keys in (WORD, code_fragment, INITIALS, COMMON):
                    for key in [*keys, "escape"]:  # escape empties the box: the whole ledger again
                        shows.clear()
                        started, started_cpu = time.perf_counter(), time.process_time()
                        await pilot.press(key)
                        expected = search.value.strip()
                        await wait_until(
                            pilot,
                            lambda e=expected: any(s[1] == e for s in shows),
                            f"the rows for {expected!r}",
                        )
                        done, _, total = next(s for s in shows if s[1] == expected)
                        cpu = (time.process_time() - started_cpu) * 1000  # read after the rows: ≥ the span's
                        results.keystrokes.append(Keystroke(key, expected, total, (done - started) * 1000, cpu))
                        await settle(app, pilot)
            results.add(Metric("search_keystroke_ms", [k.ms for k in results.keystrokes]))
            await inspection_screens(results, app, pilot, tenant_inspection_ids(db, repeat))
            await hazards_screens(results, app, pilot, repeat)
    finally:
        LedgerScreen.show = original_show
        store.close()
    results.add(Metric("peak_rss_session_mb", [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))


async def inspection_screens(results: Results, app, pilot, inspection_ids: list[str]) -> None:
    """Open fire-safety inspections on the inspection screen, a different one each time.

    Timed from push_screen to the end of the screen's on_mount (load_inspection, the checklist in
    the table, title and status line), and to the refresh after it (the checklist on screen).
    """
    try:
        from inspect_app.screens.inspection import InspectionScreen
    except ImportError:
        results.notes.append("inspection_open_ms: no inspection screen in this checkout (service figure only)")
        return
    from textual.widgets import DataTable

    mounted: list[float] = []
    painted: list[float] = []
    original_on_mount = InspectionScreen.on_mount

    def on_mount(self) -> None:
        original_on_mount(self)
        mounted.append(time.perf_counter())
        self.app.call_after_refresh(lambda: painted.append(time.perf_counter()))

    InspectionScreen.on_mount = on_mount
    try:
        opens, paints, items = [], [], set()
        for inspection_id in inspection_ids:
            mounted.clear()
            painted.clear()
            started = time.perf_counter()
            app.push_screen(InspectionScreen(inspection_id))
            await wait_until(pilot, lambda: bool(mounted) and bool(painted), "the checklist")
            opens.append((mounted[0] - started) * 1000)
            paints.append((painted[0] - started) * 1000)
            items.add(app.screen.query_one("#items", DataTable).row_count)
            app.pop_screen()
            await settle(app, pilot)
    finally:
        InspectionScreen.on_mount = original_on_mount
    if opens:
        results.add(Metric("inspection_open_ms", opens))
        results.add(Metric("inspection_open_paint_ms", paints))
        results.notes.append(
            f"inspection_open_ms: {len(opens)} finished tenant inspections of {sorted(items)} items on "
            "InspectionScreen at 80x24"
        )


async def hazards_screens(results: Results, app, pilot, repeat: int) -> None:
    """Open the hazards view of every park as the park list does (it starts on the hazards not closed).

    Timed from push_screen to the end of the first show() (park filter options and the first page
    of rows in the table; both come from one worker), and to the refresh after it.
    """
    try:
        from inspect_app.screens.hazards import HazardsScreen
    except ImportError:
        results.notes.append("hazards_open_ms: no hazards screen in this checkout (service figures only)")
        return
    from textual.widgets import DataTable

    shown: list[tuple[float, int]] = []  # (when show returned, rows in the table)
    painted: list[float] = []
    counted: list[float] = []  # when the count reached the status line (a checkout that counts apart)
    original_show = HazardsScreen.show
    original_set_total = getattr(HazardsScreen, "_set_total", None)

    def show(self, *args, **kwargs) -> None:
        original_show(self, *args, **kwargs)
        shown.append((time.perf_counter(), self.query_one("#hazards", DataTable).row_count))
        self.app.call_after_refresh(lambda: painted.append(time.perf_counter()))

    def set_total(self, *args, **kwargs) -> None:
        original_set_total(self, *args, **kwargs)
        counted.append(time.perf_counter())

    HazardsScreen.show = show
    if original_set_total is not None:
        HazardsScreen._set_total = set_total
    try:
        opens, paints, counts = [], [], []
        for _ in range(repeat):
            shown.clear()
            painted.clear()
            counted.clear()
            started = time.perf_counter()
            app.push_screen(HazardsScreen())
            await wait_until(pilot, lambda: bool(shown) and bool(painted), "the hazards rows")
            opens.append((shown[0][0] - started) * 1000)
            paints.append((painted[0] - started) * 1000)
            rows = shown[0][1]
            await settle(app, pilot)
            if counted:
                counts.append((counted[0] - started) * 1000)
            total = app.screen.total
            app.pop_screen()
            await settle(app, pilot)
    finally:
        HazardsScreen.show = original_show
        if original_set_total is not None:
            HazardsScreen._set_total = original_set_total
    results.add(Metric("hazards_open_ms", opens))
    results.add(Metric("hazards_open_paint_ms", paints))
    if counts:
        results.add(Metric("hazards_open_count_ms", counts))
    said = (f"more than {total.count:,}" if total.more else f"{total.count:,}") if hasattr(total, "more") \
        else f"{total:,}"
    results.notes.append(f"hazards_open_ms: HazardsScreen of every park, {rows} rows shown of {said} not closed")


# --- inspections and hazards, at the service level -------------------------------------------------


def tenant_inspection_ids(db: Path, count: int) -> list[str]:
    """Fire-safety inspections of tenants, spread over the table (the same ones for a dataset)."""
    return spread_ids(
        db,
        "SELECT id FROM inspection WHERE deleted = 0 AND template_id = 'fire_safety' "
        "AND tenant_id IS NOT NULL ORDER BY id",
        count,
    )


def spread_ids(db: Path, sql: str, count: int) -> list[str]:
    """`count` ids from the rows `sql` selects (ordered by id), evenly spread over them.

    Picked one by one with OFFSET rather than read into a list: at 1,000,000 inspections the list
    alone was 100 MB in the process whose peak memory the session reports.
    """
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        total = conn.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]  # noqa: S608 - our own SQL
        step = max(1, total // count)
        picked = (conn.execute(f"{sql} LIMIT 1 OFFSET ?", (offset,)).fetchone()
                  for offset in range(step // 2, total, step))
        return [row[0] for row in picked][:count]


def inspections_and_hazards(results: Results, db: Path, today: date, repeat: int) -> None:
    """Open inspections and list hazards through the services the screens call.

    Timed in this process after the Pilot session, so SQLAlchemy and the table classes are loaded
    as they are in a running app; the first sample of each is the cold one (its statements are
    compiled then), as for ledger_open_ms.
    """
    from db.store import Store
    from inspect_app.screens import hazards as hazards_screen
    from inspect_app.services import hazards as hazards_service
    from inspect_app.services.hazards import HazardQuery, list_hazards
    from inspect_app.services.inspections import load_inspection

    inspections = tenant_inspection_ids(db, repeat)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        largest = conn.execute(
            "SELECT park_id, count(*) FROM hazard WHERE deleted = 0 GROUP BY park_id ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchone()
    store = Store.open(db)
    try:
        loads = []
        for inspection_id in inspections:
            started = time.perf_counter()
            load_inspection(store, inspection_id)
            loads.append((time.perf_counter() - started) * 1000)
        if loads:
            results.add(Metric("inspection_load_ms", loads))

        filters = [("every park", HazardQuery(today=today))]
        if hasattr(hazards_service, "UNRESOLVED"):  # what the hazards screen opens on: all but closed
            filters.append(("not closed", HazardQuery(status=hazards_service.UNRESOLVED, today=today)))
        filters += [(f"status {s}", HazardQuery(status=s, today=today)) for s in ("open", "overdue")]
        filters.append(("severity major", HazardQuery(severity="major", today=today)))
        if largest:
            filters.append((f"one park ({largest[1]} hazards)", HazardQuery(park_id=largest[0], today=today)))
        apart = hasattr(hazards_service, "hazard_page")  # first rows and count read apart
        for name, query in filters:
            samples, counts = [], []
            for _ in range(repeat):
                started = time.perf_counter()
                if apart:
                    rows = hazards_service.hazard_page(store, query)
                    samples.append((time.perf_counter() - started) * 1000)
                    started = time.perf_counter()
                    total = hazards_service.count_hazards(store, query, cap=hazards_screen.COUNT_CAP)
                    counts.append((time.perf_counter() - started) * 1000)
                else:
                    rows, total = list_hazards(store, query)
                    samples.append((time.perf_counter() - started) * 1000)
            matches, more = (total.count, total.more) if apart else (total, False)
            results.hazard_filters.append(HazardFilter(name, matches, len(rows), samples, counts, more))
        results.add(Metric("hazards_view_ms", results.hazard_filters[0].samples))
        if results.hazard_filters[0].count_samples:
            results.add(Metric("hazards_count_ms", results.hazard_filters[0].count_samples))
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            hazards = conn.execute("SELECT count(*) FROM hazard WHERE deleted = 0").fetchone()[0]
        results.notes.append(
            f"hazards_view_ms: the first page alone, {results.hazard_filters[0].rows} rows of "
            f"{hazards:,} hazards" + ("" if apart else ", with the count")
        )
    finally:
        store.close()


def hazard_filter_table(filters: list[HazardFilter]) -> str:
    lines = [
        "hazards view              matches   page rows  median ms  max ms  count ms",
        "------------------------  --------  ---------  ---------  ------  --------",
    ]
    for f in filters:
        matches = f"{'>' if f.more else ''}{f.matches:,}"
        count = f"{statistics.median(f.count_samples):>8.1f}" if f.count_samples else f"{'':>8}"
        lines.append(
            f"{f.name:<24}  {matches:>8}  {f.rows:>9}  {statistics.median(f.samples):>9.1f}  "
            f"{max(f.samples):>6.1f}  {count}"
        )
    return "\n".join(lines)


# --- output --------------------------------------------------------------------------------------


def dataset(db: Path) -> dict:
    """What the database holds, with how generate.py made it (seed, today) when it says so."""
    try:
        made = json.loads(db.with_name(db.name + ".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        made = {}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:

        def count(where: str) -> int:
            return conn.execute(f"SELECT count(*) FROM {where}").fetchone()[0]

        sizes = {
            "parks": count("park WHERE deleted = 0"),
            "tenants": count("tenant WHERE deleted = 0"),
            "tenants_in_park": count("tenant WHERE deleted = 0 AND status = 'in_park'"),
            "hazards": count("hazard WHERE deleted = 0"),
        }
    return {
        "db": str(db),
        **sizes,
        "size_mb": round(db.stat().st_size / 1e6, 1),
        "seed": made.get("seed"),
        "today": made.get("today"),
        "generate_s": made.get("generate_s"),
    }


def machine() -> dict:
    import textual

    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "textual": textual.__version__,
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def fmt(value: float) -> str:
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def pad(text: str, width: int) -> str:
    """Left-align for a terminal, where CJK characters take two cells."""
    cells = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - cells)


def table(results: Results) -> str:
    rows = [("metric", "median", "min", "max", "target", "result")]
    for name in METRICS:
        m = results.metrics.get(name)
        if m is not None:
            verdict = "" if m.passed is None else ("pass" if m.passed else "FAIL")
            rows.append((name, fmt(m.median), fmt(min(m.samples)), fmt(max(m.samples)), m.target, verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def keystroke_table(keystrokes: list[Keystroke]) -> str:
    """Each key of the search once, with the median and max over the repeats."""
    by_key: dict[tuple[str, str], list[Keystroke]] = {}
    for k in keystrokes:
        by_key.setdefault((k.key, k.search), []).append(k)
    lines = [
        "key     search box  matches  median ms  max ms",
        "------  ----------  -------  ---------  ------",
    ]
    for (key, search), ks in by_key.items():
        times = [k.ms for k in ks]
        lines.append(
            f"{pad(key, 6)}  {pad(search or '(empty)', 10)}  {ks[0].matches:>7,}  "
            f"{statistics.median(times):>9.1f}  {max(times):>6.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs of each measurement (default %(default)s)"
    )
    parser.add_argument(
        "--warmup", type=int, default=1, help="unmeasured start-ups of each (default %(default)s)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if not args.db.exists():
        parser.error(f"{args.db} does not exist: run `python benchmarks/generate.py` first")
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be at least 1, --warmup at least 0")

    meta = dataset(args.db)
    from forms import china_time  # after ROOT is on sys.path

    today = meta["today"] or china_time.today().isoformat()
    results = Results()
    startup(results, args.db, args.repeat, args.warmup)
    asyncio.run(session(results, args.db, date.fromisoformat(today), args.repeat))
    inspections_and_hazards(results, args.db, date.fromisoformat(today), args.repeat)

    info = machine()
    if args.json:
        metrics = {
            name: {
                "median": m.median,
                "min": min(m.samples),
                "max": max(m.samples),
                "target": m.target,
                "passed": m.passed,
                "samples": m.samples,
            }
            for name, m in results.metrics.items()
        }
        payload = {
            "machine": info,
            "dataset": meta,
            "repeat": args.repeat,
            "metrics": metrics,
            "keystrokes": [asdict(k) for k in results.keystrokes],
            "hazard_filters": [asdict(f) for f in results.hazard_filters],
            "notes": results.notes,
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(
            f"ParkInspect benchmarks · {info['nproc']} CPUs · Python {info['python']} · "
            f"Textual {info['textual']} · SQLite {info['sqlite']}"
        )
        print(
            f"dataset: {args.db} · {meta['parks']} parks, {meta['tenants']:,} tenants "
            f"({meta['tenants_in_park']:,} in park), {meta['hazards']:,} hazards, {meta['size_mb']:.1f} MB · "
            f"repeat {args.repeat}"
        )
        print()
        print(table(results))
        print()
        print(keystroke_table(results.keystrokes))
        print()
        if results.hazard_filters:
            print(hazard_filter_table(results.hazard_filters))
            print()
        for note in results.notes:
            print(f"- {note}")
    missed = [m.name for m in results.metrics.values() if m.passed is False]
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
