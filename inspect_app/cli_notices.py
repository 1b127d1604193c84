"""`parkinspect notices …`: export, print and number issued notices (shared/design/cli.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from forms.i18n import t
from inspect_app.cli_common import EXIT_BAD_INPUT, EXIT_OK
from inspect_app.cli_common import open_store as _store


def add_notices_parser(sub, parser_class) -> None:
    notices = sub.add_parser("notices", help=t("cli.notices_help"), description=t("cli.notices_help"))
    notices_sub = notices.add_subparsers(dest="notices_command", parser_class=parser_class, required=True)

    export = notices_sub.add_parser("export", help=t("cli.notices_export_help"),
                                    description=t("cli.notices_export_help"))
    export.add_argument("-o", "--output", required=True, help=t("cli.notices_export_dir"))
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help=t("cli.notices_all"))
    which.add_argument("numbers", nargs="*", default=[], metavar="NUMBER", help=t("cli.notices_number"))
    export.set_defaults(handler=run_notices_export)

    print_ = notices_sub.add_parser("print", help=t("cli.notices_print_help"), description=t("cli.notices_print_help"))
    print_.add_argument("number", help=t("cli.notices_number"))
    print_.set_defaults(handler=run_notices_print)

    block = notices_sub.add_parser("block", help=t("cli.notices_block_help"), description=t("cli.notices_block_help"))
    block.add_argument("code", nargs="?", help=t("cli.notices_block_code"))
    block.set_defaults(handler=run_notices_block)


def _refuse(exc) -> int:
    print(exc.message(), file=sys.stderr)
    return EXIT_BAD_INPUT


def run_notices_export(args, settings) -> int:
    from db.errors import UserError
    from inspect_app.services.notices import all_numbers, export_notices

    store = _store(settings)
    try:
        numbers = all_numbers(store) if args.all else args.numbers
        if not numbers:
            print(t("cli.notices_none"), file=sys.stderr)
            return EXIT_BAD_INPUT
        written = export_notices(store, Path(args.output), numbers)
    except UserError as exc:
        return _refuse(exc)
    finally:
        store.close()
    for path in written:
        print(path)
    print(t("cli.notices_exported", count=len(written), folder=args.output))
    return EXIT_OK


def run_notices_print(args, settings) -> int:
    import tempfile

    from db.errors import UserError
    from inspect_app.services.notices import export_notices, print_pdf

    store = _store(settings)
    try:
        [path] = export_notices(store, Path(tempfile.mkdtemp(prefix="parkinspect-print-")), [args.number])
        how = print_pdf(path)
    except UserError as exc:
        return _refuse(exc)
    finally:
        store.close()
    print(t("cli.notices_printed", number=args.number, how=how))
    return EXIT_OK


def run_notices_block(args, settings) -> int:
    from db.errors import UserError
    from inspect_app.services.notices import block_and_origin, set_device_block

    store = _store(settings)
    try:
        if args.code:
            set_device_block(store, args.code)
        block, origin = block_and_origin(store)
    except UserError as exc:
        return _refuse(exc)
    finally:
        store.close()
    print(t("cli.notices_block_is", block=block))
    print(t(f"cli.notices_block_origin_{origin}"))
    return EXIT_OK
