"""What every `parkinspect` sub-command module shares: the parser class, exit codes, opening the
store, refusing with a translated message, printing text or JSON, a text table, a park with the
rules file a command reads, and printing an import report."""

from __future__ import annotations

import argparse
import json
import sys

from db.errors import UserError
from forms.i18n import t

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class Parser(argparse.ArgumentParser):
    """argparse whose usage errors are printed in the user's language."""

    def error(self, message: str):  # noqa: D401 - argparse API
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, t("cli.usage_error", prog=self.prog, detail=message) + "\n")


def open_store(settings):
    from db.store import Store  # when a command opens the database, not whenever the parser is built

    store = Store.open(settings.db_path)
    store.office_run = settings.office  # `--office`: the office's role for this run
    return store


def with_store(settings, work) -> int:
    """Run `work(store)` on the existing database; a missing file or a UserError is a refusal."""
    if not settings.db_path.exists():
        return fail("cli.db_missing", db=settings.db_path)
    store = open_store(settings)
    try:
        return work(store)
    except UserError as error:
        return fail(error.key, **error.values)
    finally:
        store.close()


def with_store_writing(settings, target, work) -> int:
    """`with_store` for a command that writes `target`: a file the system refuses is named, with why."""
    try:
        return with_store(settings, work)
    except OSError as exc:
        return fail("cli.write_failed", file=target, reason=exc.strerror or exc)


def park_with_rules(args, settings, load, path, invalid_key: str):
    """(rules, store, park) for a command about one park (`--park`) by a rules file (`load(path)`:
    the 亩均 method, the star criteria), or an exit code after saying why; the caller closes the store."""
    # when the command runs, not whenever the parser is built
    from forms.rule_file import RuleFileError
    from inspect_app.services.ledger import find_park

    if not settings.db_path.exists():
        return fail("cli.db_missing", db=settings.db_path)
    if not args.park:
        return fail("mujun.cli.need_park")
    try:
        rules = load(path)
    except RuleFileError as exc:
        return fail(invalid_key, problem=str(exc.problems[0]))
    store = open_store(settings)
    park = find_park(store, args.park.strip())
    if park is None:
        store.close()
        return fail("cli.park_missing", code=args.park)
    return rules, store, park


def add_check_parser(commands, prefix: str, handler) -> None:
    """`<command> check FILE [--json]` under `commands` (the same as `rules check FILE` for one kind
    of rules file); its words `<prefix>.cli.check_help` and `<prefix>.cli.check_file`."""
    check = commands.add_parser("check", help=t(f"{prefix}.cli.check_help"), description=t(f"{prefix}.cli.check_help"))
    check.add_argument("file", help=t(f"{prefix}.cli.check_file"))
    check.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    check.set_defaults(handler=handler)


def text_table(headings: list[str], rows: list[list[str]]) -> list[str]:
    """The lines of a table for a terminal: columns as wide as their widest cell (CJK counts two)."""
    from rich.cells import cell_len

    widths = [max(cell_len(row[i]) for row in [headings, *rows]) for i in range(len(headings))]
    return ["  ".join(cell + " " * (width - cell_len(cell)) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [headings, *rows]]


def fail(key: str, **values: object) -> int:
    """Print a translated refusal on stderr; the exit code for bad input."""
    print(t(key, **values), file=sys.stderr)
    return EXIT_BAD_INPUT


def print_result(args, payload: dict, text: str) -> None:
    """`--json` prints the payload, otherwise the text for a person."""
    print(json.dumps(payload, ensure_ascii=False) if getattr(args, "json", False) else text)
    sys.stdout.flush()  # a reader that left (`| head -1`) shows here, where cli.main handles it, not at exit


def print_photo_copy(photos) -> None:
    """What a backup or a restore did with the photos (services/backups.py PhotoCopy): how many
    were copied into the target folder; missing and damaged ones (in the source folder) on stderr."""
    report, source, target = photos.report, photos.source, photos.target
    if report.copied or report.already_there:
        print(t("maintenance.photos_copied", copied=report.copied, present=report.already_there, folder=target))
    for key, digests in (("maintenance.photos_missing", report.missing), ("maintenance.photos_damaged", report.damaged)):
        if digests:
            names = ", ".join(d[:12] for d in digests[:5]) + (" …" if len(digests) > 5 else "")
            print(t(key, count=len(digests), folder=source, names=names), file=sys.stderr)


def finish_import(report, *, skip_invalid: bool, warning_key: str = "import.warning",
                  warnings_count_key: str | None = None, notes: list[str] = ()) -> int:
    """Print an import's report (ledger and quarterly share its shape) and return the exit code:
    bad input when rows were refused and nothing was written, else 0 (a dry run says so).
    `notes`: what the import did on its own (defaults it filled, synonyms it read)."""
    print_import_report(report, warning_key=warning_key)
    for note in notes:
        print(t("import.note", text=note))
    if warnings_count_key and report.warnings:
        print(t(warnings_count_key, count=len(report.warnings)))
    print(t("import.counts", created=report.created, updated=report.updated, unchanged=report.unchanged))
    if report.rejects_file:
        print(t("import.rejects", file=report.rejects_file))
    if not report.written:
        if report.problems and not skip_invalid:
            print(t("import.refused"), file=sys.stderr)
            return EXIT_BAD_INPUT
        print(t("import.dry_run_done"))
    return EXIT_OK


def print_import_report(report, *, warning_key: str = "import.warning") -> None:
    """The lines every import prints first: the header mapping, unknown headers, each refused
    value, each warning, and how many rows were read and valid."""
    mapping = ", ".join(f"{header}→{name}" for header, name in report.mapping.items())
    print(t("import.header_row", row=report.header_row, mapping=mapping))
    if report.unmapped:
        print(t("import.unmapped", headers=", ".join(report.unmapped)))
    for p in report.problems:
        print(t("import.problem", row=p.row, column=p.column, value=p.value, reason=p.reason))
    for w in report.warnings:
        print(t(warning_key, row=w.row, column=w.column, value=w.value, reason=w.reason))
    print(t("import.summary", rows=report.data_rows, valid=report.valid_rows, bad=len(report.bad_rows)))
