"""Bring benchmark files to the newest schema in place, without the copy made before a migration.

    python benchmarks/migrate.py benchmarks/out/scale-1x.db benchmarks/out/scale-10x.db

The app copies a file to `<name>.before-<revision>.bak` before migrating it (db/migrations): right
for an inspector's database, but a 48 GB benchmark file's copy does not fit beside it, and a
benchmark file can be made again (generate.py, replicate.py). Prints each file's revision before
and after and how long the migration took.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from alembic import command

    from db import migrations

    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print(__doc__.split("\n\n")[1])
        return 2
    for path in paths:
        before = migrations.current_revision(path)
        started = time.perf_counter()
        command.upgrade(migrations.alembic_config(path), "head")
        print(f"{path}: {before} -> {migrations.current_revision(path)} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
