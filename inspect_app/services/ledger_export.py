"""The tenant ledger (园中园台账) as a spreadsheet: one row per live tenant, in park and left.

`LEDGER_COLUMNS` is the one list of the ledger's columns: which field, which header, how a stored
value is shown. An importer reads the same list to map headers (in either language) back to fields
(`column_for_header`); every value shown is one `forms.tenant.TenantInput` accepts again (labels
such as 规上 or 甲, 是/否, dates), so an exported file can be imported as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from db import queries
from db.models import Park, Tenant
from db.store import Store
from exports.tabular import Cell, write_csv, write_xlsx
from forms.catalogues import label, labels
from forms.i18n import available_languages, t
from inspect_app.services.errors import UserError

SUPPORTED_SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class LedgerColumn:
    """One column: `field` of the Tenant (or of its Park when `source` is "park")."""

    field: str
    header_key: str
    kind: str = "text"  # text | number | date | yes_no | choice | choices
    choice_list: str | None = None  # forms.catalogues list for choice / choices
    source: str = "tenant"  # "park": shown for reading, not a tenant field an importer sets

    def header(self, lang: str | None = None) -> str:
        return t(self.header_key, lang=lang)

    def render(self, value: object) -> Cell:
        """The stored value as the ledger shows it, in the current language."""
        if self.kind == "yes_no":
            return t("common.yes") if value else t("common.no")
        if self.kind == "choice":
            return label(self.choice_list, value) or None
        if self.kind == "choices":
            return labels(self.choice_list, value or []) or None
        if value is None or value == "":
            return None
        if self.kind == "number" or self.kind == "date":
            return value  # typed cells in xlsx: sums and date filters work
        return str(value)


def _tenant(field: str, kind: str = "text", choice_list: str | None = None) -> LedgerColumn:
    return LedgerColumn(field, f"fields.tenant.{field}", kind, choice_list)


LEDGER_COLUMNS: tuple[LedgerColumn, ...] = (
    LedgerColumn("code", "fields.park.code", source="park"),
    LedgerColumn("name", "fields.park.name", source="park"),
    _tenant("name"),
    _tenant("credit_code"),
    _tenant("contact_name"),
    _tenant("contact_phone"),
    _tenant("building"),
    _tenant("unit_no"),
    _tenant("rented_area_m2", "number"),
    _tenant("headcount", "number"),
    _tenant("scale", "choice", "scale"),
    _tenant("lease_use", "choice", "lease_use"),
    _tenant("risk_points", "choices", "risk_point"),
    _tenant("lease_start", "date"),
    _tenant("lease_end", "date"),
    _tenant("status", "choice", "tenant_status"),
    _tenant("fire_hazard_class", "choice", "fire_hazard_class"),
    _tenant("process_or_goods"),
    _tenant("safety_agreement_signed", "yes_no"),
    _tenant("safety_agreement_date", "date"),
    _tenant("sublet", "yes_no"),
    _tenant("subtenant_name"),
    _tenant("people_living_on_site", "yes_no"),
    _tenant("notes"),
)


def column_for_header(text: str) -> LedgerColumn | None:
    """The column a header names, in any language we ship (for importers)."""
    wanted = text.strip()
    for column in LEDGER_COLUMNS:
        if any(wanted == column.header(lang) for lang in available_languages()):
            return column
    return None


def ledger_headers() -> list[str]:
    return [column.header() for column in LEDGER_COLUMNS]


def ledger_row(tenant: Tenant, park: Park) -> list[Cell]:
    return [
        column.render(getattr(park if column.source == "park" else tenant, column.field))
        for column in LEDGER_COLUMNS
    ]


def export_ledger(store: Store, path: Path | str, *, park_code: str | None) -> int:
    """Write the ledger of one park (or of every park) to .csv or .xlsx; return the rows written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UserError("cli.export_bad_suffix", suffix=path.suffix or "(none)")
    with store.read() as session:
        park = None
        if park_code:
            park = queries.find_park(session, park_code)
            if park is None:
                raise UserError("cli.park_missing", code=park_code)
        # session.get answers repeated parks from the session's identity map: one query per park.
        rows = [
            ledger_row(tenant, session.get(Park, tenant.park_id))
            for tenant, _code in queries.tenants_for_export(session, park.id if park else None)
        ]
    if suffix == ".csv":
        write_csv(path, ledger_headers(), rows)
    else:
        title = t("export.ledger_sheet_park", code=park.code) if park else t("export.ledger_sheet")
        write_xlsx(path, ledger_headers(), rows, title)
    return len(rows)
