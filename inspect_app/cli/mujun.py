"""`parkinspect mujun …`: 亩均效益 classes computed by the county's method; `mujun check FILE`.

    parkinspect mujun --park CODE [--year 2025] [--method FILE] [--explain] [-o FILE.xlsx] [--json]
    parkinspect mujun check FILE [--json]         (the same as `parkinspect rules check FILE`)

One line per tenant (computed class and score, the ledger's class, the difference); --explain adds
each score in words; -o writes the 公示 sheet with the objection notes. A malformed method file is
refused with its problems (file, line, field), never replaced by the built-in one.

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

import json

from forms.i18n import t
from inspect_app.cli.common import EXIT_OK, Parser, add_check_parser, park_with_rules, text_table


def add_parser(sub) -> None:
    mujun = sub.add_parser("mujun", help=t("mujun.cli.help"), description=t("mujun.cli.help"))
    mujun.add_argument("--park", metavar="CODE", help=t("cli.opt_park"))
    mujun.add_argument("--year", type=int, metavar="YYYY", help=t("mujun.cli.opt_year"))
    mujun.add_argument("--method", metavar="FILE", help=t("mujun.cli.opt_method"))
    mujun.add_argument("--explain", action="store_true", help=t("mujun.cli.opt_explain"))
    mujun.add_argument("-o", "--output", metavar="FILE.xlsx", help=t("mujun.cli.opt_output"))
    mujun.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    mujun.set_defaults(handler=run_mujun)
    mujun_sub = mujun.add_subparsers(dest="mujun_command", parser_class=Parser)
    add_check_parser(mujun_sub, "mujun", run_mujun_check)


def run_mujun_check(args, settings) -> int:
    """`mujun check FILE`: `rules check FILE` for a 亩均 method file."""
    from inspect_app.cli.rules import check_rules_file

    return check_rules_file(args, "mujun_method")


def run_mujun(args, settings) -> int:
    from forms.mujun_method import load_method
    from inspect_app.services.mujun import default_year, mujun_classes

    found = park_with_rules(args, settings, load_method, args.method, "mujun.cli.method_invalid")
    if isinstance(found, int):
        return found
    method, store, park = found
    try:
        year = args.year or default_year(store)
        result = mujun_classes(store, year, park_id=park.id, method=method)
    finally:
        store.close()
    if args.output:
        from inspect_app.services.mujun_export import write_mujun_xlsx

        count = write_mujun_xlsx(result, args.output)
        print(t("mujun.cli.written", path=args.output, count=count))
    if args.json:
        print(json.dumps(_json(result), ensure_ascii=False))
    elif not args.output or args.explain:
        print(_text(park, result, explain=args.explain))
    return EXIT_OK


def _json(result) -> dict:
    return {"year": result.year, "method": {"id": result.method.id, "version": result.method.version},
            "tenants": [{"id": row.id, "name": row.name, "credit_code": row.credit_code, "scale": row.figures.scale,
                         "land_mu": row.score.land_mu, "score": row.score.score, "class": row.score.cls,
                         "not_graded": row.score.reason, "official_class": row.official_class,
                         "explanation": row.explanation(result.method)} for row in result.rows]}


def _text(park, result, *, explain: bool) -> str:
    from forms.catalogues import label

    method = result.method
    counts = result.counts()
    lines = [t("mujun.cli.title", code=park.code, name=park.name, year=result.year, method=method.title(),
               version=method.version),
             t("mujun.cli.counts", A=counts.get("A", 0), B=counts.get("B", 0), C=counts.get("C", 0),
               D=counts.get("D", 0), none=counts.get(None, 0), differs=sum(1 for r in result.rows if r.differs)), ""]
    headings = [t(f"mujun.cli.col_{key}") for key in ("name", "scale", "score", "class", "official", "difference")]
    rows = [[row.name, label("scale", row.figures.scale),
             "-" if row.score.score is None else f"{row.score.score:.1f}", row.score.cls or "-",
             row.official_class or "-", row.difference()] for row in result.rows]
    lines += text_table(headings, rows)
    if explain:
        for row in result.rows:
            lines += ["", f"{row.name}  {row.credit_code}", *(f"  {line}" for line in row.explanation(method))]
    return "\n".join(lines)
