"""The tenant ledger (园中园台账) as a spreadsheet: one row per live tenant, in park and left.

`LEDGER_COLUMNS` is the one list of the ledger's columns: which field, which header, how a stored
value is shown. An importer reads the same list to map headers (in either language) back to fields
(`column_for_header`); every value shown is one `forms.tenant.TenantInput` accepts again (labels
such as 规上 or 甲, 是/否, dates), so an exported file can be imported as it is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from db import queries
from db.errors import UserError
from db.models import Park, Tenant
from db.store import Store
from exports.tabular import SUPPORTED_SUFFIXES, Cell, write_csv, write_xlsx
from forms.catalogues import label, labels
from forms.i18n import available_languages, t


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
    _tenant("floor", "number"),
    _tenant("three_party_agreement", "yes_no"),
    _tenant("bank_consent", "yes_no"),
    _tenant("notes"),
)


# Header variants that parks' own ledgers use, by field: the one place to add another.
# Compared after `normalise_header` (NFKC, no spaces, no trailing unit in brackets, lower case).
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("承租单位", "承租企业", "企业名称", "公司名称", "单位名称", "企业", "承租方"),
    "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "统一代码"),
    "contact_name": ("联系人", "负责人", "法定代表人/联系人", "法定代表人", "法人代表", "负责人/联系人"),
    "contact_phone": ("电话", "联系电话", "手机", "手机号", "手机号码", "联系方式"),
    "building": ("楼栋", "楼号", "幢号"),
    "unit_no": ("房号", "房间号", "室号"),
    "rented_area_m2": ("面积", "租赁面积", "出租面积", "承租面积", "使用面积"),
    "headcount": ("人数", "员工人数", "租赁区域总人数", "职工人数", "从业人数"),
    "scale": ("企业规模", "规模", "规上/规下"),
    "lease_use": ("承租用途", "用途", "租赁用途"),
    "risk_points": ("主要风险点", "风险点"),
    "lease_start": ("租赁开始", "租期起", "租赁起始日期", "起租日期", "租赁起"),
    "lease_end": ("租赁结束", "租期止", "租赁截止日期", "到期日期", "租赁止"),
    "floor": ("楼层", "所在层", "层次", "所在楼层数"),
    "three_party_agreement": ("三方协议", "三方消防安全协议", "是否签订三方协议", "已签三方协议"),
    "bank_consent": ("同意出具经营信息证明", "同意向银行提供经营信息", "经营信息授权", "银行授权"),
}
# One cell holding both building and unit (2号楼417); the importer splits it.
LOCATION_HEADERS = ("楼栋/房号", "位置", "楼栋房号", "房号位置", "location")


def normalise_header(text: object) -> str:
    """A header cell as compared: NFKC, no whitespace, no trailing "(㎡)"-like unit, lower case."""
    value = unicodedata.normalize("NFKC", "" if text is None else str(text))
    value = re.sub(r"\s+", "", value)
    value = re.sub(r"\([^()]*\)$", "", value)
    return value.lower()


@cache
def _header_index() -> dict[str, LedgerColumn]:
    index: dict[str, LedgerColumn] = {}
    for column in LEDGER_COLUMNS:
        for lang in available_languages():
            index.setdefault(normalise_header(column.header(lang)), column)
    tenant_columns = {c.field: c for c in LEDGER_COLUMNS if c.source == "tenant"}
    for field, names in HEADER_SYNONYMS.items():
        for name in names:
            index.setdefault(normalise_header(name), tenant_columns[field])
    return index


def column_for_header(text: str) -> LedgerColumn | None:
    """The column a header names, in any language we ship or as a known variant (for importers)."""
    wanted = text.strip()
    for column in LEDGER_COLUMNS:
        if any(wanted == column.header(lang) for lang in available_languages()):
            return column
    return _header_index().get(normalise_header(wanted))


def tenant_column(field: str) -> LedgerColumn | None:
    """The ledger column of a tenant field (how its values are shown)."""
    return next((c for c in LEDGER_COLUMNS if c.source == "tenant" and c.field == field), None)


def is_location_header(text: str) -> bool:
    return normalise_header(text) in {normalise_header(h) for h in LOCATION_HEADERS}


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
