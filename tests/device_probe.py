"""Run the device side in a separate interpreter, as an installed copy or a laptop install would.

Run as a file (`python tests/device_probe.py [--without-hub] MODE …`), by whichever interpreter
the test wants (the scratch venv of tests/test_packaging.py, or this one). It imports nothing from
`tests`, so it runs from an installed wheel too.

  --without-hub  first make fastapi, uvicorn, psycopg and starlette unimportable, as on a laptop
                 installed without the `hub` extra; every attempt to import them is recorded.
  tui DB         open the app on DB with Textual's Pilot, wait until the park list has its rows,
                 quit; print one JSON line {"parks": rows, "blocked": [attempted imports]}.
  cli ARGS…      run `parkinspect ARGS…` (inspect_app.cli.main); its exit code is the probe's, and
                 the attempted imports are the last line of stderr: `blocked: [...]`.
"""

from __future__ import annotations

import json
import sys

HUB_ONLY = frozenset({"fastapi", "uvicorn", "psycopg", "starlette"})
attempts: list[str] = []


class _WithoutHub:
    """A meta-path finder that refuses the hub's modules, as if they were not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HUB_ONLY:
            attempts.append(name)
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


async def _open_park_list(db: str) -> int:
    from db.store import Store
    from inspect_app.app import make_app
    from inspect_app.screens.park_list import ParkListScreen

    store = Store.open(db)
    try:
        app = make_app(store)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(200):  # up to ~20 s on two busy cores
                await pilot.pause(0.1)
                await app.workers.wait_for_complete()
                screens = [s for s in app.screen_stack if isinstance(s, ParkListScreen)]
                rows = screens[0].query_one("#parks").row_count if screens else 0
                if rows:
                    break
        return rows
    finally:
        store.close()


def main(argv: list[str]) -> int:
    if sys.path and sys.path[0].endswith("tests"):  # run as a file: its folder is not a package root
        sys.path.pop(0)
    if argv and argv[0] == "--without-hub":
        sys.meta_path.insert(0, _WithoutHub())
        argv = argv[1:]
    mode, rest = argv[0], argv[1:]
    if mode == "tui":
        import asyncio

        rows = asyncio.run(_open_park_list(rest[0]))
        print(json.dumps({"parks": rows, "blocked": attempts}))
        return 0 if rows else 1
    if mode == "cli":
        from inspect_app.cli import main as parkinspect

        code = parkinspect(rest)
        print(f"blocked: {json.dumps(attempts)}", file=sys.stderr)
        return code
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
