"""One start-up, in a process of its own: `run.py` spawns this and times it from spawn to exit.

    python benchmarks/startup_probe.py bare
    python benchmarks/startup_probe.py app --db benchmarks/out/bench.db

bare: a Textual app that imports the libraries ParkInspect loads at start-up (Textual and the
      widgets the first two screens use, SQLModel/SQLAlchemy with the SQLite dialect, Pydantic,
      platformdirs) but none of ParkInspect, shows one label, and exits right after its first paint.
app:  ParkInspect itself, started as `parkinspect --db DB` (cli.main), on the benchmark database; exits right after
      the park list has painted its rows (the first screen a person can use).

Both run headless. On exit the probe prints one JSON line: seconds from spawn to first paint
(when the parent passed its clock in BENCH_SPAWN_MONOTONIC), peak RSS, the third-party modules it
loaded, and for `app` the number of parks on screen. Keep this file's own imports to the standard
library: they are part of what is measured.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

SPAWN = float(os.environ.get("BENCH_SPAWN_MONOTONIC", "nan"))


def since_spawn() -> float:
    return time.monotonic() - SPAWN


def third_party_modules() -> list[str]:
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if "site-packages" in (getattr(module, "__file__", None) or "") and "__editable__" not in name
    )


def report(painted_s: float, **extra: object) -> None:
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(
        json.dumps({"paint_s": painted_s, "rss_mb": rss_kb / 1024, "modules": third_party_modules(), **extra})
    )


def run_bare() -> None:
    import platformdirs  # noqa: F401
    import pydantic  # noqa: F401
    import sqlalchemy  # noqa: F401
    import sqlalchemy.dialects.sqlite  # noqa: F401  (create_engine("sqlite://...") loads it)
    import sqlmodel  # noqa: F401
    from textual.app import App, ComposeResult
    from textual.command import CommandPalette  # noqa: F401
    from textual.widgets import DataTable, Footer, Header, Input, Select, Static  # noqa: F401

    painted: list[float] = []

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("bare")

        def on_mount(self) -> None:
            self.call_after_refresh(self.painted)

        def painted(self) -> None:
            painted.append(since_spawn())
            self.exit()

    Bare().run(headless=True)
    report(painted[0] if painted else float("nan"))


def run_app(db: str) -> None:
    """The real entry point, `parkinspect --db DB` (cli.main), as a person starts it."""
    from inspect_app.app import ParkInspectApp
    from inspect_app.cli import main as parkinspect
    from inspect_app.screens.park_list import ParkListScreen

    painted: list[float] = []
    shown: list[int] = []
    original_show = ParkListScreen.show

    def show(self: ParkListScreen, summaries, *args, **kwargs) -> None:  # the rest: e.g. the warning line
        original_show(self, summaries, *args, **kwargs)
        if shown:
            return
        shown.append(len(summaries))

        def after_paint() -> None:
            painted.append(since_spawn())
            self.app.exit()

        self.app.call_after_refresh(after_paint)

    ParkListScreen.show = show
    original_run = ParkInspectApp.run
    ParkInspectApp.run = lambda self, **kwargs: original_run(self, headless=True, **kwargs)
    parkinspect(["--db", db])
    report(painted[0] if painted else float("nan"), parks_shown=shown[0] if shown else 0)


def main(argv: list[str]) -> int:
    if argv[:1] == ["bare"]:
        run_bare()
        return 0
    if argv[:1] == ["app"]:
        import argparse

        parser = argparse.ArgumentParser()
        parser.add_argument("--db", required=True)
        args = parser.parse_args(argv[1:])
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        if root not in sys.path:
            sys.path.insert(0, root)
        run_app(args.db)
        return 0
    print("usage: startup_probe.py bare | app --db FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
