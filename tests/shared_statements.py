"""One SQL dialect and one compiled-statement cache for every device store a test process opens.

SQLAlchemy keeps the statements it has compiled per engine, keyed by the engine's dialect object.
The app opens one store per run, so its cache fills once and then serves every screen. A test
process opens hundreds (a store per test, two or three devices per sync test), and each compiled
every ORM statement anew: with this module, 13–35 % less CPU over the sync, hazards and ledger
modules (`-n 0`, docs/PERFORMANCE.md "The test suite").

Every store's engine takes one shared dialect and statement cache instead of its own. The SQL
compiled is the same whichever file it runs on: one SQLite library, and `db.store.make_engine`
gives an engine no options of its own. So the statements that run are the app's; only the
compiling is done once. Subprocesses (the CLI runs, the crash harness) are the app as shipped.
The hubs' engines gained nothing from the same (measured over the hub and sync modules).
"""

from __future__ import annotations

from sqlalchemy.util import LRUCache

import db.store

# Room for every distinct statement of the suite (a few thousand): evicting would compile again.
CACHE_SIZE = 20_000


def share_statements_between_stores() -> None:
    make_engine = db.store.make_engine
    # The shared dialect is a memory database's, connected once so that it is initialised (SQLite's
    # version and features read) before any store takes it: a store's own first connection
    # initialises the dialect that store's engine was created with, no longer in use.
    template = make_engine(":memory:")
    with template.connect():
        pass
    dialect, statements = template.dialect, LRUCache(CACHE_SIZE)

    def sharing(path):
        engine = make_engine(path)
        engine.dialect = dialect
        engine._compiled_cache = statements
        return engine

    db.store.make_engine = sharing
