"""The `parkinspect` command: the TUI by default, office commands as sub-commands (shared/design/cli.md).

Exit codes: 0 success, 1 a check failed, 2 bad input or usage. Messages in the chosen language.
Heavy modules (Textual, openpyxl, Alembic) are imported inside the command that needs them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path

from db.errors import StoreOpenError
from forms.i18n import set_language, t
from inspect_app import config
from inspect_app.cli_common import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, finish_import, print_photo_copy
from inspect_app.cli_common import fail as _fail
from inspect_app.cli_common import open_store as _store
from inspect_app.cli_common import print_result as _print
from inspect_app.cli_dossier import add_dossier_parser
from inspect_app.cli_hub import add_hub_parser, hub_extra_missing
from inspect_app.cli_keys import add_keys_parser
from inspect_app.cli_mujun import add_mujun_parser, add_stars_parser
from inspect_app.cli_notices import add_notices_parser
from inspect_app.cli_overview import add_overview_parser
from inspect_app.cli_plans import add_plan_parser
from inspect_app.cli_quarterly import add_quarterly_parser
from inspect_app.cli_report import add_report_parser
from inspect_app.cli_restore import add_restore_parser
from inspect_app.cli_review import add_review_parser
from inspect_app.cli_rules import add_rules_parser
from inspect_app.cli_sync import add_sync_parser


class Parser(argparse.ArgumentParser):
    """argparse whose usage errors are printed in the user's language."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, t("cli.usage_error", prog=self.prog, detail=message) + "\n")


def build_parser() -> Parser:
    parser = Parser(prog="parkinspect", description=t("cli.description"))
    parser.add_argument("--db", help=t("cli.opt_db"))
    parser.add_argument("--lang", help=t("cli.opt_lang"))
    parser.add_argument("--office", action="store_true", help=t("cli.opt_office"))
    sub = parser.add_subparsers(dest="command", parser_class=Parser)

    demo = sub.add_parser("demo", help=t("cli.demo_help"), description=t("cli.demo_help"))
    demo.add_argument("--parks", type=int, default=6, help=t("cli.demo_parks"))
    demo.add_argument("--tenants-per-park", type=int, default=40, help=t("cli.demo_tenants"))
    demo.add_argument("--seed", type=int, default=2026, help=t("cli.demo_seed"))
    demo.add_argument("--force", action="store_true", help=t("cli.demo_force"))
    demo.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    demo.set_defaults(handler=run_demo)

    check = sub.add_parser("check", help=t("cli.check_help"), description=t("cli.check_help"))
    check.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    check.set_defaults(handler=run_check)

    backup = sub.add_parser("backup", help=t("cli.backup_help"), description=t("cli.backup_help"))
    backup.add_argument("file", help=t("cli.backup_file"))
    backup.add_argument("--force", action="store_true", help=t("cli.backup_force"))
    backup.set_defaults(handler=run_backup)

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
    _add_templates_parser(sub)
    _add_hazards_parser(sub)
    add_notices_parser(sub, Parser)
    add_sync_parser(sub, Parser)
    add_quarterly_parser(sub, Parser)
    add_overview_parser(sub, Parser)
    add_mujun_parser(sub, Parser)
    add_stars_parser(sub, Parser)
    add_plan_parser(sub, Parser)
    add_review_parser(sub, Parser)
    add_report_parser(sub, Parser)
    add_restore_parser(sub, Parser)
    add_keys_parser(sub, Parser)
    add_dossier_parser(sub, Parser)
    add_rules_parser(sub, Parser)
    add_hub_parser(sub, Parser)
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
    # back on (after freezing what start-up made) once the first screen is up; other commands now.
    gc.disable()
    argv = list(sys.argv[1:] if argv is None else argv)
    settings = config.load_settings(lang=_language_from_argv(argv))  # the language help text is in
    set_language(settings.language)
    args = build_parser().parse_args(argv)
    settings = config.load_settings(db=args.db, lang=args.lang, office=args.office)
    set_language(settings.language)
    config.setup_logging()
    handler = getattr(args, "handler", run_tui)  # each sub-command's parser names its handler
    if getattr(args, "needs_hub_extra", False) and (missing := hub_extra_missing()):
        return _fail("hub.extra_missing", module=missing)  # a laptop install: how to get the hub
    if handler is not run_tui:
        gc.enable()
    try:
        return handler(args, settings)
    except StoreOpenError as exc:  # not a database, damaged, newer, no room to migrate: a sentence, no traceback
        return _fail(exc.key, **exc.values)
    except KeyboardInterrupt:
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `parkinspect verify F | head -1`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's own flush at exit would fail on the pipe again
        return EXIT_OUTPUT_CUT  # never 0: a cut-off `verify` must not read as "authentic"


def run_tui(args, settings) -> int:
    from inspect_app.app import make_app

    store = _store(settings)
    try:
        make_app(store, language=settings.language).run()
    finally:
        store.close()
        gc.enable()
    return EXIT_OK


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
        return _fail("cli.demo_bad_size")
    store = _store(settings)
    try:
        if has_data(store) and not args.force:
            _print(args, {"skipped": True, "db": str(settings.db_path)}, t("cli.demo_skipped", db=settings.db_path))
            return EXIT_OK
        summary = generate_demo(store, parks=args.parks, tenants_per_park=args.tenants_per_park, seed=args.seed)
        agency = demo_agency(config.agency_config())
        issued = issue_demo_notices(store, keys_dir=config.keys_dir(), agency=agency)
        summary["notices"] = len(issued)
        summary.update(complete_demo_documents(store, issued, keys_dir=config.keys_dir(), agency=agency))
    finally:
        store.close()
    _print(args, {"skipped": False, "db": str(settings.db_path), **summary},
           t("cli.demo_done", db=settings.db_path, **summary))
    return EXIT_OK


def run_check(args, settings) -> int:
    from inspect_app.services.maintenance import check_database

    if not settings.db_path.exists():
        return _fail("cli.db_missing", db=settings.db_path)
    report = check_database(settings.db_path)
    lines = [t("cli.check_ok") if report["ok"] else t("cli.check_failed")]
    lines += [f"  - {problem}" for problem in report["problems"]]
    lines.append(t("cli.check_counts", **report["counts"]))
    _print(args, report, "\n".join(lines))
    return EXIT_OK if report["ok"] else EXIT_CHECK_FAILED


def run_backup(args, settings) -> int:
    from db.attachment_files import folder_beside
    from db.backup import attachments_of_backup, backup_with_attachments

    target = Path(args.file)
    if not settings.db_path.exists():
        return _fail("cli.db_missing", db=settings.db_path)
    if target.exists() and not args.force:
        return _fail("cli.backup_exists", file=target)
    if target.resolve() == settings.db_path.resolve():
        return _fail("cli.backup_same_file")
    store = _store(settings)  # brings the file to the current schema before it is copied
    store.close()
    try:
        photos = backup_with_attachments(settings.db_path, target)
    except OSError as exc:  # disk full, a read-only folder, a photo that cannot be read
        return _fail("cli.write_failed", file=target, reason=exc.strerror or exc)
    print(t("cli.backup_done", file=target))
    print_photo_copy(photos, folder_beside(settings.db_path), attachments_of_backup(target))
    return EXIT_OK


def run_ledger_export(args, settings) -> int:
    from inspect_app.services.ledger_export import SUPPORTED_SUFFIXES, export_ledger

    target = Path(args.output)
    if target.suffix.lower() not in SUPPORTED_SUFFIXES:
        return _fail("cli.export_bad_suffix", suffix=target.suffix or "(none)")
    store = _store(settings)
    try:
        if args.park and not _park_exists(store, args.park):
            return _fail("cli.park_missing", code=args.park)
        count = export_ledger(store, target, park_code=args.park)
    except OSError as exc:  # e.g. the file is open in Excel, or the folder is read-only
        return _fail("cli.write_failed", file=target, reason=exc.strerror or exc)
    finally:
        store.close()
    _print(args, {"file": str(target), "rows": count}, t("cli.export_done", file=target, rows=count))
    return EXIT_OK


def _import_defaults(options: list[str]) -> dict[str, str] | int:
    """`--default scale=规下` (the field by its name or its label in either language) as
    {field: value}; or the exit code after refusing a malformed or unknown one."""
    from inspect_app.services.ledger_import import DEFAULTABLE_FIELDS, default_field

    defaults: dict[str, str] = {}
    for option in options:
        name, sign, value = option.replace("＝", "=").partition("=")
        if not sign or not name.strip():
            return _fail("import.default_format", text=option)
        field = default_field(name)
        if field is None:
            return _fail("import.default_unknown_field", name=name.strip(), fields=", ".join(DEFAULTABLE_FIELDS))
        defaults[field] = value.strip()
    return defaults


def run_ledger_import(args, settings) -> int:
    from db.errors import UserError
    from inspect_app.services.ledger_import import import_ledger

    source = Path(args.file)
    if not source.is_file():
        return _fail("import.file_missing", file=source)
    defaults = _import_defaults(args.default)
    if isinstance(defaults, int):
        return defaults
    store = _store(settings)
    try:
        report = import_ledger(store, source, park_code=args.park, skip_invalid=args.skip_invalid,
                               dry_run=args.dry_run, defaults=defaults)
    except UserError as exc:
        return _fail(exc.key, **exc.values)
    except OSError as exc:
        return _fail("cli.write_failed", file=source, reason=exc.strerror or exc)
    finally:
        store.close()
    return finish_import(report, skip_invalid=args.skip_invalid, notes=[note.text for note in report.notes])


def _park_exists(store, code: str) -> bool:
    from inspect_app.services.ledger import find_park

    return find_park(store, code) is not None


def _add_templates_parser(sub) -> None:
    help_text = t("checklist.cli.templates_help")
    templates = sub.add_parser("templates", help=help_text, description=help_text)
    templates_sub = templates.add_subparsers(dest="templates_command", parser_class=Parser, required=True)
    check_text = t("checklist.cli.check_help")
    check = templates_sub.add_parser("check", help=check_text, description=check_text)
    check.add_argument("file", help=t("checklist.cli.check_file"))
    check.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    check.set_defaults(handler=run_templates_check)


def run_templates_check(args, settings) -> int:
    """Valid: 0 and one line. Invalid or unreadable: 2 and one `FILE:LINE: field: message` per problem."""
    from forms.checklist import TemplateError, load_template_file

    try:
        template = load_template_file(args.file)
    except TemplateError as exc:
        problems = exc.problems
        lines = [str(problem) for problem in problems] + [t("checklist.cli.invalid", count=len(problems))]
        payload = {"file": args.file, "valid": False, "problems": [problem.as_dict() for problem in problems]}
        _print(args, payload, "\n".join(lines))
        return EXIT_BAD_INPUT
    title, count = template.title(), len(template.items)
    payload = {
        "file": args.file,
        "valid": True,
        "id": template.id,
        "version": template.version,
        "title": title,
        "items": count,
        "legal_basis": list(template.legal_basis),
        "problems": [],
    }
    basis = (t("checklist.cli.basis", basis="、".join(template.legal_basis)) if template.legal_basis
             else t("checklist.cli.basis_none"))
    _print(args, payload, t("checklist.cli.valid", title=title, version=template.version, count=count) + "\n" + basis)
    return EXIT_OK


# --- parkinspect hazards ------------------------------------------------------------------------

# (column, catalogue key of its heading, widest it may be in terminal cells; None = as wide as needed)
HAZARD_COLUMNS = (
    ("deadline", "cli.hazards_col_deadline", None),
    ("status", "cli.hazards_col_status", None),
    ("severity", "cli.hazards_col_severity", None),
    ("park", "cli.hazards_col_park", None),
    ("tenant", "cli.hazards_col_tenant", 26),
    ("description", "cli.hazards_col_description", 36),
    ("responsible", "cli.hazards_col_responsible", 12),
)


def _add_hazards_parser(sub) -> None:
    # The status codes come from forms.catalogues, not services.hazards: building the parser must
    # not load the ORM (the TUI's start-up goes through here too).
    from forms.catalogues import HAZARD_STATUSES

    hazards = sub.add_parser("hazards", help=t("cli.hazards_help"), description=t("cli.hazards_help"))
    hazards.add_argument("--park", help=t("cli.opt_park"))
    hazards.add_argument("--status", choices=HAZARD_STATUSES, help=t("cli.hazards_status"))
    hazards.add_argument("--json", action="store_true", help=t("cli.hazards_json"))
    hazards.add_argument("-o", "--output", metavar="FILE", help=t("hazards_export.cli_output"))
    hazards.set_defaults(handler=run_hazards)


def run_hazards(args, settings) -> int:
    """Every matching hazard with its 五落实, earliest deadline first: a table, or one JSON array."""
    from forms import china_time
    from inspect_app.services.hazards import HazardQuery
    from inspect_app.services.hazards_export import SUPPORTED_SUFFIXES, all_hazards, export_hazards
    from inspect_app.services.ledger import find_park

    if not settings.db_path.exists():
        return _fail("cli.db_missing", db=settings.db_path)
    target = Path(args.output) if args.output else None
    if target is not None and target.suffix.lower() not in SUPPORTED_SUFFIXES:
        return _fail("cli.export_bad_suffix", suffix=target.suffix or "(none)")
    store = _store(settings)
    try:
        park_id = None
        if args.park:
            park = find_park(store, args.park)
            if park is None:
                return _fail("cli.park_missing", code=args.park)
            park_id = park.id
        query = HazardQuery(park_id=park_id, status=args.status, today=china_time.today())
        if target is not None:  # the spreadsheet with 五落实 and status (services/hazards_export.py)
            try:
                count = export_hazards(store, target, query)
            except OSError as exc:  # e.g. the file is open in Excel, or the folder is read-only
                return _fail("cli.write_failed", file=target, reason=exc.strerror or exc)
            _print(args, {"file": str(target), "rows": count}, t("cli.export_done", file=target, rows=count))
            return EXIT_OK
        rows = all_hazards(store, query)
    finally:
        store.close()
    if args.json:
        print(json.dumps([row.as_json() for row in rows], ensure_ascii=False))
    else:
        print(_hazards_table(rows))
    return EXIT_OK


def _hazards_table(rows) -> str:
    """A plain-text table for a terminal or a pager; CJK characters count two cells wide."""
    from forms.catalogues import label

    if not rows:
        return t("cli.hazards_none")
    cells = [
        {
            "deadline": row.deadline.isoformat() if row.deadline else "-",
            "status": label("hazard_status", row.status),
            "severity": label("severity", row.severity),
            "park": row.park_code,
            "tenant": row.tenant_name or t("cli.hazards_common_areas"),
            "description": row.description,
            "responsible": row.responsible or "-",
        }
        for row in rows
    ]
    headings = {name: t(key) for name, key, _ in HAZARD_COLUMNS}
    widths = {}
    for name, _, widest in HAZARD_COLUMNS:
        wanted = max(_cell_width(c[name]) for c in [headings, *cells])
        widths[name] = min(wanted, widest) if widest else wanted
    lines = [
        "  ".join(_fit(line[name], widths[name]) for name, _, _ in HAZARD_COLUMNS).rstrip()
        for line in [headings, *cells]
    ]
    lines.insert(1, "  ".join("-" * widths[name] for name, _, _ in HAZARD_COLUMNS))
    lines.append(t("cli.hazards_total", count=len(rows)))
    return "\n".join(lines)


def _cell_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _fit(text: str, width: int) -> str:
    """Cut to `width` terminal cells (ending in …) and pad to exactly that many."""
    if _cell_width(text) > width:
        while _cell_width(text) > width - 1:
            text = text[:-1]
        text += "…"
    return text + " " * (width - _cell_width(text))
