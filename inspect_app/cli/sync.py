"""`parkinspect sync …`: bare `sync` exchanges with the hub (once one is configured);
`export-bundle` / `import-bundle` carry changes between offices on a file (docs/SYNC.md).

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict

from forms.i18n import t
from inspect_app.cli.common import EXIT_BAD_INPUT, EXIT_OK, Parser
from inspect_app.cli.common import open_store as _store

EXIT_NETWORK = 1


def add_parser(sub) -> None:
    sync = sub.add_parser("sync", help=t("sync.help"), description=t("sync.help"))
    # Not required: bare `parkinspect sync` is the network sync.
    sync_sub = sync.add_subparsers(dest="sync_command", parser_class=Parser)
    sync.add_argument("--hub", metavar="URL", help=t("sync.opt_hub"))
    sync.add_argument("--token", metavar="T", help=t("sync.opt_token"))
    sync.add_argument("--json", action="store_true", help=t("cli.opt_json"))
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


def run_sync(args, settings) -> int:
    """Bare `parkinspect sync`: one exchange with the hub, remembered after the first success."""
    from db.errors import UserError
    from inspect_app.sync.client import SyncNetworkError, summary_line, sync_once
    from inspect_app.sync.hub_settings import HubSettings, load_hub, normalise_hub_url, save_hub

    store = _store(settings)
    try:
        saved = load_hub(settings.hub_file, store.device_id)
        url = args.hub or (saved.url if saved else None)
        token = args.token or os.environ.get("PARKINSPECT_HUB_TOKEN") or (saved.token if saved else None)
        if not url:
            print(t("sync.no_hub"), file=sys.stderr)
            return EXIT_BAD_INPUT
        bar = _ProgressLine() if sys.stderr.isatty() and not args.json else None
        try:
            summary = sync_once(store, url, token or "", progress=bar, keys_dir=settings.keys_dir)
        finally:
            if bar:
                bar.clear()
        remembered = HubSettings(normalise_hub_url(url), (token or "").strip())
        if saved != remembered:  # first use, or a new address or token that just worked
            save_hub(settings.hub_file, store.device_id, remembered.url, remembered.token)
    except SyncNetworkError as exc:
        print(exc.message(), file=sys.stderr)
        return EXIT_NETWORK
    except UserError as exc:  # bad address, no token, token refused, hub refused
        print(exc.message(), file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        store.close()
    if args.json:
        print(json.dumps(asdict(summary), ensure_ascii=False))
    else:
        print(summary_line(summary))
    return EXIT_OK


class _ProgressLine:
    """Counts of changes pushed and pulled on one stderr line, redrawn in place (TTY only)."""

    def __init__(self):
        self.shown = ""

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        text = t(f"sync.progress_{stage}", done=done, total=total if total is not None else "?")
        width = 30
        if total:
            filled = min(width, done * width // total)
            text = f"[{'#' * filled}{'.' * (width - filled)}] {text}"
        # Chinese characters are two columns wide: pad generously over the previous text.
        sys.stderr.write("\r" + text + " " * max(0, 2 * (len(self.shown) - len(text))))
        sys.stderr.flush()
        self.shown = text

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * (len(self.shown) * 2) + "\r")
            sys.stderr.flush()


def run_export_bundle(args, settings) -> int:
    from db.errors import UserError
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
    from db.errors import UserError
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
