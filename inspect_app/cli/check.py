"""`parkinspect check`: whether the database is sound (services/maintenance.py `check_database`), with counts.

The service is imported inside the handler: building the parser is on the TUI's start-up path
(tests/test_startup.py), which must not load the ORM.
"""

from __future__ import annotations

from forms.i18n import t
from inspect_app.cli.common import EXIT_CHECK_FAILED, EXIT_OK, fail, print_result


def add_parser(sub) -> None:
    check = sub.add_parser("check", help=t("cli.check_help"), description=t("cli.check_help"))
    check.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    check.set_defaults(handler=run_check)


def run_check(args, settings) -> int:
    from inspect_app.services.maintenance import check_database

    if not settings.db_path.exists():
        return fail("cli.db_missing", db=settings.db_path)
    report = check_database(settings.db_path)
    lines = [t("cli.check_ok") if report["ok"] else t("cli.check_failed")]
    lines += [f"  - {problem}" for problem in report["problems"]]
    lines.append(t("cli.check_counts", **report["counts"]))
    print_result(args, report, "\n".join(lines))
    return EXIT_OK if report["ok"] else EXIT_CHECK_FAILED
