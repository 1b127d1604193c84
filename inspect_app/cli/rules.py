"""`parkinspect rules`: the county's rules files, checked and applied.

    parkinspect rules check FILE                                  valid: 0; problems (file:line: field): 2
    parkinspect rules apply --park CODE [--rules FILE] [-o matrix.xlsx]

`check` takes any kind of rules file the app reads (the county's fire rules, the entry rules, the
亩均 method, the star criteria), told by its `kind` key or its tables (forms/rule_kinds.py); `mujun check` and
`stars check` are the same check for one kind. `apply` prints each result in words with its
figures and article, and writes the park's compliance matrix (tenants × rules) when `-o` is given. Bad input is refused with exit 2.

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

from pathlib import Path

from forms.i18n import t
from inspect_app.cli.common import EXIT_BAD_INPUT, EXIT_OK, Parser, print_result, with_store_writing
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


def _valid_text(kind: str, loaded) -> tuple[str, dict]:
    """The one-line verdict of a valid file and what --json adds, by kind."""
    if kind == "mujun_method":
        return (t("mujun.cli.valid", title=loaded.title(), version=loaded.version, count=len(loaded.indicators),
                  classing=t(f"mujun.classing.{loaded.classing}")),
                {"indicators": len(loaded.indicators), "classing": loaded.classing})
    if kind == "star_criteria":
        return (t("stars.cli.valid", title=loaded.title(), version=loaded.version,
                  dimensions=len(loaded.dimensions), count=len(loaded.items)),
                {"dimensions": len(loaded.dimensions), "items": len(loaded.items)})
    # the county's fire rules and the entry rules: a list of [[rules]]
    return (t("rules.cli.valid", title=loaded.title(), version=loaded.version, count=len(loaded.rules)),
            {"rules": [rule.code for rule in loaded.rules]})


def check_rules_file(args, kind: str | None = None) -> int:
    """Check one rules file of any kind (or of `kind`); its problems as FILE:LINE: field: message, exit 2."""
    from forms.rule_file import RuleFileError
    from forms.rule_kinds import load_any

    try:
        kind, loaded = load_any(args.file, kind)
    except RuleFileError as exc:
        return _problems(args, args.file, exc.problems)
    text, extra = _valid_text(kind, loaded)
    payload = {"file": args.file, "valid": True, "kind": kind, "id": loaded.id, "version": loaded.version,
               "title": loaded.title(), **extra, "problems": []}
    print_result(args, payload, text)
    return EXIT_OK


def run_rules_check(args, settings) -> int:
    return check_rules_file(args)


def run_rules_apply(args, settings) -> int:
    from forms.rules import RuleFileError, load_rules
    from inspect_app.services import rules as rule_service
    from inspect_app.services.ledger import find_park

    try:
        rules = load_rules(args.rules)
    except RuleFileError as exc:
        return _problems(args, args.rules or "", exc.problems)
    target = Path(args.output).expanduser() if args.output else None
    if target is not None and target.suffix.lower() != ".xlsx":
        return _fail("rules.cli.bad_suffix")

    def apply(store) -> int:
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

    return with_store_writing(settings, target, apply)
