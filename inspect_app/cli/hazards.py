"""`parkinspect hazards`: every matching hazard with its 五落实, as a table, JSON or a spreadsheet.

The services are imported inside the handler: building the parser is on the TUI's start-up path
(tests/test_startup.py), which must not load the ORM.
"""

from __future__ import annotations

import json
from pathlib import Path

from forms.i18n import t
from inspect_app.cli.common import EXIT_OK, fail, open_store, print_result

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


def add_parser(sub) -> None:
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
        return fail("cli.db_missing", db=settings.db_path)
    target = Path(args.output) if args.output else None
    if target is not None and target.suffix.lower() not in SUPPORTED_SUFFIXES:
        return fail("cli.export_bad_suffix", suffix=target.suffix or "(none)")
    store = open_store(settings)
    try:
        park_id = None
        if args.park:
            park = find_park(store, args.park)
            if park is None:
                return fail("cli.park_missing", code=args.park)
            park_id = park.id
        query = HazardQuery(park_id=park_id, status=args.status, today=china_time.today(), calendar=settings.calendar)
        if target is not None:  # the spreadsheet with 五落实 and status (services/hazards_export.py)
            try:
                count = export_hazards(store, target, query)
            except OSError as exc:  # e.g. the file is open in Excel, or the folder is read-only
                return fail("cli.write_failed", file=target, reason=exc.strerror or exc)
            print_result(args, {"file": str(target), "rows": count}, t("cli.export_done", file=target, rows=count))
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
