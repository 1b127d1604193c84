"""`parkinspect templates check FILE`: whether a checklist template is valid, and where it is not.

forms.checklist is imported inside the handler: building the parser is on the TUI's start-up path
(tests/test_startup.py), which loads only what the first screen needs.
"""

from __future__ import annotations

from forms.i18n import t
from inspect_app.cli.common import EXIT_BAD_INPUT, EXIT_OK, Parser, print_result


def add_parser(sub) -> None:
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
        print_result(args, payload, "\n".join(lines))
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
    print_result(args, payload,
                 t("checklist.cli.valid", title=title, version=template.version, count=count) + "\n" + basis)
    return EXIT_OK
