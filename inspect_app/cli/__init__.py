"""The `parkinspect` command: the TUI by default, office commands as sub-commands (shared/design/cli.md).

One module per command group in this package; each has `add_parser(sub)`, whose parsers name their
handlers (`set_defaults(handler=...)`). What they share (the parser class, exit codes, refusals,
the import report lines) is in `common.py`.

Exit codes: 0 success, 1 a check failed, 2 bad input or usage. Messages in the chosen language.
Heavy modules (Textual, openpyxl, Alembic) are imported inside the command that needs them: the
parser is built on every start, the TUI's too (tests/test_startup.py).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys

from db.errors import StoreOpenError
from forms.i18n import set_language, t
from inspect_app import config
from inspect_app.cli import (
    backup,
    certificate,
    check,
    compact,
    demo,
    dossier,
    entry,
    hazards,
    hub,
    keys,
    ledger,
    mujun,
    notices,
    overview,
    plans,
    quarterly,
    report,
    review,
    rules,
    stars,
    sync,
    templates,
)
from inspect_app.cli.common import EXIT_BAD_INPUT, EXIT_OK, Parser, fail, open_store

# In the order `parkinspect --help` lists them.
GROUPS = (demo, check, backup, compact, ledger, templates, hazards, notices, sync, quarterly, overview, mujun, stars,
          plans, review, report, keys, dossier, certificate, rules, entry, hub)


def build_parser() -> Parser:
    parser = Parser(prog="parkinspect", description=t("cli.description"))
    parser.add_argument("--db", help=t("cli.opt_db"))
    parser.add_argument("--lang", help=t("cli.opt_lang"))
    parser.add_argument("--office", action="store_true", help=t("cli.opt_office"))
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    for group in GROUPS:
        group.add_parser(sub)
    return parser


def _language_from_argv(argv: list[str]) -> str | None:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--lang")
    known, _ = pre.parse_known_args(argv)
    return known.lang


EXIT_OUTPUT_CUT = 141  # what a shell reports for a process its pipe's reader closed on (128 + SIGPIPE)


def main(argv: list[str] | None = None) -> int:
    # Start-up creates many long-lived objects (tables, widgets, styles); letting the garbage
    # collector scan them again and again before the first screen costs ~0.1 s. The TUI turns it
    # back on (after freezing what start-up made) once the first screen is up; other commands as
    # soon as the arguments are read. Whatever happens (a usage error is a SystemExit from
    # parse_args), it is on again when main returns: a caller in the same process (the tests)
    # must not go on without a collector.
    gc.disable()
    try:
        return _run(list(sys.argv[1:] if argv is None else argv))
    finally:
        gc.enable()


def _run(argv: list[str]) -> int:
    set_language(config.language_setting(_language_from_argv(argv)))  # the language help text is in
    args = build_parser().parse_args(argv)
    config.setup_logging()  # before the settings: a bad value in config.toml is logged, not printed
    settings = config.load_settings(db=args.db, lang=args.lang, office=args.office)  # read once, passed down
    set_language(settings.language)
    handler = getattr(args, "handler", run_tui)  # each sub-command's parser names its handler
    if getattr(args, "needs_hub_extra", False) and (missing := hub.hub_extra_missing()):
        return fail("hub.extra_missing", module=missing)  # a laptop install: how to get the hub
    if handler is not run_tui:
        gc.enable()
    try:
        return handler(args, settings)
    except StoreOpenError as exc:  # not a database, damaged, newer, no room to migrate: a sentence, no traceback
        return fail(exc.key, **exc.values)
    except KeyboardInterrupt:
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `parkinspect verify F | head -1`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's own flush at exit would fail on the pipe again
        return EXIT_OUTPUT_CUT  # never 0: a cut-off `verify` must not read as "authentic"


def run_tui(args, settings) -> int:
    from inspect_app.app import make_app

    store = open_store(settings)
    try:
        make_app(store, language=settings.language, settings=settings).run()
    finally:
        store.close()
    return EXIT_OK
