"""`parkinspect quarterly import|export`: quarterly operating data in and out (shared/design/cli.md).

Wired like `ledger import/export`: the report lists every refused value with its row, column and
reason; exit 2 when rows were refused and nothing was written. Warnings (odd but accepted
figures) are printed and never change the exit code.

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

from pathlib import Path

from forms.i18n import t
from inspect_app.cli.common import EXIT_OK, Parser, finish_import
from inspect_app.cli.common import fail as _fail
from inspect_app.cli.common import open_store as _store


def add_parser(sub) -> None:
    quarterly = sub.add_parser("quarterly", help=t("quarterly.cli.help"), description=t("quarterly.cli.help"))
    quarterly_sub = quarterly.add_subparsers(dest="quarterly_command", parser_class=Parser, required=True)

    imp = quarterly_sub.add_parser("import", help=t("quarterly.cli.import_help"),
                                   description=t("quarterly.cli.import_help"))
    imp.add_argument("file", help=t("quarterly.cli.file"))
    imp.add_argument("--park", help=t("cli.opt_park"))
    imp.add_argument("--year", help=t("quarterly.cli.opt_year"))
    imp.add_argument("--quarter", help=t("quarterly.cli.opt_quarter"))
    imp.add_argument("--skip-invalid", action="store_true", help=t("import.skip_invalid"))
    imp.add_argument("--dry-run", action="store_true", help=t("import.dry_run"))
    imp.set_defaults(handler=run_quarterly_import)

    export = quarterly_sub.add_parser("export", help=t("quarterly.cli.export_help"),
                                      description=t("quarterly.cli.export_help"))
    export.add_argument("-o", "--output", required=True, help=t("cli.export_output"))
    export.add_argument("--park", help=t("cli.opt_park"))
    export.add_argument("--from", dest="first", metavar="QUARTER", help=t("quarterly.cli.opt_from"))
    export.add_argument("--to", dest="last", metavar="QUARTER", help=t("quarterly.cli.opt_to"))
    export.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    export.set_defaults(handler=run_quarterly_export)


class _BadQuarter(Exception):
    def __init__(self, value: str):
        super().__init__(value)
        self.value = value


def _full_quarter(value: str | None) -> tuple[int, int] | None:
    """'2026Q3' (or 2026年第三季度) -> (2026, 3); a quarter without its year is refused."""
    from pydantic_core import PydanticCustomError

    from forms.quarterly import parse_period

    if value is None:
        return None
    try:
        year, quarter = parse_period(value)
    except PydanticCustomError:
        raise _BadQuarter(value) from None
    if year is None:
        raise _BadQuarter(value)
    return year, quarter


def _import_quarter(args) -> tuple[tuple[int, int] | None, int | None]:
    """--year and --quarter: the (year, quarter) for rows whose file names none, and the year alone.
    --quarter may carry its year (2026Q3); without one it needs --year."""
    from pydantic_core import PydanticCustomError

    from forms.quarterly import parse_period, parse_year

    try:
        year = parse_year(args.year) if args.year else None
        if args.quarter is None:
            return None, year
        found_year, quarter = parse_period(args.quarter)
    except PydanticCustomError:
        raise _BadQuarter(" ".join(v for v in (args.year, args.quarter) if v)) from None
    year = found_year or year
    if year is None:
        raise _BadQuarter(args.quarter)
    return (year, quarter), year


def run_quarterly_import(args, settings) -> int:
    from db.errors import UserError
    from inspect_app.services.quarterly_import import import_quarterly

    source = Path(args.file)
    if not source.is_file():
        return _fail("import.file_missing", file=source)
    try:
        quarter, year = _import_quarter(args)
    except _BadQuarter as exc:
        return _fail("quarterly.cli.bad_quarter_option", value=exc.value)
    store = _store(settings)
    try:
        report = import_quarterly(store, source, park_code=args.park, quarter=quarter, year=year,
                                  skip_invalid=args.skip_invalid, dry_run=args.dry_run)
    except UserError as exc:
        return _fail(exc.key, **exc.values)
    except OSError as exc:
        return _fail("cli.write_failed", file=source, reason=exc.strerror or exc)
    finally:
        store.close()
    return finish_import(report, skip_invalid=args.skip_invalid, warning_key="quarterly.cli.warning",
                         warnings_count_key="quarterly.cli.warnings_count")


def run_quarterly_export(args, settings) -> int:
    import json

    from db.errors import UserError
    from inspect_app.services.ledger_export import SUPPORTED_SUFFIXES
    from inspect_app.services.quarterly_export import export_quarterly

    target = Path(args.output)
    if target.suffix.lower() not in SUPPORTED_SUFFIXES:
        return _fail("cli.export_bad_suffix", suffix=target.suffix or "(none)")
    try:
        first, last = _full_quarter(args.first), _full_quarter(args.last)
    except _BadQuarter as exc:
        return _fail("quarterly.cli.bad_quarter_option", value=exc.value)
    store = _store(settings)
    try:
        count = export_quarterly(store, target, park_code=args.park, first=first, last=last)
    except UserError as exc:
        return _fail(exc.key, **exc.values)
    except OSError as exc:  # e.g. the file is open in Excel, or the folder is read-only
        return _fail("cli.write_failed", file=target, reason=exc.strerror or exc)
    finally:
        store.close()
    if args.json:
        print(json.dumps({"file": str(target), "rows": count}, ensure_ascii=False))
    else:
        print(t("cli.export_done", file=target, rows=count))
    return EXIT_OK
