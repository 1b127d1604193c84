"""Hazards with their 五落实 and status as a spreadsheet (隐患整改台账): one row per hazard's current
rectification item, with the tenant's credit code and the last re-inspection (复查).

`HAZARD_COLUMNS` is the one list of the columns, next to the ledger's (`ledger_export.LEDGER_COLUMNS`):
which value, which header. The rows are what `services.hazards.list_hazards` finds for the same
filters as the hazards view and `parkinspect hazards`, earliest deadline first; the status is the
derived one (overdue included), as of the query's `today`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from platformdirs import user_documents_path
from sqlmodel import select

from db.errors import UserError
from db.models import RectificationItem, Reinspection, Tenant
from db.store import Store
from exports.tabular import SUPPORTED_SUFFIXES, Cell, write_csv, write_xlsx
from forms.catalogues import label
from forms.i18n import t
from inspect_app.services.hazards import HazardQuery, HazardRow, list_hazards

PAGE = 1000  # rows per list_hazards call
IN_CHUNK = 500  # ids per IN (...) query: SQLite's variable limit is far above, the plan stays simple


@dataclass(frozen=True)
class HazardExtras:
    """What the hazards list does not carry: the tenant's credit code, the last re-inspection."""

    credit_code: str | None = None
    reinspection_outcome: str | None = None
    reinspection_date: date | None = None


@dataclass(frozen=True)
class HazardColumn:
    key: str
    value: Callable[[HazardRow, HazardExtras], Cell]

    def header(self) -> str:
        return t(f"hazards_export.col.{self.key}")


HAZARD_COLUMNS: tuple[HazardColumn, ...] = (
    HazardColumn("park_code", lambda r, x: r.park_code),
    HazardColumn("park_name", lambda r, x: r.park_name),
    HazardColumn("tenant", lambda r, x: r.tenant_name or t("hazards_export.common_areas")),
    HazardColumn("credit_code", lambda r, x: x.credit_code),
    HazardColumn("location", lambda r, x: r.location or None),
    HazardColumn("description", lambda r, x: r.description),
    HazardColumn("severity", lambda r, x: label("severity", r.severity)),
    HazardColumn("status", lambda r, x: label("hazard_status", r.status)),
    HazardColumn("found_on", lambda r, x: r.found_on),
    HazardColumn("responsible", lambda r, x: r.responsible),
    HazardColumn("responsible_phone", lambda r, x: r.responsible_phone),
    HazardColumn("measures", lambda r, x: r.measures),
    HazardColumn("funds", lambda r, x: r.funds),
    HazardColumn("funds_reason", lambda r, x: r.funds_reason),
    HazardColumn("deadline", lambda r, x: r.deadline),
    HazardColumn("contingency_plan", lambda r, x: r.contingency_plan),
    HazardColumn("notice_number", lambda r, x: r.notice_number),
    HazardColumn("reinspection_outcome", lambda r, x: t(f"hazards_export.outcome.{x.reinspection_outcome}")
                 if x.reinspection_outcome else None),
    HazardColumn("reinspection_date", lambda r, x: x.reinspection_date),
)


def hazard_headers() -> list[str]:
    return [column.header() for column in HAZARD_COLUMNS]


def all_hazards(store: Store, query: HazardQuery) -> list[HazardRow]:
    """Every hazard the query matches (not one page), earliest deadline first."""
    rows: list[HazardRow] = []
    while True:  # the service returns at most `limit` rows at a time
        page, total = list_hazards(store, replace(query, limit=PAGE, offset=len(rows)))
        rows.extend(page)
        if not page or len(rows) >= total:
            return rows


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[i:i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)]


def hazard_extras(store: Store, rows: list[HazardRow]) -> dict[str, HazardExtras]:
    """Credit code and last re-inspection per hazard id (re-inspections of any revision of its item)."""
    tenant_ids = sorted({r.tenant_id for r in rows if r.tenant_id})
    hazard_ids = [r.id for r in rows]
    codes: dict[str, str] = {}
    last: dict[str, tuple[date, str]] = {}
    with store.read() as session:
        for chunk in _chunks(tenant_ids):
            codes.update(session.exec(select(Tenant.id, Tenant.credit_code).where(Tenant.id.in_(chunk))).all())
        for chunk in _chunks(hazard_ids):
            found = session.exec(
                select(RectificationItem.hazard_id, Reinspection.inspected_on, Reinspection.outcome)
                .join(Reinspection, Reinspection.rectification_item_id == RectificationItem.id)
                .where(RectificationItem.hazard_id.in_(chunk), Reinspection.deleted == False)  # noqa: E712
                .order_by(Reinspection.inspected_on, Reinspection.created_at)
            ).all()
            for hazard_id, on, outcome in found:
                last[hazard_id] = (on, outcome)  # ordered: the last one wins
    return {
        r.id: HazardExtras(credit_code=codes.get(r.tenant_id) if r.tenant_id else None,
                           reinspection_date=last[r.id][0] if r.id in last else None,
                           reinspection_outcome=last[r.id][1] if r.id in last else None)
        for r in rows
    }


def hazard_table(store: Store, rows: list[HazardRow]) -> list[list[Cell]]:
    extras = hazard_extras(store, rows)
    return [[column.value(row, extras[row.id]) for column in HAZARD_COLUMNS] for row in rows]


def export_hazards(store: Store, path: Path | str, query: HazardQuery) -> int:
    """Write the hazards the query matches to .xlsx or .csv (by the suffix); return the rows written."""
    path = Path(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UserError("cli.export_bad_suffix", suffix=path.suffix or "(none)")
    rows = all_hazards(store, query)
    table = hazard_table(store, rows)
    if path.suffix.lower() == ".csv":
        write_csv(path, hazard_headers(), table)
    else:
        write_xlsx(path, hazard_headers(), table, t("hazards_export.sheet"))
    return len(rows)


def default_export_name(today: date) -> str:
    """A dated file name, e.g. 隐患整改台账-2026-11-26.xlsx."""
    return f"{t('hazards_export.file_stem')}-{today.isoformat()}.xlsx"


def default_export_folder() -> Path:
    """The user's documents folder when there is one, else the current folder."""
    try:
        folder = user_documents_path()
        if folder.is_dir():
            return folder
    except Exception:  # noqa: BLE001 - no documents folder known on this system
        pass
    return Path.cwd()

