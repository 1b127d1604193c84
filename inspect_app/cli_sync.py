"""`parkinspect sync …`: bare `sync` exchanges with the hub (once one is configured);
`export-bundle` / `import-bundle` carry changes between offices on a file (docs/SYNC.md)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

from forms.i18n import t

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def add_sync_parser(sub, parser_class) -> None:
    sync = sub.add_parser("sync", help=t("sync.help"), description=t("sync.help"))
    # Not required: bare `parkinspect sync` is the network sync.
    sync_sub = sync.add_subparsers(dest="sync_command", parser_class=parser_class)
    sync.set_defaults(handler=run_sync)

    export = sync_sub.add_parser("export-bundle", help=t("sync.export_help"), description=t("sync.export_help"))
    export.add_argument("file", help=t("sync.export_file"))
    export.add_argument("--force", action="store_true", help=t("sync.export_force"))
    export.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    export.set_defaults(handler=run_export_bundle)

    imp = sync_sub.add_parser("import-bundle", help=t("sync.import_help"), description=t("sync.import_help"))
    imp.add_argument("file", help=t("sync.import_file"))
    imp.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    imp.set_defaults(handler=run_import_bundle)


def _store(settings):
    from db.store import Store

    return Store.open(settings.db_path)


def run_sync(args, settings) -> int:
    print(t("sync.no_hub"), file=sys.stderr)
    return EXIT_BAD_INPUT


def run_export_bundle(args, settings) -> int:
    from inspect_app.services.errors import UserError
    from inspect_app.sync.bundle import export_bundle

    store = _store(settings)
    try:
        summary = export_bundle(store, args.file, force=args.force)
    except UserError as exc:
        print(exc.message(), file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        store.close()
    if args.json:
        print(json.dumps({"file": args.file, **asdict(summary)}, ensure_ascii=False))
    else:
        print(t("sync.exported", file=args.file, changes=summary.changes, attachments=summary.attachments))
    return EXIT_OK


def run_import_bundle(args, settings) -> int:
    from inspect_app.services.errors import UserError
    from inspect_app.sync.bundle import import_bundle

    store = _store(settings)
    try:
        summary = import_bundle(store, args.file)
    except UserError as exc:
        print(exc.message(), file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        store.close()
    result = asdict(summary.result)
    if args.json:
        print(json.dumps({"file": args.file, **result, "attachments": summary.attachments_added}, ensure_ascii=False))
    else:
        result.pop("received")
        print(t("sync.imported", **result, attachments=summary.attachments_added))
    return EXIT_OK
