"""`parkinspect stars …`: the park's star rating (星级评定) by the county's criteria.

    parkinspect stars --park CODE [--year 2026] [--criteria FILE] [-o FILE.xlsx|FILE.pdf] [--json]
    parkinspect stars set --park CODE --year 2026 --item I1 --points 8 --evidence "…"
    parkinspect stars check FILE [--json]         (the same as `parkinspect rules check FILE`)

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

import json
import sys

from forms.i18n import t
from inspect_app.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Parser,
    add_check_parser,
    park_with_rules,
    text_table,
)


def add_parser(sub) -> None:
    stars = sub.add_parser("stars", help=t("stars.cli.help"), description=t("stars.cli.help"))
    stars.add_argument("--park", metavar="CODE", help=t("cli.opt_park"))
    stars.add_argument("--year", type=int, metavar="YYYY", help=t("stars.cli.opt_year"))
    stars.add_argument("--criteria", metavar="FILE", help=t("stars.cli.opt_criteria"))
    stars.add_argument("-o", "--output", metavar="FILE", help=t("stars.cli.opt_output"))
    stars.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    stars.set_defaults(handler=run_stars)
    stars_sub = stars.add_subparsers(dest="stars_command", parser_class=Parser)
    add_check_parser(stars_sub, "stars", run_stars_check)
    put = stars_sub.add_parser("set", help=t("stars.cli.set_help"), description=t("stars.cli.set_help"))
    put.add_argument("--park", metavar="CODE", required=True, help=t("cli.opt_park"))
    put.add_argument("--year", type=int, metavar="YYYY", help=t("stars.cli.opt_year"))
    put.add_argument("--criteria", metavar="FILE", help=t("stars.cli.opt_criteria"))
    put.add_argument("--item", required=True, help=t("stars.cli.opt_item"))
    put.add_argument("--points", required=True, help=t("stars.cli.opt_points"))
    put.add_argument("--evidence", help=t("stars.cli.opt_evidence"))
    put.set_defaults(handler=run_stars_set)


def run_stars_check(args, settings) -> int:
    """`stars check FILE`: `rules check FILE` for a star criteria file."""
    from inspect_app.cli.rules import check_rules_file

    return check_rules_file(args, "star_criteria")


def _criteria_and_park(args, settings):
    """(criteria, store, park) or an exit code after saying why."""
    from forms.star_criteria import load_criteria

    return park_with_rules(args, settings, load_criteria, args.criteria, "stars.criteria_invalid")


def run_stars_set(args, settings) -> int:
    from forms import china_time
    from inspect_app.services.errors import UserError
    from inspect_app.services.stars import save_star_score

    found = _criteria_and_park(args, settings)
    if isinstance(found, int):
        return found
    criteria, store, park = found
    try:
        row = save_star_score(store, park_id=park.id, year=args.year or china_time.today().year, item_code=args.item,
                              points=args.points, evidence=args.evidence, criteria=criteria)
    except UserError as exc:
        print(exc.message(), file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        store.close()
    print(t("stars.saved", code=row.item_code, points=f"{row.points:g}"))
    return EXIT_OK


def run_stars(args, settings) -> int:
    from forms import china_time
    from inspect_app.services.stars import star_assessment
    from inspect_app.services.stars_export import item_rows, summary_lines, write_stars_file

    found = _criteria_and_park(args, settings)
    if isinstance(found, int):
        return found
    criteria, store, park = found
    today = china_time.today()
    try:
        assessment = star_assessment(store, park.id, args.year or today.year, today=today, criteria=criteria,
                                     thresholds=settings.risk_flags, calendar=settings.calendar)
    finally:
        store.close()
    if args.output:
        write_stars_file(assessment, args.output)
        print(t("stars.cli.written", path=args.output))
    if args.json:
        print(json.dumps({"year": assessment.year, "total": assessment.total, "star": assessment.star,
                          "next_star": assessment.next_star, "figures": assessment.figures,
                          "dimensions": {d.dimension.code: {"points": d.points, "maximum": d.maximum}
                                         for d in assessment.dimensions},
                          "items": {s.item.code: s.points for s in assessment.items}}, ensure_ascii=False))
    elif not args.output:
        lines = [t("stars.form_title", code=park.code, name=park.name, year=assessment.year),
                 *summary_lines(assessment), ""]
        lines += text_table([t(f"stars.col_{k}") for k in ("dimension", "points", "maximum", "open")],
                        [[d.dimension.name(), f"{d.points:.1f}", f"{d.maximum:g}", f"{d.open_points:.1f}"]
                         for d in assessment.dimensions])
        lines += [""] + text_table([t(f"stars.col_{k}") for k in ("code", "dimension", "item", "maximum", "points",
                                                              "basis")],
                               [[str(v) for v in row] for row in item_rows(assessment)])
        print("\n".join(lines))
    return EXIT_OK
