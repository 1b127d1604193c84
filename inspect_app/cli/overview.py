"""`parkinspect overview [--park CODE] [--quarter 2026Q3] [--json]`: the overview as text or JSON.

The county: its figures and one line per park. A park (--park): its figures, one line per tenant
(class, output, year-on-year change, flags) and every flag in words. The quarter defaults to the
latest complete one with data (services/park_overview.py); --json prints the service's as_json().

The services (and the libraries they need) are imported inside the handlers: this module is
imported whenever the parser is built, on the TUI's start-up path too (tests/test_startup.py).
"""

from __future__ import annotations

import json

from forms.i18n import t
from inspect_app.cli.common import EXIT_OK, open_store, text_table
from inspect_app.cli.common import fail as _fail


def add_parser(sub) -> None:
    overview = sub.add_parser("overview", help=t("overview.cli.help"), description=t("overview.cli.help"))
    overview.add_argument("--park", metavar="CODE", help=t("cli.opt_park"))
    overview.add_argument("--quarter", metavar="2026Q3", help=t("overview.cli.opt_quarter"))
    overview.add_argument("--json", action="store_true", help=t("cli.opt_json"))
    overview.set_defaults(handler=run_overview)


def run_overview(args, settings) -> int:
    from inspect_app.services.park_overview import Quarter, county_overview, park_id_for_code, park_overview

    if not settings.db_path.exists():
        return _fail("cli.db_missing", db=settings.db_path)
    try:
        quarter = Quarter.parse(args.quarter) if args.quarter else None
    except ValueError:
        return _fail("overview.cli.bad_quarter", value=args.quarter)
    store = open_store(settings)
    try:
        if args.park:
            park_id = park_id_for_code(store, args.park)
            if park_id is None:
                return _fail("cli.park_missing", code=args.park)
            result = park_overview(store, park_id, quarter=quarter, thresholds=settings.risk_flags,
                                       calendar=settings.calendar)
            text = _park_text(result) if not args.json else None
        else:
            result = county_overview(store, quarter=quarter, thresholds=settings.risk_flags,
                                     calendar=settings.calendar)
            text = _county_text(result) if not args.json else None
    finally:
        store.close()
    print(json.dumps(result.as_json(), ensure_ascii=False) if args.json else text)
    return EXIT_OK


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _figures_lines(f) -> list[str]:
    from inspect_app.services.risk_flags import FLAG_KINDS

    flags = t("risk_flags.list_separator").join(f"{t(f'risk_flags.label.{kind}')} {f.flags.get(kind):,}"
                                                for kind in FLAG_KINDS if f.flags.get(kind))
    return [
        t("overview.cli.area_over" if f.over_rented_m2 else "overview.cli.area", tenants=f"{f.tenants:,}",
          rented=_number(f.rented_area_m2), vacant=_number(f.vacant_area_m2), over=_number(f.over_rented_m2),
          headcount=f"{f.headcount:,}"),
        t("overview.cli.money", output=_number(f.output_wan), tax=_number(f.tax_wan), per_mu=_number(f.output_per_mu),
          tax_per_mu=_number(f.tax_per_mu), annual_per_mu=_number(f.annual_output_per_mu)),
        t("overview.cli.above", above=f"{f.above_tenants:,}", share=_share(f.above_tenant_share),
          output_share=_share(f.above_output_share)),
        t("overview.cli.hazards", open=f.hazards.open, open_major=f.hazards.open_major, overdue=f.hazards.overdue,
          overdue_major=f.hazards.overdue_major),
        t("overview.cli.late_notices", late=f"{f.late_notices:,}"),
        t("overview.cli.flags", flagged=f"{f.flags.flagged_tenants:,}", flags=flags or "-"),
        t("overview.cli.trend", trend="  ".join(f"{q.quarter} {_number(q.output_wan)}" for q in f.trend)),
    ]


def _county_text(overview) -> str:
    lines = [t("overview.cli.county_title", quarter=overview.quarter.label()), *_figures_lines(overview.county), ""]
    headings = [t(f"overview.cli.col_{key}") for key in
                ("code", "name", "tenants", "output", "per_mu", "above_output", "hazards", "flagged")]
    rows = [[p.code, p.name, f"{p.figures.tenants:,}", _number(p.figures.output_wan),
             _number(p.figures.output_per_mu), _share(p.figures.above_output_share),
             f"{p.figures.hazards.open}/{p.figures.hazards.overdue}", f"{p.figures.flags.flagged_tenants:,}"]
            for p in overview.parks]
    return "\n".join(lines + text_table(headings, rows))


def _park_text(overview) -> str:
    from forms.catalogues import label

    park = overview.park
    lines = [t("overview.cli.park_title", code=park.code, name=park.name, quarter=overview.quarter.label()),
             *_figures_lines(park.figures), ""]
    headings = [t(f"overview.cli.col_{key}") for key in ("name", "class", "scale", "output", "change", "flags")]
    rows = [[row.name, row.efficiency_class or "-", label("scale", row.scale), _number(row.output_wan),
             "-" if row.output_change_pct is None else f"{row.output_change_pct:+.1f}%",
             " ".join(flag.label() for flag in row.flags) or "-"]
            for row in overview.tenants]
    lines += text_table(headings, rows)
    flagged = [row for row in overview.tenants if row.flags]
    if flagged:
        lines += ["", t("overview.cli.explanations")]
        lines += [f"- {row.name}: {flag.explanation()}" for row in flagged for flag in row.flags]
    return "\n".join(lines)
