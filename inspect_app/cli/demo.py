"""`parkinspect demo`: fill the database with made-up parks, tenants, inspections and signed notices.

The services are imported inside the handler: building the parser is on the TUI's start-up path
(tests/test_startup.py), which must not load the ORM.
"""

from __future__ import annotations

import sys

from forms.i18n import t
from inspect_app.cli.common import EXIT_BAD_INPUT, EXIT_OK, fail, open_store, print_result


def add_parser(sub) -> None:
    demo = sub.add_parser("demo", help=t("cli.demo_help"), description=t("cli.demo_help"))
    demo.add_argument("--parks", type=int, default=6, help=t("cli.demo_parks"))
    demo.add_argument("--tenants-per-park", type=int, default=40, help=t("cli.demo_tenants"))
    demo.add_argument("--seed", type=int, default=2026, help=t("cli.demo_seed"))
    demo.add_argument("--force", action="store_true", help=t("cli.demo_force"))
    demo.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    demo.set_defaults(handler=run_demo)


def run_demo(args, settings) -> int:
    from inspect_app.services.demo_data import DemoDataError, load_demo_data

    try:
        load_demo_data()  # a broken demo data file is named (file, line, field) before the database is opened
    except DemoDataError as exc:
        print(exc.message(), file=sys.stderr)
        return EXIT_BAD_INPUT
    from inspect_app.services.demo import (
        complete_demo_documents,
        demo_agency,
        generate_demo,
        has_data,
        issue_demo_notices,
    )

    if args.parks < 1 or args.tenants_per_park < 0:
        return fail("cli.demo_bad_size")
    store = open_store(settings)
    try:
        if has_data(store) and not args.force:
            print_result(args, {"skipped": True, "db": str(settings.db_path)},
                         t("cli.demo_skipped", db=settings.db_path))
            return EXIT_OK
        summary = generate_demo(store, parks=args.parks, tenants_per_park=args.tenants_per_park, seed=args.seed)
        agency = demo_agency(settings.agency)
        issued = issue_demo_notices(store, keys_dir=settings.keys_dir, agency=agency, font=settings.pdf_font)
        summary["notices"] = len(issued)
        summary.update(complete_demo_documents(store, issued, keys_dir=settings.keys_dir, agency=agency,
                                               font=settings.pdf_font))
    finally:
        store.close()
    print_result(args, {"skipped": False, "db": str(settings.db_path), **summary},
                 t("cli.demo_done", db=settings.db_path, **summary))
    return EXIT_OK
