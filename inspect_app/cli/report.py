"""`parkinspect report -o FILE [--park CODE] [--quarter 2026Q3]`: the quarterly report as .xlsx or PDF.

The county's report when --park is left out, else the park's; the file type follows the suffix.
A bad suffix, quarter or park code is refused with a message and exit 2, and nothing is written
(services/quarterly_report.py).

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

from pathlib import Path

from forms.i18n import t
from inspect_app.cli.common import EXIT_OK, open_store
from inspect_app.cli.common import fail as _fail


def add_parser(sub) -> None:
    report = sub.add_parser("report", help=t("report.cli.help"), description=t("report.cli.help"))
    report.add_argument("-o", "--output", metavar="FILE", required=True, help=t("report.cli.opt_output"))
    report.add_argument("--park", metavar="CODE", help=t("report.cli.opt_park"))
    report.add_argument("--quarter", metavar="2026Q3", help=t("report.cli.opt_quarter"))
    report.set_defaults(handler=run_report)


def run_report(args, settings) -> int:
    from db.errors import UserError
    from inspect_app.services.park_overview import Quarter
    from inspect_app.services.quarterly_report import check_target, write_quarterly_report

    if not settings.db_path.exists():
        return _fail("cli.db_missing", db=settings.db_path)
    try:
        quarter = Quarter.parse(args.quarter) if args.quarter else None
    except ValueError:
        return _fail("overview.cli.bad_quarter", value=args.quarter)
    try:
        target = check_target(Path(args.output).expanduser())
    except UserError as exc:
        return _fail(exc.key, **exc.values)
    store = open_store(settings)
    try:
        write_quarterly_report(store, target, park_code=args.park, quarter=quarter, lang=settings.language,
                               thresholds=settings.risk_flags, calendar=settings.calendar,
                               agency=settings.agency, font=settings.pdf_font)
    except UserError as exc:
        return _fail(exc.key, **exc.values)
    except OSError as exc:
        return _fail("tui.report.failed", reason=exc.strerror or str(exc))
    finally:
        store.close()
    print(t("report.cli.done", file=target))
    return EXIT_OK
