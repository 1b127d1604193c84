"""initial schema

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "attachment",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_hlc"), ["hlc"], unique=False)

    op.create_table(
        "attachment_link",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("attachment_sha256", sa.String(length=64), nullable=False),
        sa.Column("owner_table", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("caption", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("attachment_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attachment_link_attachment_sha256"), ["attachment_sha256"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_attachment_link_hlc"), ["hlc"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachment_link_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_hlc"), ["hlc"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_row_id"), ["row_id"], unique=False)

    op.create_table(
        "change_log",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_log_row_id"), ["row_id"], unique=False)

    op.create_table(
        "conflict",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("losing_value", sa.String(), nullable=True),
        sa.Column("losing_hlc", sa.String(), nullable=False),
        sa.Column("winning_hlc", sa.String(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conflict", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conflict_hlc"), ["hlc"], unique=False)
        batch_op.create_index(batch_op.f("ix_conflict_row_id"), ["row_id"], unique=False)

    op.create_table(
        "inspector",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("id_number", sa.String(length=30), nullable=False),
        sa.Column("agency", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inspector", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspector_hlc"), ["hlc"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspector_id_number"), ["id_number"], unique=False)

    op.create_table(
        "local_setting",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "notice_counter",
        sa.Column("device_block", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("device_block", "year"),
    )
    op.create_table(
        "park",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=False),
        sa.Column("street", sa.String(length=40), nullable=False),
        sa.Column("function_type", sa.String(length=20), nullable=False),
        sa.Column("developer_type", sa.String(length=30), nullable=False),
        sa.Column("star_rating", sa.Integer(), nullable=False),
        sa.Column("provincially_certified", sa.Boolean(), nullable=False),
        sa.Column("land_area_mu", sa.Float(), nullable=False),
        sa.Column("floor_area_m2", sa.Float(), nullable=False),
        sa.Column("property_company", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("park", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_park_hlc"), ["hlc"], unique=False)

    op.create_table(
        "sync_state",
        sa.Column("hub_url", sa.String(length=300), nullable=False),
        sa.Column("pushed_seq", sa.Integer(), nullable=False),
        sa.Column("pulled_seq", sa.Integer(), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("hub_url"),
    )
    op.create_table(
        "building",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("park_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("floors", sa.Integer(), nullable=True),
        sa.Column("floor_area_m2", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["park_id"],
            ["park.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("building", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_building_hlc"), ["hlc"], unique=False)
        batch_op.create_index(batch_op.f("ix_building_park_id"), ["park_id"], unique=False)

    op.create_table(
        "tenant",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("park_id", sa.String(), nullable=False),
        sa.Column("building_id", sa.String(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("building", sa.String(length=200), nullable=True),
        sa.Column("unit_no", sa.String(length=200), nullable=True),
        sa.Column("rented_area_m2", sa.Float(), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("scale", sa.String(length=10), nullable=False),
        sa.Column("lease_use", sa.String(length=20), nullable=False),
        sa.Column("risk_points", sa.JSON(), nullable=False),
        sa.Column("lease_start", sa.Date(), nullable=True),
        sa.Column("lease_end", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("fire_hazard_class", sa.String(length=1), nullable=True),
        sa.Column("process_or_goods", sa.String(length=200), nullable=True),
        sa.Column("safety_agreement_signed", sa.Boolean(), nullable=False),
        sa.Column("safety_agreement_date", sa.Date(), nullable=True),
        sa.Column("sublet", sa.Boolean(), nullable=False),
        sa.Column("subtenant_name", sa.String(length=200), nullable=True),
        sa.Column("people_living_on_site", sa.Boolean(), nullable=False),
        sa.Column("efficiency_class", sa.String(length=1), nullable=True),
        sa.Column("notes", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["building.id"],
        ),
        sa.ForeignKeyConstraint(
            ["park_id"],
            ["park.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_credit_code"), ["credit_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_tenant_hlc"), ["hlc"], unique=False)
        batch_op.create_index("ix_tenant_park_name", ["park_id", "name"], unique=False)
        batch_op.create_index(
            "ux_tenant_park_credit_code",
            ["park_id", "credit_code"],
            unique=True,
            sqlite_where=sa.text("deleted = 0"),
        )

    op.create_table(
        "inspection",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("park_id", sa.String(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=True),
        sa.Column("template_id", sa.String(length=60), nullable=False),
        sa.Column("template_version", sa.String(length=20), nullable=False),
        sa.Column("template_sha256", sa.String(length=64), nullable=True),
        sa.Column("inspector_ids", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["park_id"],
            ["park.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_hlc"), ["hlc"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspection_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "quarterly_report",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("output_value_wan", sa.Float(), nullable=True),
        sa.Column("electricity_kwh", sa.Float(), nullable=True),
        sa.Column("water_t", sa.Float(), nullable=True),
        sa.Column("tax_wan", sa.Float(), nullable=True),
        sa.Column("difficulties", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "year", "quarter"),
    )
    with op.batch_alter_table("quarterly_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quarterly_report_hlc"), ["hlc"], unique=False)

    op.create_table(
        "check_result",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("inspection_id", sa.String(), nullable=False),
        sa.Column("item_code", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("item_text", sa.String(length=500), nullable=False),
        sa.Column("default_severity", sa.String(length=10), nullable=False),
        sa.Column("major_possible", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("observed_value", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("inspection_id", "item_code"),
    )
    with op.batch_alter_table("check_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_result_hlc"), ["hlc"], unique=False)

    op.create_table(
        "notice",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("park_id", sa.String(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=True),
        sa.Column("inspection_id", sa.String(), nullable=True),
        sa.Column("device_block", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("content_json", sa.String(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("signature", sa.String(), nullable=True),
        sa.Column("signer_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
        ),
        sa.ForeignKeyConstraint(
            ["park_id"],
            ["park.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_block", "year", "sequence"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_hlc"), ["hlc"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notice_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "hazard",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("inspection_id", sa.String(), nullable=True),
        sa.Column("check_result_id", sa.String(), nullable=True),
        sa.Column("park_id", sa.String(), nullable=False),
        sa.Column("tenant_id", sa.String(), nullable=True),
        sa.Column("item_code", sa.String(length=20), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("notice_id", sa.String(length=36), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["check_result_id"],
            ["check_result.id"],
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
        ),
        sa.ForeignKeyConstraint(
            ["park_id"],
            ["park.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("hazard", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hazard_hlc"), ["hlc"], unique=False)
        batch_op.create_index(batch_op.f("ix_hazard_inspection_id"), ["inspection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hazard_park_id"), ["park_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hazard_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_hazard_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "rectification_item",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("hazard_id", sa.String(), nullable=False),
        sa.Column("responsible_person", sa.String(length=40), nullable=True),
        sa.Column("responsible_phone", sa.String(length=20), nullable=True),
        sa.Column("measures", sa.String(length=1000), nullable=True),
        sa.Column("funds_yuan", sa.Float(), nullable=True),
        sa.Column("funds_reason", sa.String(length=200), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("contingency_plan", sa.String(length=1000), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("notice_id", sa.String(length=36), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["hazard_id"],
            ["hazard.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rectification_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rectification_item_deadline"), ["deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_rectification_item_hazard_id"), ["hazard_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rectification_item_hlc"), ["hlc"], unique=False)
        batch_op.create_index(batch_op.f("ix_rectification_item_status"), ["status"], unique=False)

    op.create_table(
        "reinspection",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(), nullable=False),
        sa.Column("origin_device", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("rectification_item_id", sa.String(), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("evidence_note", sa.String(length=1000), nullable=True),
        sa.Column("new_deadline", sa.Date(), nullable=True),
        sa.Column("inspector_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rectification_item_id"],
            ["rectification_item.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reinspection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reinspection_hlc"), ["hlc"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reinspection_rectification_item_id"), ["rectification_item_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("reinspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reinspection_rectification_item_id"))
        batch_op.drop_index(batch_op.f("ix_reinspection_hlc"))

    op.drop_table("reinspection")
    with op.batch_alter_table("rectification_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectification_item_status"))
        batch_op.drop_index(batch_op.f("ix_rectification_item_hlc"))
        batch_op.drop_index(batch_op.f("ix_rectification_item_hazard_id"))
        batch_op.drop_index(batch_op.f("ix_rectification_item_deadline"))

    op.drop_table("rectification_item")
    with op.batch_alter_table("hazard", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hazard_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_hazard_status"))
        batch_op.drop_index(batch_op.f("ix_hazard_park_id"))
        batch_op.drop_index(batch_op.f("ix_hazard_inspection_id"))
        batch_op.drop_index(batch_op.f("ix_hazard_hlc"))

    op.drop_table("hazard")
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_notice_park_id"))
        batch_op.drop_index(batch_op.f("ix_notice_hlc"))

    op.drop_table("notice")
    with op.batch_alter_table("check_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_result_hlc"))

    op.drop_table("check_result")
    with op.batch_alter_table("quarterly_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarterly_report_hlc"))

    op.drop_table("quarterly_report")
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_park_id"))
        batch_op.drop_index(batch_op.f("ix_inspection_hlc"))

    op.drop_table("inspection")
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_index("ux_tenant_park_credit_code", sqlite_where=sa.text("deleted = 0"))
        batch_op.drop_index("ix_tenant_park_name")
        batch_op.drop_index(batch_op.f("ix_tenant_hlc"))
        batch_op.drop_index(batch_op.f("ix_tenant_credit_code"))

    op.drop_table("tenant")
    with op.batch_alter_table("building", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_building_park_id"))
        batch_op.drop_index(batch_op.f("ix_building_hlc"))

    op.drop_table("building")
    op.drop_table("sync_state")
    with op.batch_alter_table("park", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_park_hlc"))

    op.drop_table("park")
    op.drop_table("notice_counter")
    op.drop_table("local_setting")
    with op.batch_alter_table("inspector", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspector_id_number"))
        batch_op.drop_index(batch_op.f("ix_inspector_hlc"))

    op.drop_table("inspector")
    with op.batch_alter_table("conflict", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflict_row_id"))
        batch_op.drop_index(batch_op.f("ix_conflict_hlc"))

    op.drop_table("conflict")
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_log_row_id"))

    op.drop_table("change_log")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_row_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_hlc"))

    op.drop_table("audit_event")
    with op.batch_alter_table("attachment_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_link_owner_id"))
        batch_op.drop_index(batch_op.f("ix_attachment_link_hlc"))
        batch_op.drop_index(batch_op.f("ix_attachment_link_attachment_sha256"))

    op.drop_table("attachment_link")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_hlc"))

    op.drop_table("attachment")
