"""`parkinspect ledger export / import`: the tenant ledger as a spreadsheet, out and in.

The services are imported inside the handlers: building the parser is on the TUI's start-up path
(tests/test_startup.py), which must not load the ORM or openpyxl.
"""

from __future__ import annotations

from pathlib import Path

from forms.i18n import t
from inspect_app.cli.common import EXIT_OK, Parser, fail, finish_import, open_store, print_result


def add_parser(sub) -> None:
    ledger = sub.add_parser("ledger", help=t("cli.ledger_help"), description=t("cli.ledger_help"))
    ledger_sub = ledger.add_subparsers(dest="ledger_command", parser_class=Parser, required=True)
    export = ledger_sub.add_parser("export", help=t("cli.export_help"), description=t("cli.export_help"))
    export.add_argument("-o", "--output", required=True, help=t("cli.export_output"))
    export.add_argument("--park", help=t("cli.opt_park"))
    export.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    export.set_defaults(handler=run_ledger_export)
    imp = ledger_sub.add_parser("import", help=t("import.help"), description=t("import.help"))
    imp.add_argument("file", help=t("import.file"))
    imp.add_argument("--park", help=t("cli.opt_park"))
    imp.add_argument("--skip-invalid", action="store_true", help=t("import.skip_invalid"))
    imp.add_argument("--dry-run", action="store_true", help=t("import.dry_run"))
    imp.add_argument("--default", action="append", default=[], metavar="FIELD=VALUE", help=t("import.default_option"))
    imp.set_defaults(handler=run_ledger_import)


def run_ledger_export(args, settings) -> int:
    from inspect_app.services.ledger_export import SUPPORTED_SUFFIXES, export_ledger

    target = Path(args.output)
    if target.suffix.lower() not in SUPPORTED_SUFFIXES:
        return fail("cli.export_bad_suffix", suffix=target.suffix or "(none)")
    store = open_store(settings)
    try:
        if args.park and not _park_exists(store, args.park):
            return fail("cli.park_missing", code=args.park)
        count = export_ledger(store, target, park_code=args.park)
    except OSError as exc:  # e.g. the file is open in Excel, or the folder is read-only
        return fail("cli.write_failed", file=target, reason=exc.strerror or exc)
    finally:
        store.close()
    print_result(args, {"file": str(target), "rows": count}, t("cli.export_done", file=target, rows=count))
    return EXIT_OK


def _import_defaults(options: list[str]) -> dict[str, str] | int:
    """`--default scale=规下` (the field by its name or its label in either language) as
    {field: value}; or the exit code after refusing a malformed or unknown one."""
    from inspect_app.services.ledger_import import DEFAULTABLE_FIELDS, default_field

    defaults: dict[str, str] = {}
    for option in options:
        name, sign, value = option.replace("＝", "=").partition("=")
        if not sign or not name.strip():
            return fail("import.default_format", text=option)
        field = default_field(name)
        if field is None:
            return fail("import.default_unknown_field", name=name.strip(), fields=", ".join(DEFAULTABLE_FIELDS))
        defaults[field] = value.strip()
    return defaults


def run_ledger_import(args, settings) -> int:
    from db.errors import UserError
    from inspect_app.services.ledger_import import import_ledger

    source = Path(args.file)
    if not source.is_file():
        return fail("import.file_missing", file=source)
    defaults = _import_defaults(args.default)
    if isinstance(defaults, int):
        return defaults
    store = open_store(settings)
    try:
        report = import_ledger(store, source, park_code=args.park, skip_invalid=args.skip_invalid,
                               dry_run=args.dry_run, defaults=defaults)
    except UserError as exc:
        return fail(exc.key, **exc.values)
    except OSError as exc:
        return fail("cli.write_failed", file=source, reason=exc.strerror or exc)
    finally:
        store.close()
    return finish_import(report, skip_invalid=args.skip_invalid, notes=[note.text for note in report.notes])


def _park_exists(store, code: str) -> bool:
    from inspect_app.services.ledger import find_park

    return find_park(store, code) is not None
