"""`parkinspect rules`: the county's rules files, checked and applied.

    parkinspect rules check FILE                                  valid: 0; problems (file:line: field): 2
    parkinspect rules apply --park CODE [--rules FILE] [-o matrix.xlsx]

`apply` prints each result in words with its figures and article, and writes the park's
compliance matrix (tenants × rules) when `-o` is given. Bad input is refused with exit 2.

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

from pathlib import Path

from forms.i18n import t
from inspect_app.cli.common import EXIT_BAD_INPUT, EXIT_OK, Parser, open_store, print_result
from inspect_app.cli.common import fail as _fail


def add_parser(sub) -> None:
    rules = sub.add_parser("rules", help=t("rules.cli.help"), description=t("rules.cli.help"))
    rules_sub = rules.add_subparsers(dest="rules_command", parser_class=Parser, required=True)
    check = rules_sub.add_parser("check", help=t("rules.cli.check_help"), description=t("rules.cli.check_help"))
    check.add_argument("file", help=t("rules.cli.check_file"))
    check.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    check.set_defaults(handler=run_rules_check)
    apply = rules_sub.add_parser("apply", help=t("rules.cli.apply_help"), description=t("rules.cli.apply_help"))
    apply.add_argument("--park", metavar="CODE", required=True, help=t("rules.cli.park"))
    apply.add_argument("--rules", metavar="FILE", help=t("rules.cli.rules_file"))
    apply.add_argument("-o", "--output", metavar="FILE.xlsx", help=t("rules.cli.output"))
    apply.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    apply.set_defaults(handler=run_rules_apply)


def _problems(args, file: str, problems) -> int:
    lines = [str(problem) for problem in problems] + [t("rules.cli.invalid", count=len(problems))]
    payload = {"file": file, "valid": False, "problems": [problem.as_dict() for problem in problems]}
    print_result(args, payload, "\n".join(lines))
    return EXIT_BAD_INPUT


def run_rules_check(args, settings) -> int:
    from forms.checklist import read_file_bytes
    from forms.entry_rules import is_entry_file, parse_entry_rules
    from forms.rules import TemplateError, parse_rules

    try:
        data = read_file_bytes(args.file)
        # an entry rules file (kind = "entry") has its own checks and keys: forms/entry_rules.py
        rules = (parse_entry_rules if is_entry_file(data) else parse_rules)(data, args.file)
    except TemplateError as exc:
        return _problems(args, args.file, exc.problems)
    payload = {"file": args.file, "valid": True, "id": rules.id, "version": rules.version, "title": rules.title(),
               "rules": [rule.code for rule in rules.rules], "problems": []}
    print_result(args, payload, t("rules.cli.valid", title=rules.title(), version=rules.version,
                                  count=len(rules.rules)))
    return EXIT_OK


def run_rules_apply(args, settings) -> int:
    from db.errors import UserError
    from forms.rules import TemplateError, load_rules
    from inspect_app.services import rules as rule_service
    from inspect_app.services.ledger import find_park

    try:
        rules = load_rules(args.rules)
    except TemplateError as exc:
        return _problems(args, args.rules or "", exc.problems)
    target = Path(args.output).expanduser() if args.output else None
    if target is not None and target.suffix.lower() != ".xlsx":
        return _fail("rules.cli.bad_suffix")
    if not settings.db_path.exists():
        return _fail("cli.db_missing", db=settings.db_path)
    store = open_store(settings)
    try:
        park = find_park(store, args.park)
        if park is None:
            return _fail("rules.cli.unknown_park", code=args.park)
        if target is not None:
            found = rule_service.export_matrix(store, park.id, target, rules, lang=settings.language)
        else:
            found = rule_service.apply_rules(store, park.id, rules)
        lines = [t("rules.rules_version", title=rules.title(), id=rules.id, version=rules.version)]
        lines += [f"{result.rule.code}  {result.text()}" for result in found.results]
        lines.append(t("rules.cli.summary", park=park.name, tenants=len(found.tenants), results=len(found.results)))
        if target is not None:
            lines.append(t("rules.cli.written", path=target))
        payload = {"park": park.code, "rules": {"id": rules.id, "version": rules.version},
                   "tenants": len(found.tenants), "file": str(target) if target else None,
                   "results": [{"rule": r.rule.code, "tenant": r.tenant_name, "tenant_id": r.tenant_id,
                                "article": r.rule.article(), "message": r.message(), "severity": r.rule.severity}
                               for r in found.results]}
        print_result(args, payload, "\n".join(lines))
        return EXIT_OK
    except UserError as exc:
        return _fail(exc.key, **exc.values)
    except OSError as exc:
        return _fail("cli.write_failed", file=target, reason=exc.strerror or exc)
    finally:
        store.close()
