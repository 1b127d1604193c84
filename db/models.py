"""The tables. Alembic migrations (db/migrations) are the schema's truth; this is its Python face.

Two kinds of table:
- synced tables carry `SyncColumns`: a UUIDv7 key made on the device, the hybrid-clock stamp of
  the last change (`hlc`), the device that made it, a soft-delete tombstone and timestamps. Every
  insert, update or tombstone of such a row appends a `ChangeLog` entry in the same transaction
  (db/changelog.py does it in a flush hook, so no code path can forget).
- local tables (`LocalSetting`, `NoticeCounter`, `ChangeLog`, `SyncState`, `RowVersion`,
  `AppliedChange`, `RejectedChange`) describe this device
  and are never synced as rows; derived local tables (`ParkTotal`, `ParkQuarterTotal`,
  `TenantSearch`) are kept by SQLite triggers from the synced rows.

Append-only synced facts (notices, their service, audit events, attachments, plan draws, checklist items)
are never updated
after insert.
Enumerated values are short ASCII codes from forms/catalogues.py; labels come from translations.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from db.ids import new_id


def utc_now() -> datetime:
    return datetime.now(UTC)


class SyncColumns(SQLModel):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    hlc: str = Field(default="", index=True, description="hybrid clock stamp of the last change")
    origin_device: str = Field(default="", max_length=64, description="device that made the last change")
    deleted: bool = Field(default=False, description="soft-delete tombstone; synced rows are never hard-deleted")
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)


# --- parks and ledger -------------------------------------------------------------------------


class Park(SyncColumns, table=True):
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=100)
    district: str = Field(max_length=40)
    street: str = Field(max_length=40)
    function_type: str = Field(max_length=20)  # catalogues.PARK_FUNCTION_TYPES
    developer_type: str = Field(max_length=30)  # catalogues.PARK_DEVELOPER_TYPES
    star_rating: int = 0  # 0 = none, 3/4/5 stars
    provincially_certified: bool = False
    land_area_mu: float
    floor_area_m2: float
    property_company: str | None = Field(default=None, max_length=100)


class Building(SyncColumns, table=True):
    park_id: str = Field(foreign_key="park.id", index=True)
    name: str = Field(max_length=40)  # 楼栋, e.g. "3号楼"
    floors: int | None = None
    floor_area_m2: float | None = None
    # What the county's rules (forms/rules.py) compare a tenant with; None = not recorded.
    design_hazard_class: str | None = Field(default=None, max_length=1)  # A..E = 甲..戊, as designed
    fire_resistance_grade: str | None = Field(default=None, max_length=1)  # "1".."4" = 一级..四级
    sprinklers: bool | None = None
    fire_alarm: bool | None = None
    # 统一管理人: the one named manager of a building several tenants share (消防〔2023〕72号 第七条)
    manager_name: str | None = Field(default=None, max_length=100)


class Tenant(SyncColumns, table=True):
    __table_args__ = (
        # One live row per company per park is kept by the services (form, ledger import), not by
        # a unique index: two devices may add the same company offline, and both rows must reach
        # every device for the duplicate review (services/duplicates.py) rather than stop a merge.
        Index("ix_tenant_park_credit_code", "park_id", "credit_code", sqlite_where=text("deleted = 0")),
        Index("ix_tenant_park_name", "park_id", "name"),
        Index("ix_tenant_name_id", "name", "id"),  # every park's ledger in name order (migration 0017)
    )

    park_id: str = Field(foreign_key="park.id")
    building_id: str | None = Field(default=None, foreign_key="building.id")
    name: str = Field(max_length=100)
    credit_code: str = Field(max_length=18, index=True)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=20)
    building: str | None = Field(default=None, max_length=200)  # as written in the ledger
    unit_no: str | None = Field(default=None, max_length=200)
    rented_area_m2: float
    headcount: int
    scale: str = Field(max_length=10)  # above | below
    lease_use: str = Field(max_length=20)
    risk_points: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lease_start: date | None = None
    lease_end: date | None = None
    status: str = Field(default="in_park", max_length=10)  # in_park | left
    left_on: date | None = None
    fire_hazard_class: str | None = Field(default=None, max_length=1)  # A..E = 甲..戊
    process_or_goods: str | None = Field(default=None, max_length=200)
    safety_agreement_signed: bool = False
    safety_agreement_date: date | None = None
    sublet: bool = False
    subtenant_name: str | None = Field(default=None, max_length=200)
    people_living_on_site: bool = False
    efficiency_class: str | None = Field(default=None, max_length=1)  # 亩均效益 A/B/C/D
    notes: str | None = Field(default=None, max_length=1000)
    # Duplicate review (services/duplicates.py): the tenant this one was merged into (this one is
    # then a tombstone; its notices stay on it and lead there), and the credit code under which it
    # was reviewed as a different company from the park's other tenants holding that code.
    merged_into: str | None = Field(default=None, foreign_key="tenant.id", max_length=36)
    distinct_code: str | None = Field(default=None, max_length=18)
    # The floor the tenant occupies (its lowest when several; 1 = ground floor) and, for a sublet,
    # whether the park, the tenant and the sub-tenant signed the three-party safety agreement.
    floor: int | None = None
    three_party_agreement: bool | None = None
    # The tenant agreed that the park may certify its operating figures to a bank (园区经营信息证明,
    # inspect_app/services/certificate.py); None or False: no certificate is issued.
    bank_consent: bool | None = None


class Inspector(SyncColumns, table=True):
    name: str = Field(max_length=40)
    id_number: str = Field(max_length=30, index=True)
    agency: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=20)


# --- inspections, hazards, rectification ------------------------------------------------------


class Inspection(SyncColumns, table=True):
    park_id: str = Field(foreign_key="park.id", index=True)
    tenant_id: str | None = Field(default=None, foreign_key="tenant.id", index=True)  # None = common areas
    template_id: str = Field(max_length=60, index=True)  # the overview finds ledger verifications by it
    template_version: str = Field(max_length=20)
    template_sha256: str | None = Field(default=None, max_length=64)  # of the template file used
    inspector_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(default_factory=utc_now)
    finished_at: datetime | None = None
    status: str = Field(default="in_progress", max_length=20)  # in_progress | finished
    summary: str | None = Field(default=None, max_length=2000)
    # 陪同人员: the unit's person who walked with the inspectors and signs the 检查记录.
    accompanied_by: str | None = Field(default=None, max_length=50)


class ChecklistItem(SyncColumns, table=True):
    """A checklist item as a template had it when an inspection was started: the record a check
    result points to, so editing a template never changes a past inspection.

    Written once, never changed (append-only), shared by every park. Its id is derived from its
    content (db/checklist_items.py), so every device that starts the same item offline writes the
    same row, and two templates that differ in one word get two rows."""

    __tablename__ = "checklist_item"

    template_id: str = Field(max_length=60)
    template_version: str = Field(max_length=20)
    item_code: str = Field(max_length=20)
    category: str = Field(default="", max_length=40)
    item_text: str = Field(max_length=500)
    default_severity: str = Field(default="general", max_length=10)
    major_possible: bool = False


class CheckResult(SyncColumns, table=True):
    __tablename__ = "check_result"
    __table_args__ = (
        UniqueConstraint("inspection_id", "item_code"),
        # An inspection's failed items, one probe (migration 0018): the county's ledger mismatch
        # flag asks it of every tenant's latest ledger verification.
        Index("ix_check_result_failed", "inspection_id", sqlite_where=text("outcome = 'fail' AND deleted = 0")),
    )

    # Not indexed, unlike other tables' stamps: only a re-send after a hub restore asks for rows by
    # stamp, and it can read the table once (migration 0022).
    hlc: str = Field(default="", description="hybrid clock stamp of the last change")
    inspection_id: str = Field(foreign_key="inspection.id")  # indexed by the unique constraint
    item_code: str = Field(max_length=20)
    position: int = 0  # the item's place in its checklist: the order results are shown in
    # The item's own copy, as results written before checklist_item carried it (and as a device
    # not yet migrated still sends it); NULL when `checklist_item_id` names the item. Read
    # through db/checklist_items.py, never directly.
    category: str | None = Field(default=None, max_length=40)
    item_text: str | None = Field(default=None, max_length=500)
    default_severity: str | None = Field(default=None, max_length=10)
    major_possible: bool | None = None
    outcome: str | None = Field(default=None, max_length=10)  # pass | fail | na | None (not yet)
    note: str | None = Field(default=None, max_length=1000)
    observed_value: str | None = Field(default=None, max_length=200)  # ledger checks: what was seen
    # Last, so a hub's snapshots written before it existed still line up (docs/SYNC.md).
    checklist_item_id: str | None = Field(default=None, foreign_key="checklist_item.id", max_length=36)


class Hazard(SyncColumns, table=True):
    __table_args__ = (
        # The hazards of one key (park, tenant or none, item): repeats (db/lookback.py, migration 0021).
        Index("ix_hazard_repeat_key", "park_id", "tenant_id", "item_code"),
        # Every park's found and closed hazards from the index alone (the overview's 销号率).
        Index("ix_hazard_park_status", "park_id", "status", sqlite_where=text("deleted = 0")),
    )

    inspection_id: str | None = Field(default=None, foreign_key="inspection.id", index=True)
    check_result_id: str | None = Field(default=None, foreign_key="check_result.id")
    park_id: str = Field(foreign_key="park.id", index=True)
    tenant_id: str | None = Field(default=None, foreign_key="tenant.id", index=True)
    item_code: str | None = Field(default=None, max_length=20)
    location: str = Field(max_length=200)
    description: str = Field(max_length=1000)
    severity: str = Field(max_length=10)  # general | major
    status: str = Field(default="open", max_length=20, index=True)  # open|pending_review|closed|escalated
    found_on: date
    # Issuing a notice locks the hazard and its items (notice_id); a later change is a new
    # revision that supersedes the locked row, which stays as it was.
    notice_id: str | None = Field(default=None, max_length=36)
    revision: int = 1
    supersedes_id: str | None = Field(default=None, max_length=36)
    # The article a hazard rests on when no checklist item gives it: a county rule's result
    # (inspect_app/services/rules.py), e.g. 消防〔2023〕72号 第八条.
    legal_basis: str | None = Field(default=None, max_length=200)


class RectificationItem(SyncColumns, table=True):
    """One 五落实 item: responsibility, measures, funds, deadline, contingency plan."""

    __tablename__ = "rectification_item"
    hazard_id: str = Field(foreign_key="hazard.id", index=True)
    responsible_person: str | None = Field(default=None, max_length=40)
    responsible_phone: str | None = Field(default=None, max_length=20)
    measures: str | None = Field(default=None, max_length=1000)
    funds_yuan: float | None = None
    funds_reason: str | None = Field(default=None, max_length=200)  # why funds are 0
    deadline: date | None = Field(default=None, index=True)
    contingency_plan: str | None = Field(default=None, max_length=1000)
    # open | pending_review | closed | escalated | superseded (a locked revision replaced by a newer one)
    status: str = Field(default="open", max_length=20, index=True)
    closed_on: date | None = None
    notice_id: str | None = Field(default=None, max_length=36)  # the notice that locked this revision
    revision: int = 1
    supersedes_id: str | None = Field(default=None, max_length=36)  # the locked revision this replaces


class Reinspection(SyncColumns, table=True):
    """复查: one outcome for one rectification item."""

    rectification_item_id: str = Field(foreign_key="rectification_item.id", index=True)
    inspected_on: date
    outcome: str = Field(max_length=20)  # rectified | not_rectified | escalated
    evidence_note: str | None = Field(default=None, max_length=1000)
    new_deadline: date | None = None
    inspector_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Notice(SyncColumns, table=True):
    """An issued document. Append-only: a correction is a new row that `supersedes_id` the old.
    Each kind has its own series of numbers per device block and year (migration 0009)."""

    __table_args__ = (UniqueConstraint("kind", "device_block", "year", "sequence"),)

    number: str = Field(max_length=80, unique=True)
    kind: str = Field(max_length=30)  # rectification | reinspection_opinion | inspection_record
    park_id: str = Field(foreign_key="park.id", index=True)
    tenant_id: str | None = Field(default=None, foreign_key="tenant.id", index=True)
    inspection_id: str | None = Field(default=None, foreign_key="inspection.id")
    device_block: str = Field(max_length=8)
    year: int
    sequence: int
    issued_at: datetime = Field(default_factory=utc_now)
    content_json: str
    content_sha256: str = Field(max_length=64)
    pdf: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    pdf_sha256: str | None = Field(default=None, max_length=64)
    signature: str | None = None  # base64 signature over the canonical content
    signer_fingerprint: str | None = Field(default=None, max_length=64)
    revision: int = 1
    supersedes_id: str | None = Field(default=None, max_length=36)


class NoticeService(SyncColumns, table=True):
    """The service (送达) of an issued document: how, to whom, on which day. Append-only, like the
    notice it records: a correction is a new row, the latest row of a notice counts, and the
    earlier ones stay as history. A photo of the receipt is an `AttachmentLink` (owner_table
    "notice_service"). Its park is its notice's (the sync protocol's one foreign key)."""

    __tablename__ = "notice_service"

    notice_id: str = Field(foreign_key="notice.id", index=True)
    method: str = Field(max_length=20)  # catalogues.SERVICE_METHODS
    recipient: str = Field(max_length=40)
    served_on: date  # the day in China time (forms/china_time.py)
    refused: bool = False  # the recipient refused to sign the receipt
    witness: str | None = Field(default=None, max_length=40)  # required when refused or left at the premises
    note: str | None = Field(default=None, max_length=500)
    recorded_by: str | None = Field(default=None, max_length=36)  # the inspector profile; not a foreign key


class Attachment(SyncColumns, table=True):
    """A file (photo) kept once, by content; `AttachmentLink` ties it to records."""

    sha256: str = Field(max_length=64, unique=True)
    size: int
    media_type: str = Field(max_length=100)
    original_name: str | None = Field(default=None, max_length=255)


class AttachmentLink(SyncColumns, table=True):
    __tablename__ = "attachment_link"
    attachment_sha256: str = Field(max_length=64, index=True)
    owner_table: str = Field(max_length=40)
    owner_id: str = Field(max_length=36, index=True)
    caption: str | None = Field(default=None, max_length=200)


class QuarterlyReport(SyncColumns, table=True):
    __tablename__ = "quarterly_report"
    __table_args__ = (UniqueConstraint("tenant_id", "year", "quarter"),)

    hlc: str = Field(default="", description="hybrid clock stamp of the last change")  # not indexed: see CheckResult
    tenant_id: str = Field(foreign_key="tenant.id")
    year: int
    quarter: int  # 1..4
    output_value_wan: float | None = None  # 产值, 万元
    electricity_kwh: float | None = None
    water_t: float | None = None
    tax_wan: float | None = None
    difficulties: str | None = Field(default=None, max_length=1000)


class StarScore(SyncColumns, table=True):
    """A typed score of one item of the star-rating criteria for a park and year, with its evidence
    (forms/star_criteria.py; the items the app scores itself are never stored). One live row per
    park, year and item: a second device's offline insert is refused by the hub (`duplicate_key`)."""

    __tablename__ = "star_score"
    __table_args__ = (UniqueConstraint("park_id", "year", "item_code"),)

    park_id: str = Field(foreign_key="park.id", index=True)
    year: int
    item_code: str = Field(max_length=32)
    points: float
    evidence: str | None = Field(default=None, max_length=1000)


class ParkTotal(SQLModel, table=True):
    """Per park: live in-park tenants (count, rented area, headcount, above designated size) and
    unclosed hazards by severity. Derived, local, kept by the triggers of migration 0005 (never
    written by the app; the park list and the overview read it)."""

    __tablename__ = "park_total"

    park_id: str = Field(primary_key=True)
    tenants: int
    rented_area_m2: float
    headcount: int
    above_tenants: int
    unclosed_general: int
    unclosed_major: int


class TenantSearch(SQLModel, table=True):
    """Per tenant: the key a ledger search word is looked for in — name, contact, credit code,
    phone, the name's pinyin (whole and initials), building and unit, folded (db/search_key.py).
    Derived, local, kept by the triggers of migration 0011 (never written by the app). `id` is the
    rowid the trigram index `tenant_fts` (an FTS5 table, migration 0017, not a model) refers to.
    `name`, `deleted` and `status` are the tenant's, copied (migration 0024): a search of every
    park orders and filters its matches without reading their tenants."""

    __tablename__ = "tenant_search"
    __table_args__ = (
        # The ledger's name order with what its filters test: walked alone (migration 0024).
        Index("ix_tenant_search_order", "name", "tenant_id", "deleted", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(unique=True)
    key: str
    name: str
    deleted: bool
    status: str


class ParkQuarterTotal(SQLModel, table=True):
    """Per park and quarter, the sums of its live tenants' live reports: derived, local, kept by the
    triggers of migration 0004 (never written by the app; the county overview reads it)."""

    __tablename__ = "park_quarter_total"

    park_id: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    quarter: int = Field(primary_key=True)
    output_wan: float
    electricity_kwh: float
    tax_wan: float
    above_output_wan: float
    reports: int


class HazardKey(SQLModel, table=True):
    """Per live hazard and live 五落实 item (or the hazard alone, without one): what the hazards
    view filters and sorts on. Derived, local, kept by the triggers of migration 0018 (never
    written by the app; db/hazard_queries.py reads it)."""

    __tablename__ = "hazard_key"
    __table_args__ = (
        Index("ix_hazard_key_hazard_id", "hazard_id"),
        Index("ix_hazard_key_order", "no_deadline", "deadline", "found_on", "hazard_id"),
        Index("ix_hazard_key_park_order", "park_id", "no_deadline", "deadline", "found_on", "hazard_id"),
        Index("ix_hazard_key_tenant_id", "tenant_id"),
        Index("ix_hazard_key_open_deadline", "deadline", "tenant_id",
              sqlite_where=text("hazard_status = 'open' AND item_status = 'open' AND deadline IS NOT NULL")),
        # The county's overdue hazards per park and severity, in that order (migration 0021).
        Index("ix_hazard_key_open_park", "park_id", "severity", "deadline", "hazard_id",
              sqlite_where=text("hazard_status = 'open' AND item_status = 'open' AND deadline IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    hazard_id: str
    item_id: str | None = None
    park_id: str
    tenant_id: str | None = None
    severity: str
    hazard_status: str
    item_status: str | None = None
    deadline: date | None = None
    no_deadline: bool
    found_on: date


class ReportFact(SQLModel, table=True):
    """Per live quarterly report: its output and electricity, the same tenant's output of the same
    quarter a year before and the ratio of the two (where that was above 0), for the declining
    and zombie rules' candidates. Derived, local, kept by the triggers of migration 0018; stored by
    tenant and quarter since 0023."""

    __tablename__ = "report_fact"
    __table_args__ = (
        Index("ix_report_fact_output", "quarter_index", "output_wan"),
        # The declining candidates from the index alone (migration 0023): only a fall can be a decline.
        Index("ix_report_fact_ratio", "quarter_index", "output_ratio", "output_wan", "output_year_before_wan",
              sqlite_where=text("output_ratio <= 1")),
        {"sqlite_with_rowid": False},  # by tenant and quarter: an idle tenant's window is one range
    )

    tenant_id: str = Field(primary_key=True)
    year: int
    quarter: int
    quarter_index: int = Field(primary_key=True)
    output_wan: float | None = None
    electricity_kwh: float | None = None
    output_year_before_wan: float | None = None
    output_ratio: float | None = None


class TenantFact(SQLModel, table=True):
    """Per current tenant: its park and the earliest deadline of its open items of open hazards
    (overdue from the day after it), so that the county's tenants with an overdue hazard are a
    range of dates and their parks need no look-up in `tenant`. Derived, local, kept by the
    triggers of migration 0021 on `tenant` and `hazard_key`."""

    __tablename__ = "tenant_fact"
    __table_args__ = (
        Index("ix_tenant_fact_overdue", "overdue_from", "park_id", sqlite_where=text("overdue_from IS NOT NULL")),
        {"sqlite_with_rowid": False},
    )

    tenant_id: str = Field(primary_key=True)
    park_id: str
    overdue_from: date | None = None


class LedgerFact(SQLModel, table=True):
    """Per tenant and checklist template: its latest finished inspection with the template and
    whether that has a failed item (the ledger mismatch flag reads the ledger templates' rows).
    Derived, local, kept by the triggers of migration 0021 on `inspection` and `check_result`."""

    __tablename__ = "ledger_fact"
    __table_args__ = (Index("ix_ledger_fact_failed", "template_id", "failed"), {"sqlite_with_rowid": False})

    tenant_id: str = Field(primary_key=True)
    template_id: str = Field(primary_key=True)
    inspection_id: str
    done: datetime
    failed: bool


class HazardRepeat(SQLModel, table=True):
    """Per live unclosed hazard that came back after an earlier one of its tenant (or common
    areas) and item had been closed (db/lookback.py): its park. Derived, local, kept by the
    triggers of migration 0021 (never written by the app; the overview counts it per park)."""

    __tablename__ = "hazard_repeat"
    __table_args__ = (Index("ix_hazard_repeat_park_id", "park_id"),)

    hazard_id: str = Field(primary_key=True)
    park_id: str


class AuditEvent(SyncColumns, table=True):
    """Who changed what, when, on which device, with before/after values. Append-only."""

    __tablename__ = "audit_event"
    table_name: str = Field(max_length=40)
    row_id: str = Field(max_length=36, index=True)
    action: str = Field(max_length=10)  # insert | update | delete
    actor_id: str | None = Field(default=None, max_length=36)  # inspector profile
    before: dict | None = Field(default=None, sa_column=Column(JSON))
    after: dict | None = Field(default=None, sa_column=Column(JSON))


class Conflict(SyncColumns, table=True):
    """A value that lost a concurrent edit; kept for review and one-key restore."""

    table_name: str = Field(max_length=40)
    row_id: str = Field(max_length=36, index=True)
    field: str = Field(max_length=60)
    losing_value: str | None = None  # JSON
    losing_hlc: str
    winning_hlc: str
    resolved: bool = False


# --- 双随机 inspection plans (inspect_app/services/plans.py) -------------------------------------


class InspectionPlan(SyncColumns, table=True):
    """An office's plan: which parks, how many tenants to draw, the risk weights, who is available.
    Shared (every device pulls it: a task names its plan) but written only by a device of every
    park; editable until its draw, which keeps a copy of what it used."""

    __tablename__ = "inspection_plan"

    name: str = Field(max_length=100, unique=True)
    period: str = Field(max_length=10)  # e.g. 2027Q1
    park_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    draw_ratio: float | None = None  # share of the candidates (0 < r <= 1), or
    draw_count: int | None = None  # a number of tenants
    weights: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # factor -> weight
    inspector_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    inspectors_per_task: int = 2
    recuse_own_street: bool = False  # an inspector is never sent to a tenant of the street they live in
    window_start: date
    complete_by: date
    created_by: str | None = Field(default=None, max_length=36)  # the inspector profile; not a foreign key


class PlanRecusal(SyncColumns, table=True):
    """A declaration kept by the office: this inspector is never paired with this tenant (a conflict
    of interest), or this inspector's home street (for plans that recuse inspectors from their own
    street). Office-only: rows of no park, written and pulled only by devices of every park.
    No foreign keys: the office device holds every park, and the ids are plain facts here."""

    __tablename__ = "plan_recusal"

    inspector_id: str = Field(max_length=36, index=True)
    tenant_id: str | None = Field(default=None, max_length=36)  # a declared conflict, or
    street: str | None = Field(default=None, max_length=40)  # the inspector's home street
    reason: str = Field(max_length=200)


class PlanDraw(SyncColumns, table=True):
    """A plan's 双随机 draw: one per plan, append-only. It keeps everything needed to re-run it —
    the seed, the register (the sorted candidates with the factors the weights use, zlib of its
    canonical JSON) and its sha256, the parameters and the pairing inputs as used — and the result.
    Office-only (no park; the register names every park's tenants)."""

    __tablename__ = "plan_draw"

    plan_id: str = Field(foreign_key="inspection_plan.id", unique=True, max_length=36)
    seed: str = Field(max_length=200)
    register_sha256: str = Field(max_length=64)
    register_zlib: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    candidates: int
    parameters_json: str  # the plan's weights, count, inspectors per task, recusal setting, window
    pairing_json: str  # inspectors (with home street) and recused pairs, as used
    result_json: str  # [[tenant id, [inspector ids]], …] in draw order
    result_sha256: str = Field(max_length=64)
    drawn_by: str | None = Field(default=None, max_length=36)
    drawn_at: datetime = Field(default_factory=utc_now)


class InspectionTask(SyncColumns, table=True):
    """One drawn tenant to inspect: its park (a park-limited device gets its parks' tasks), the
    inspectors, the window. Written by the office; a laptop sets only `inspection_id` when it starts
    the inspection from the task. Done / in progress / overdue / missed are computed at reading."""

    __tablename__ = "inspection_task"
    __table_args__ = (UniqueConstraint("plan_id", "tenant_id"),)

    plan_id: str = Field(foreign_key="inspection_plan.id")  # indexed by the unique constraint
    draw_id: str = Field(max_length=36)  # plan_draw is office-only: not a foreign key on laptops
    park_id: str = Field(foreign_key="park.id", index=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True)
    position: int = 0  # the draw's order
    inspector_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    window_start: date
    complete_by: date
    inspection_id: str | None = Field(default=None, foreign_key="inspection.id")


class AgencyPolicy(SyncColumns, table=True):
    """The agency's rules every device obeys, set by the office: which 整改通知书 need its approval
    before they are issued (none | major: those naming a 重大 hazard | all). Shared (every device
    pulls it) and office-written; the live row with the newest clock counts."""

    __tablename__ = "agency_policy"

    notice_review: str = Field(default="none", max_length=10)  # none | major | all
    set_by: str | None = Field(default=None, max_length=36)


class NoticeReview(SyncColumns, table=True):
    """A request between a laptop and the office. kind "notice": the inspector's prepared
    整改通知书 (its hazards and the sha256 of their reviewed content, number not taken) waits for
    the office — pending, then approved or returned with a comment. kind "changes": the office asks
    for corrections on a finished inspection (ODK's "has issues"); the inspector's edit marks it
    resolved. The hub lets a park device insert only pending notice requests and resolve only
    change requests (docs/SYNC.md "Rules")."""

    __tablename__ = "notice_review"

    park_id: str = Field(foreign_key="park.id", index=True)
    inspection_id: str | None = Field(default=None, foreign_key="inspection.id", index=True)
    kind: str = Field(max_length=10)  # notice | changes
    hazard_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    content_sha256: str | None = Field(default=None, max_length=64)  # of the hazards as reviewed
    prepared_by: str | None = Field(default=None, max_length=36)
    prepared_at: datetime = Field(default_factory=utc_now)
    state: str = Field(default="pending", max_length=10)  # pending|approved|returned; open|resolved
    comment: str | None = Field(default=None, max_length=1000)
    reviewed_by: str | None = Field(default=None, max_length=36)
    reviewed_at: datetime | None = None
    resolved_by: str | None = Field(default=None, max_length=36)
    resolved_at: datetime | None = None


# --- entry and exit (inspect_app/services/entry.py, exit_list.py) -------------------------------


class EntryDecision(SyncColumns, table=True):
    """The park's decision on an applicant (入园审查): the applicant as screened, the refusals the
    entry rules found (code, article, message) and the rules' id and version, admit or refuse, who
    and when; an admission names the tenant it made. Append-only: a second look is a new row."""

    __tablename__ = "entry_decision"

    park_id: str = Field(foreign_key="park.id", index=True)
    applicant_name: str = Field(max_length=100)
    credit_code: str = Field(max_length=18)
    industry_code: str = Field(max_length=10)  # GB/T 4754 class, e.g. "C2929"
    process: str = Field(max_length=200)
    fire_hazard_class: str = Field(max_length=1)  # A..E = 甲..戊
    planned_area_m2: float
    planned_headcount: int
    commitment_tax_wan_per_mu: float  # 亩均税收 committed, 万元/亩
    decision: str = Field(max_length=10)  # admit | refuse
    reasons: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rules_id: str = Field(max_length=40)
    rules_version: str = Field(max_length=20)
    note: str | None = Field(default=None, max_length=500)
    decided_by: str | None = Field(default=None, max_length=36)  # the inspector profile; not a foreign key
    decided_at: datetime = Field(default_factory=utc_now)
    tenant_id: str | None = Field(default=None, foreign_key="tenant.id")


class ExitDecision(SyncColumns, table=True):
    """The park's decision on a tenant of a quarter's exit list (腾退名单): keep, talk or exit,
    the grounds it was listed on (kinds with their evidence, as shown), who and when. Append-only:
    the latest row of a tenant and quarter counts; the earlier ones stay as its history."""

    __tablename__ = "exit_decision"

    park_id: str = Field(foreign_key="park.id", index=True)
    tenant_id: str = Field(foreign_key="tenant.id", index=True)
    quarter: str = Field(max_length=6)  # "2026Q4"
    decision: str = Field(max_length=10)  # keep | talk | exit
    grounds: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    note: str | None = Field(default=None, max_length=500)
    decided_by: str | None = Field(default=None, max_length=36)
    decided_at: datetime = Field(default_factory=utc_now)


# --- local to this device ---------------------------------------------------------------------


class ChangeLog(SQLModel, table=True):
    """The outbox: one entry per change to a synced row, written in the same transaction."""

    __tablename__ = "change_log"

    seq: int | None = Field(default=None, primary_key=True)
    table_name: str = Field(max_length=40)
    row_id: str = Field(max_length=36, index=True)
    op: str = Field(max_length=10)  # insert | update | delete
    hlc: str
    device_id: str = Field(max_length=64)
    actor_id: str | None = Field(default=None, max_length=36)  # inspector profile that made the change
    payload: dict = Field(sa_column=Column(JSON, nullable=False))  # the changed fields, new values
    created_at: datetime = Field(default_factory=utc_now)
    # updates/tombstones: {field: hlc} of each changed field as the writer saw it (docs/SYNC.md)
    base: dict | None = Field(default=None, sa_column=Column(JSON))


class LocalSetting(SQLModel, table=True):
    __tablename__ = "local_setting"

    key: str = Field(primary_key=True, max_length=60)
    value: str


class NoticeCounter(SQLModel, table=True):
    """Last notice sequence per document kind, device block and year; bumped in the issuing transaction."""

    __tablename__ = "notice_counter"

    kind: str = Field(primary_key=True, max_length=30)
    device_block: str = Field(primary_key=True, max_length=8)
    year: int = Field(primary_key=True)
    last_sequence: int = 0


class SyncState(SQLModel, table=True):
    """Cursors per hub, keyed by the hub's id (`/me`): the same hub at a new address keeps them. A
    row from before hub ids is keyed by its URL until the next sync there adopts it (sync/cursors.py)."""

    __tablename__ = "sync_state"

    hub_id: str = Field(primary_key=True, max_length=300)
    hub_url: str | None = Field(default=None, max_length=300)  # the address last synced with
    epoch: int | None = None  # the hub's history epoch last seen (a new one: check its history)
    pushed_seq: int = 0  # last change_log.seq the hub acknowledged
    pulled_seq: int = 0  # hub-wide sequence of the last change applied here
    last_sync_at: datetime | None = None


class SyncCheckpoint(SQLModel, table=True):
    """(hub sequence, the hub's history check there) pairs the pull passed: where to resume when
    the hub turns out to have been put back from a backup (docs/SYNC.md)."""

    __tablename__ = "sync_checkpoint"

    hub_id: str = Field(primary_key=True, max_length=300)
    seq: int = Field(primary_key=True)
    check: str = Field(max_length=64)


class RowVersion(SQLModel, table=True):
    """Field clocks of a synced row updated since its insert (a field not in `clocks` has `inserted`)."""

    __tablename__ = "row_version"

    table_name: str = Field(primary_key=True, max_length=40)
    row_id: str = Field(primary_key=True, max_length=36)
    inserted: str  # the insert stamp
    clocks: dict = Field(sa_column=Column(JSON, nullable=False))  # {field: hlc of the winning write}
    seen: dict = Field(sa_column=Column(JSON, nullable=False))  # {field: greatest base any write had}


class AppliedChange(SQLModel, table=True):
    """The inbox: every remote change applied (or waiting) here; its key dedupes pulls and bundles."""

    __tablename__ = "applied_change"
    # The set-aside changes, counted by the status line and `sync`: a few among many applied.
    __table_args__ = (Index("ix_applied_change_problem", "problem", sqlite_where=text("problem IS NOT NULL")),)

    origin_device: str = Field(primary_key=True, max_length=64)
    device_seq: int = Field(primary_key=True)
    hub_seq: int | None = None
    table_name: str = Field(max_length=40)
    row_id: str = Field(max_length=36, index=True)  # `parkinspect check`: a merged row's origin
    op: str = Field(max_length=10)
    hlc: str = Field(index=True)
    actor_id: str | None = Field(default=None, max_length=36)
    payload: dict = Field(sa_column=Column(JSON, nullable=False))
    base: dict | None = Field(default=None, sa_column=Column(JSON))
    applied_at: datetime = Field(default_factory=utc_now)
    # the row this change waits for (its own row, or a parent it refers to); None = applied
    waiting_for: str | None = Field(default=None, max_length=36, index=True)
    problem: str | None = None  # kept but not applied (e.g. a unique value another row holds)


class RejectedChange(SQLModel, table=True):
    """One of this device's changes the hub refused for a reason retrying cannot fix."""

    __tablename__ = "rejected_change"

    device_seq: int = Field(primary_key=True)
    code: str = Field(max_length=60)
    message: str
    change: dict = Field(sa_column=Column(JSON, nullable=False))
    rejected_at: datetime = Field(default_factory=utc_now)


SYNCED_TABLES: dict[str, type[SyncColumns]] = {
    cls.__tablename__: cls
    for cls in (Park, Building, Tenant, Inspector, Inspection, ChecklistItem, CheckResult, Hazard, RectificationItem,
                Reinspection, Notice, NoticeService, Attachment, AttachmentLink, QuarterlyReport, AuditEvent, Conflict,
                InspectionPlan, PlanRecusal, PlanDraw, InspectionTask, AgencyPolicy, NoticeReview, StarScore,
                EntryDecision, ExitDecision)
}
APPEND_ONLY_TABLES = frozenset({"notice", "notice_service", "audit_event", "attachment", "plan_draw",
                                "entry_decision", "exit_decision", "checklist_item"})


@cache
def synced_tables_parents_first() -> tuple[str, ...]:
    """Synced tables with every table after the tables it refers to: the order a first sync
    serves (hub) and loads (device) them in, so parents are always there before their children."""
    synced = {cls.__table__.name for cls in SYNCED_TABLES.values()}
    return tuple(t.name for t in SQLModel.metadata.sorted_tables if t.name in synced)

# Tables whose updates and tombstones also get an audit event (with before/after values);
# who created a row, when and with which values is its change-log insert entry — and, for the
# inspection records (few, and legal records), an audit event too, so that a record's history is
# one list.
AUDITED_TABLES = frozenset({"park", "building", "tenant", "inspector", "inspection", "check_result", "hazard",
                            "rectification_item", "reinspection", "quarterly_report", "agency_policy", "notice_review",
                            "star_score"})
AUDITED_INSERT_TABLES = frozenset({"inspection", "hazard", "rectification_item", "reinspection", "agency_policy",
                                   "notice_review", "entry_decision", "exit_decision"})
