"""`parkinspect entry` and `parkinspect exit-list`: who comes into a park and who is asked to leave.

    parkinspect entry check  --park CODE --applicant FILE.toml|json [--rules FILE]
    parkinspect entry decide --park CODE --applicant FILE --decision admit|refuse [--note TEXT] [--rules FILE]
    parkinspect exit-list --park CODE --quarter 2026Q4 [-o FILE.xlsx]
    parkinspect exit-list decide --park CODE --quarter 2026Q4 --tenant CREDIT_CODE --decision keep|talk|exit [--note]

`entry check` prints every refusal with its source (exit 1 when refused, 0 when admissible);
`entry decide` records the decision and, for an admission, makes the tenant. `exit-list` prints a
quarter's list with the evidence and writes the office's sheet with `-o`; `exit-list decide`
records a decision. Bad input exits 2 and writes nothing (inspect_app/services/entry.py, exit_list.py).

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

from pathlib import Path

from forms.i18n import t
from inspect_app.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_OK,
    Parser,
    open_store,
    print_result,
)
from inspect_app.cli.common import fail as _fail


def add_parser(sub) -> None:
    entry = sub.add_parser("entry", help=t("entry.cli.help"), description=t("entry.cli.help"))
    entry_sub = entry.add_subparsers(dest="entry_command", parser_class=Parser, required=True)
    for name, handler in (("check", run_entry_check), ("decide", run_entry_decide)):
        command = entry_sub.add_parser(name, help=t(f"entry.cli.{name}_help"), description=t(f"entry.cli.{name}_help"))
        command.add_argument("--park", metavar="CODE", required=True, help=t("entry.cli.park"))
        command.add_argument("--applicant", metavar="FILE", required=True, help=t("entry.cli.applicant"))
        command.add_argument("--rules", metavar="FILE", help=t("entry.cli.rules_file"))
        if name == "decide":
            command.add_argument("--decision", required=True, choices=("admit", "refuse"), help=t("entry.cli.decision"))
            command.add_argument("--note", help=t("entry.cli.note"))
        command.add_argument("--json", action="store_true", help=t("cli.opt_json"))
        command.set_defaults(handler=handler)

    exits = sub.add_parser("exit-list", help=t("exit.cli.help"), description=t("exit.cli.help"))
    # not `required`: `exit-list decide` takes them after its own name (checked in run_exit_list)
    exits.add_argument("--park", metavar="CODE", help=t("entry.cli.park"))
    exits.add_argument("--quarter", metavar="2026Q4", help=t("exit.cli.quarter"))
    exits.add_argument("-o", "--output", metavar="FILE.xlsx", help=t("exit.cli.output"))
    exits.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    exits.set_defaults(handler=run_exit_list)
    exits_sub = exits.add_subparsers(dest="exit_command", parser_class=Parser)
    decide = exits_sub.add_parser("decide", help=t("exit.cli.decide_help"), description=t("exit.cli.decide_help"))
    decide.add_argument("--park", metavar="CODE", required=True, help=t("entry.cli.park"))
    decide.add_argument("--quarter", metavar="2026Q4", required=True, help=t("exit.cli.quarter"))
    decide.add_argument("--tenant", metavar="CREDIT_CODE", required=True, help=t("exit.cli.tenant"))
    decide.add_argument("--decision", required=True, choices=("keep", "talk", "exit"), help=t("exit.cli.decision"))
    decide.add_argument("--note", help=t("entry.cli.note"))
    decide.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    decide.set_defaults(handler=run_exit_decide)


def _screening(args, store):
    """(park, screening) or raise UserError / TemplateError."""
    from db.errors import UserError
    from forms.entry_rules import load_entry_rules
    from inspect_app.services import entry
    from inspect_app.services.ledger import find_park

    park = find_park(store, args.park)
    if park is None:
        raise UserError("rules.cli.unknown_park", code=args.park)
    applicant = entry.read_applicant(Path(args.applicant))
    return park, entry.screen_applicant(applicant, load_entry_rules(args.rules))


def _run(args, settings, body) -> int:
    from db.errors import UserError
    from forms.checklist import TemplateError

    if not settings.db_path.exists():
        return _fail("cli.db_missing", db=settings.db_path)
    store = open_store(settings)
    try:
        return body(store)
    except TemplateError as exc:
        lines = [str(problem) for problem in exc.problems] + [t("rules.cli.invalid", count=len(exc.problems))]
        print_result(args, {"valid": False, "problems": [p.as_dict() for p in exc.problems]}, "\n".join(lines))
        return EXIT_BAD_INPUT
    except UserError as exc:
        return _fail(exc.key, **exc.values)
    except OSError as exc:
        return _fail("cli.write_failed", file=getattr(args, "output", None), reason=exc.strerror or exc)
    finally:
        store.close()


def _screening_lines(park, screening) -> list[str]:
    rules = screening.rules
    lines = [t("entry.rules_version", title=rules.title(), id=rules.id, version=rules.version)]
    for refusal in screening.refusals:
        lines.append(t("entry.refusal", code=refusal.rule.code, message=refusal.message(),
                       source=refusal.rule.source()))
    lines.append(t("entry.admissible", name=screening.applicant.name, park=park.name) if screening.admissible
                 else t("entry.refused", name=screening.applicant.name, park=park.name, count=len(screening.refusals)))
    return lines


def _screening_json(park, screening) -> dict:
    return {"park": park.code, "applicant": screening.applicant.name,
            "credit_code": screening.applicant.credit_code, "admissible": screening.admissible,
            "rules": {"id": screening.rules.id, "version": screening.rules.version},
            "refusals": [refusal.as_record() for refusal in screening.refusals]}


def run_entry_check(args, settings) -> int:
    def body(store) -> int:
        park, screening = _screening(args, store)
        print_result(args, _screening_json(park, screening), "\n".join(_screening_lines(park, screening)))
        return EXIT_OK if screening.admissible else EXIT_CHECK_FAILED
    return _run(args, settings, body)


def run_entry_decide(args, settings) -> int:
    from inspect_app.services import entry

    def body(store) -> int:
        park, screening = _screening(args, store)
        decision = entry.decide(store, park.id, screening, args.decision, note=args.note)
        key = "entry.admitted" if decision.decision == "admit" else "entry.refusal_recorded"
        lines = _screening_lines(park, screening) + [t(key, name=screening.applicant.name, park=park.name)]
        print_result(args, {**_screening_json(park, screening), "decision": decision.decision,
                            "decision_id": decision.id, "tenant_id": decision.tenant_id}, "\n".join(lines))
        return EXIT_OK
    return _run(args, settings, body)


def _park_and_quarter(args, store):
    from db.errors import UserError
    from inspect_app.services.exit_list import parse_quarter
    from inspect_app.services.ledger import find_park

    quarter = parse_quarter(args.quarter)
    park = find_park(store, args.park)
    if park is None:
        raise UserError("rules.cli.unknown_park", code=args.park)
    return park, quarter


def run_exit_list(args, settings) -> int:
    from inspect_app.services import exit_list

    if not args.park or not args.quarter:
        return _fail("exit.need_park_quarter")
    target = Path(args.output).expanduser() if args.output else None
    if target is not None and target.suffix.lower() != ".xlsx":
        return _fail("exit.bad_suffix")

    def body(store) -> int:
        park, quarter = _park_and_quarter(args, store)
        if target is not None:
            listed = exit_list.export_exit_list(store, park.id, quarter, target, lang=settings.language,
                                                thresholds=settings.risk_flags)
        else:
            listed = exit_list.exit_list(store, park.id, quarter, thresholds=settings.risk_flags)
        lines = []
        for c in listed:
            decided = (t("exit.decided", decision=t(f"exit.decision.{c.decision.decision}"),
                         who=c.decision.decided_by or "—") if c.decision else t("exit.undecided"))
            lines.append(f"{c.name}  {c.credit_code}  {decided}")
            lines += [f"  {g.label()}: {g.evidence}" for g in c.grounds]
        lines.append(t("exit.summary", park=park.name, quarter=quarter.label(), count=len(listed)))
        if target is not None:
            lines.append(t("exit.written", path=target))
        payload = {"park": park.code, "quarter": str(quarter), "file": str(target) if target else None,
                   "tenants": [{"name": c.name, "credit_code": c.credit_code,
                                "grounds": [g.as_record() for g in c.grounds],
                                "decision": c.decision.decision if c.decision else None,
                                "decided_by": c.decision.decided_by if c.decision else None} for c in listed]}
        print_result(args, payload, "\n".join(lines))
        return EXIT_OK
    return _run(args, settings, body)


def run_exit_decide(args, settings) -> int:
    from inspect_app.services import exit_list
    from inspect_app.services.dossier import find_tenant

    def body(store) -> int:
        park, quarter = _park_and_quarter(args, store)
        tenant = find_tenant(store, args.tenant, park.code)
        decision_id = exit_list.decide(store, park.id, tenant.id, quarter, args.decision, note=args.note,
                                           thresholds=settings.risk_flags)
        print_result(args, {"park": park.code, "quarter": str(quarter), "tenant": tenant.credit_code,
                            "decision": args.decision, "decision_id": decision_id},
                     t("exit.recorded", name=tenant.name, quarter=quarter.label(),
                       decision=t(f"exit.decision.{args.decision}")))
        return EXIT_OK
    return _run(args, settings, body)
