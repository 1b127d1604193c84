"""`parkinspect compact`: prune the outbox of what every hub acknowledged and rewrite the file
without its free pages (services/compact.py), printing the figures before and after.

Refused (exit 2, nothing changed) while the app, a sync or another command has the database open;
after the prune (which is kept: it is safe), when the folder lacks the free space the new file
needs. The service is imported inside the handler (start-up path, tests/test_startup.py).
"""

from __future__ import annotations

from db.errors import UserError
from forms.i18n import t
from inspect_app.cli.common import EXIT_OK
from inspect_app.cli.common import fail as _fail

SHOWN_TABLES = 6  # the largest tables, before and after


def add_parser(sub) -> None:
    parser = sub.add_parser("compact", help=t("compact.help"), description=t("compact.description"))
    parser.set_defaults(handler=run_compact)


def run_compact(args, settings) -> int:
    from inspect_app.services.compact import compact

    try:
        result = compact(settings.db_path, on_step=lambda key, values: print(t(key, **values), flush=True))
    except UserError as refused:
        return _fail(refused.key, **refused.values)
    except OSError as exc:  # a disk that fills up after all, a folder that cannot be written
        return _fail("compact.failed", db=settings.db_path, reason=exc.strerror or exc)
    before, after = result.before, result.after
    print(t("compact.done", pruned=f"{result.pruned:,}"))
    print(t("compact.figure_header"))
    print(t("compact.figure_file", before=_mb(before.file_bytes), after=_mb(after.file_bytes)))
    print(t("compact.figure_log", before=_mb(before.log_bytes), after=_mb(after.log_bytes),
            before_share=_share(before.log_bytes, before.file_bytes),
            after_share=_share(after.log_bytes, after.file_bytes)))
    print(t("compact.figure_rows", before=f"{before.log_rows:,}", after=f"{after.log_rows:,}"))
    for table in list(before.tables)[:SHOWN_TABLES]:
        print(t("compact.figure_table", table=table, before=_mb(before.tables[table]),
                after=_mb(after.tables.get(table, 0))))
    return EXIT_OK


def _mb(size: int) -> str:
    return f"{size / 1_000_000:,.1f}"


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}" if whole else "0"
