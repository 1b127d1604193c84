"""Tenant ledger import (园中园台账导入) from a park's own .xlsx or .csv.

Finds the header row under any title rows, maps headers to fields (`ledger_export.column_for_header`,
synonyms included), skips blank and subtotal rows, validates each row with `TenantInput` (the form's
rules), and writes the valid rows in one transaction: all or nothing unless `skip_invalid`; nothing
for a dry run. Tenants are matched by credit code within the park: re-import updates, never duplicates.

A field the file has no column for keeps its stored value on an existing tenant; a new tenant gets
the value the person gave for it (`defaults`, checked like a form field first), else the one the
add-tenant form starts with (`forms.tenant.NEW_TENANT_DEFAULTS`: 规下, 在园). A park's own word for a
closed-list value (规模以下) is read as that value. The report says both (`notes`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlmodel import select

from db import queries
from db.errors import UserError
from db.models import Park, Tenant
from db.store import Store
from exports.tabular import csv_text, write_csv
from forms import china_time, fields
from forms.catalogues import label, read_as_synonym
from forms.errors import PYDANTIC_KINDS, message
from forms.i18n import t
from forms.tenant import CHOICE_FIELDS, NEW_TENANT_DEFAULTS, TenantInput, check_field
from inspect_app.services.ledger import INPUT_FIELDS, tenant_as_input
from inspect_app.services.ledger_export import column_for_header, is_location_header, tenant_column
from inspect_app.services.spreadsheet_rows import (
    HEADER_SEARCH_ROWS,
    cell_text,
    cell_value,
    is_data_row,
    read_rows,
)

MIN_HEADER_MATCHES = 3
LOCATION = "location"  # pseudo field: one cell with building and unit, e.g. 2号楼417
IMPORTABLE_FIELDS = (*INPUT_FIELDS, LOCATION)  # what a column may be mapped to
# Each tenant has its own name and code: one value for every new row would make them one tenant.
NO_DEFAULT_FIELDS = ("name", "credit_code")
DEFAULTABLE_FIELDS = tuple(name for name in INPUT_FIELDS if name not in NO_DEFAULT_FIELDS)
COMPOUND_USE = re.compile(r"[+＋、/／,，]")
LOCATION_SPLIT = re.compile(r"^(.*?[楼栋幢座])\s*[-－]?\s*(.+)$")


@dataclass(frozen=True)
class Problem:
    """One refused value: sheet row number (1-based, as Excel shows it), column header, value, reason."""

    row: int
    column: str
    value: str
    kind: str
    reason: str


@dataclass(frozen=True)
class FieldChange:
    """One field of a stored tenant that the import changes, both values as the ledger shows them."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class TenantChange:
    """An existing tenant (matched by credit code) that the import updates, and what changes."""

    row: int
    name: str
    credit_code: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class AppliedDefault:
    """A field the file has no column for, filled on new tenants: by the person (`given`) or as the
    add-tenant form starts; the value as the ledger shows it, and on how many new tenants."""

    field: str
    value: str
    given: bool
    rows: int


@dataclass(frozen=True)
class SynonymRead:
    """A park's own word for a closed-list value (规模以下), read as that value (规下)."""

    field: str
    word: str
    value: str  # as the ledger shows it
    rows: int
    first_row: int


@dataclass(frozen=True)
class Note:
    """One thing about the whole file the import did on its own: the field, the value as the file
    or the person wrote it, and the sentence that says it."""

    field: str
    value: str
    text: str


@dataclass(frozen=True)
class LedgerSheet:
    """A ledger file as read: its rows, where the header is, and the columns recognised in it."""

    file: Path
    rows: list[list[object]]
    header_index: int  # 0-based
    headers: list[str]  # the header row's cells as text, by column index
    detected: dict[int, str]  # column index -> tenant field (or LOCATION), as recognised
    unmapped: list[str]  # header texts recognised as nothing

    @property
    def header_row(self) -> int:
        return self.header_index + 1

    @property
    def data_row_count(self) -> int:
        return sum(1 for row in self.rows[self.header_index + 1:] if is_data_row(row))


@dataclass
class ImportReport:
    """What an import of a sheet reports, ledger or quarterly (the CLI prints both with
    cli/common.py finish_import)."""

    file: Path
    header_row: int = 0
    mapping: dict[str, str] = field(default_factory=dict)  # sheet header -> field
    unmapped: list[str] = field(default_factory=list)
    data_rows: int = 0
    valid_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # accepted, with a note worth a look
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    rejects_file: Path | None = None

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})


@dataclass
class LedgerImportReport(ImportReport):
    columns: dict[int, str] = field(default_factory=dict)  # column index -> field, as used
    changes: list[TenantChange] = field(default_factory=list)  # updated tenants, field by field
    defaults: list[AppliedDefault] = field(default_factory=list)
    synonyms: list[SynonymRead] = field(default_factory=list)

    @property
    def notes(self) -> list[Note]:
        """What the import did on its own that a person should know, one sentence each."""
        lines = [Note(d.field, d.value, t("import.default_given" if d.given else "import.default_missing_column",
                                          field=field_label(d.field), value=d.value, rows=d.rows))
                 for d in self.defaults]
        lines += [Note(s.field, s.word, t("import.synonym", field=field_label(s.field), word=s.word, value=s.value,
                                          rows=s.rows, row=s.first_row)) for s in self.synonyms]
        return lines


def find_header(rows: list[list[object]]) -> int | None:
    """Index of the first row where at least three cells name known columns."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        known = sum(1 for cell in row if cell_text(cell) and (column_for_header(cell_text(cell)) or is_location_header(cell_text(cell))))
        if known >= MIN_HEADER_MATCHES:
            return index
    return None


def map_columns(header: list[object]) -> tuple[dict[int, str], list[str]]:
    """Cell index -> tenant field (or LOCATION); and the headers that map to nothing."""
    mapping: dict[int, str] = {}
    unmapped: list[str] = []
    taken: set[str] = set()
    for index, cell in enumerate(header):
        text = cell_text(cell)
        if not text:
            continue
        column = column_for_header(text)
        if is_location_header(text):
            name = LOCATION
        elif column is not None and column.source == "tenant":
            name = column.field
        elif column is not None:
            continue  # the park's code and name in our own export: read, not imported
        else:
            unmapped.append(text)
            continue
        if name in taken:
            unmapped.append(text)
            continue
        taken.add(name)
        mapping[index] = name
    return mapping, unmapped


def _row_values(row: list[object], mapping: dict[int, str]) -> tuple[dict[str, object], str | None]:
    """The row's values by field, and the lease use as written when only its first part was kept."""
    values: dict[str, object] = {}
    for index, name in mapping.items():
        value = cell_value(row[index]) if index < len(row) else None
        if name == LOCATION:
            text = fields.plain_text(value)
            match = LOCATION_SPLIT.match(text)
            values["building"], values["unit_no"] = (match.group(1), match.group(2)) if match else (text or None, None)
        else:
            values[name] = value
    for name in ("building", "unit_no"):  # ２号楼４１７ as typed in a full-width IME
        if isinstance(values.get(name), str):
            values[name] = unicodedata.normalize("NFKC", values[name])
    use = values.get("lease_use")
    if isinstance(use, str) and COMPOUND_USE.search(use):
        # 生产+仓储: parks write the main use first; the ledger keeps one use per tenant. The
        # report says so (a warning), so that nobody loses the second use without knowing.
        values["lease_use"] = COMPOUND_USE.split(use)[0].strip()
        return values, use
    return values, None


def _comparable(values: dict[str, object]) -> dict[str, object]:
    result = dict(values)
    if result.get("rented_area_m2") is not None:
        result["rented_area_m2"] = float(result["rented_area_m2"])
    result["risk_points"] = list(result.get("risk_points") or [])
    return result


def _shown(name: str, value: object) -> str:
    """A field's value as the ledger (and its export) shows it."""
    column = tenant_column(name)
    if name == "rented_area_m2" and value is not None:
        value = float(value)
    return csv_text(column.render(value)) if column else cell_text(value)


def _field_changes(old: dict[str, object], new: dict[str, object]) -> tuple[FieldChange, ...]:
    before, after = _comparable(old), _comparable(new)
    return tuple(FieldChange(name, _shown(name, old.get(name)), _shown(name, new.get(name)))
                 for name in INPUT_FIELDS if before.get(name) != after.get(name))


def resolve_park(store: Store, code: str | None, park_id: str | None = None) -> Park:
    with store.read() as session:
        if park_id:
            park = session.get(Park, park_id)
            if park is None or park.deleted:
                raise UserError("import.park_gone")
            return park
        if code:
            park = queries.find_park(session, code)
            if park is None:
                raise UserError("cli.park_missing", code=code)
            return park
        parks = list(session.exec(select(Park).where(Park.deleted == False).limit(2)).all())  # noqa: E712
    if len(parks) != 1:
        raise UserError("import.park_required")
    return parks[0]


def load_sheet(path: Path | str) -> LedgerSheet:
    """Read a ledger file and recognise its header and columns (no database involved)."""
    path = Path(path)
    rows = read_rows(path)
    header_index = find_header(rows)
    if header_index is None:
        raise UserError("import.no_header", file=path)
    detected, unmapped = map_columns(rows[header_index])
    headers = [cell_text(cell) for cell in rows[header_index]]
    return LedgerSheet(path, rows, header_index, headers, detected, unmapped)


def _checked_columns(sheet: LedgerSheet, columns: dict[int, str | None]) -> dict[int, str]:
    """A mapping chosen by the user: known fields only, each field from one column at most."""
    chosen = {index: name for index, name in columns.items() if name}
    seen: dict[str, int] = {}
    for index, name in sorted(chosen.items()):
        if name not in IMPORTABLE_FIELDS:
            raise ValueError(f"not an importable field: {name}")
        if not 0 <= index < len(sheet.headers):
            raise ValueError(f"no column {index} in the header")
        if name in seen:
            raise UserError("import.mapping_twice", target=field_label(name),
                            first=sheet.headers[seen[name]], second=sheet.headers[index])
        seen[name] = index
    if LOCATION in seen and ({"building", "unit_no"} & seen.keys()):
        raise UserError("import.mapping_location_twice")
    return chosen


def check_default(name: str, value: object) -> object:
    """One default checked like its form field, as the value to fill in; a refusal (UserError)
    names the field and gives the field's message."""
    if name not in DEFAULTABLE_FIELDS:
        raise UserError("import.default_not_allowed", target=field_label(name) if name in INPUT_FIELDS else name)
    try:
        return check_field(name, value)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise UserError("import.bad_default", target=field_label(name), value=cell_text(value),
                        reason=message(err["type"], err.get("ctx"))) from None


def check_defaults(defaults: dict[str, object], mapped: set[str], headers: dict[str, str]) -> dict[str, object]:
    """The person's defaults, each checked (`check_default`) and for a field no column fills."""
    checked: dict[str, object] = {}
    for name, value in defaults.items():
        header = headers.get(name) or (headers.get(LOCATION) if name in ("building", "unit_no") else None)
        if name in DEFAULTABLE_FIELDS and (name in mapped or header):
            raise UserError("import.default_mapped", target=field_label(name), header=header or "")
        checked[name] = check_default(name, value)
    return checked


def shown_value(name: str, value: object) -> str:
    """A default as the ledger shows it: 规下 for `below` or 规模以下."""
    return _shown(name, check_field(name, value))


def default_field(text: str) -> str | None:
    """The field a person means by `scale`, 企业规模 or Scale (a CLI `--default`); None if none.
    (Name and credit code are found too: `check_defaults` says why they cannot have one.)"""
    wanted = text.strip()
    for name in INPUT_FIELDS:
        if wanted == name or any(wanted == t(f"fields.tenant.{name}", lang=lang) for lang in ("zh_CN", "en")):
            return name
    return None


def _synonyms_in(values: dict[str, object]) -> list[tuple[str, str, str]]:
    """(field, word, code) for each closed-list value a row writes as a synonym (规模以下)."""
    found: list[tuple[str, str, str]] = []
    for name, list_name in CHOICE_FIELDS.items():
        value = values.get(name)
        if not isinstance(value, str):
            continue
        words = re.split(r"[,，、]", value) if name == "risk_points" else [value]
        for word in (fields.clean_text(w) for w in words):
            code = read_as_synonym(list_name, word)
            if code is not None:
                found.append((name, word, code))
    return found


def field_label(name: str) -> str:
    """What a mapping target is called on screen and in messages."""
    return t("import.field_location") if name == LOCATION else t(f"fields.tenant.{name}")


def import_ledger(store: Store, path: Path | str, *, park_code: str | None = None, park_id: str | None = None,
                  skip_invalid: bool = False, dry_run: bool = False, columns: dict[int, str | None] | None = None,
                  sheet: LedgerSheet | None = None, defaults: dict[str, object] | None = None) -> LedgerImportReport:
    """Read, check and (unless refused or a dry run) write a ledger file; see the module doc.

    `columns` replaces the recognised mapping (column index -> field, None to ignore a column);
    `sheet` is the file already read by `load_sheet` (the TUI reads it once for preview and import);
    `defaults` (field -> value as typed) fills new tenants' fields the file has no column for.
    """
    path = Path(path)
    park = resolve_park(store, park_code, park_id)
    sheet = sheet or load_sheet(path)
    mapping = sheet.detected if columns is None else _checked_columns(sheet, columns)
    rows, header_index = sheet.rows, sheet.header_index
    report = LedgerImportReport(file=path, header_row=sheet.header_row, columns=dict(mapping))
    report.unmapped = list(sheet.unmapped) if columns is None else [
        sheet.headers[i] for i, text in enumerate(sheet.headers) if text and i not in mapping]
    headers = {name: sheet.headers[i] for i, name in mapping.items()}
    report.mapping = {headers[name]: name for name in mapping.values()}
    mapped = set(mapping.values()) | ({"building", "unit_no"} if LOCATION in mapping.values() else set())
    given = check_defaults(defaults or {}, mapped, headers)
    # What a new tenant gets for a field the file does not have: the person's value, else the form's.
    fill: dict[str, tuple[object, bool]] = {name: (value, False) for name, value in NEW_TENANT_DEFAULTS.items()
                                            if name not in mapped}
    fill.update({name: (value, True) for name, value in given.items()})
    filled: dict[str, int] = dict.fromkeys(fill, 0)
    synonyms: dict[tuple[str, str, str], list[int]] = {}  # (field, word, code) -> rows

    def header_of(name: str) -> str:
        if name in ("building", "unit_no") and LOCATION in headers:
            return headers[LOCATION]
        return headers.get(name) or (t(f"fields.tenant.{name}") if name else "")

    accepted: list[tuple[int, TenantInput, str | None]] = []  # row, data, existing tenant id
    seen_codes: dict[str, int] = {}
    with store.read() as session:
        # One query for the park's tenants rather than one per row (10,000-row files).
        stored = {tenant.credit_code: tenant for tenant in session.exec(
            select(Tenant).where(Tenant.park_id == park.id, Tenant.deleted == False))}  # noqa: E712
        for offset, row in enumerate(rows[header_index + 1:], start=header_index + 2):
            if not is_data_row(row):
                continue
            report.data_rows += 1
            values, compound_use = _row_values(row, mapping)
            existing = None
            try:
                code = fields.credit_code(values.get("credit_code"))
                existing = stored.get(code)
            except Exception:  # noqa: BLE001 - the model below reports the code's fault
                code = None
            old = tenant_as_input(existing) if existing is not None else None
            if old is not None:  # fields the sheet does not have keep their stored values
                values = {**old, **values}
            else:
                values = {**{name: value for name, (value, _given) in fill.items()}, **values}
            row_problems: list[Problem] = []
            try:
                data = TenantInput.model_validate(values)
            except ValidationError as exc:
                for err in exc.errors():
                    name = str(err["loc"][0]) if err["loc"] else ""
                    kind = PYDANTIC_KINDS.get(err["type"], err["type"])
                    row_problems.append(Problem(offset, header_of(name), cell_text(values.get(name)), kind,
                                                message(err["type"], err.get("ctx"))))
                data = None
            if code and code in seen_codes:
                row_problems.append(Problem(offset, header_of("credit_code"), code, "duplicate_in_file",
                                            t("import.duplicate_in_file", row=seen_codes[code])))
            elif code:
                seen_codes[code] = offset
            if row_problems:
                report.problems.extend(row_problems)
                continue
            if compound_use:
                report.warnings.append(Problem(offset, header_of("lease_use"), compound_use, "compound_use",
                                               t("import.compound_use", kept=_shown("lease_use", data.lease_use))))
            accepted.append((offset, data, existing.id if existing else None))
            for found in _synonyms_in(values):
                synonyms.setdefault(found, []).append(offset)
            if old is None:
                report.created += 1
                for name in fill:
                    filled[name] += 1
                continue
            changed = _field_changes(old, data.model_dump())
            if changed:
                report.updated += 1
                report.changes.append(TenantChange(offset, data.name, data.credit_code, changed))
            else:
                report.unchanged += 1
    report.valid_rows = len(accepted)
    report.defaults = [AppliedDefault(name, shown_value(name, value), is_given, filled[name])
                       for name, (value, is_given) in fill.items() if filled[name]]
    report.synonyms = [SynonymRead(name, word, label(CHOICE_FIELDS[name], code), len(rows), rows[0])
                       for (name, word, code), rows in synonyms.items()]
    if dry_run or (report.problems and not skip_invalid):
        return report
    with store.transaction() as session:
        tenants = {tenant.id: tenant for tenant in session.exec(
            select(Tenant).where(Tenant.park_id == park.id, Tenant.deleted == False))}  # noqa: E712
        for _row, data, tenant_id in accepted:
            values = data.model_dump()
            values["rented_area_m2"] = float(values["rented_area_m2"])
            tenant = tenants.get(tenant_id) if tenant_id else None
            if tenant is None:
                tenant = Tenant(park_id=park.id, **values)
                session.add(tenant)
            else:
                for name in INPUT_FIELDS:
                    if _comparable({name: getattr(tenant, name)}) != _comparable({name: values[name]}):
                        setattr(tenant, name, values[name])
            if tenant.status == "left" and tenant.left_on is None:
                tenant.left_on = china_time.today()
            if tenant.status == "in_park" and tenant.left_on is not None:
                tenant.left_on = None
    report.written = True
    if report.problems:
        report.rejects_file = write_rejects(path, report.problems)
    return report


def rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")


def write_rejects(path: Path, problems: list[Problem]) -> Path:
    """The refused values with their reasons, beside the input: CSV with a BOM so Excel reads it."""
    target = rejects_path(path)
    headers = [t("import.col_row"), t("import.col_column"), t("import.col_value"), t("import.col_reason")]
    write_csv(target, headers, [[p.row, p.column, p.value, p.reason] for p in problems])
    return target
