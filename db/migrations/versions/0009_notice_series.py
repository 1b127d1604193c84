"""each document kind its own number series: notice unique on (kind, block, year, sequence)

A 隐患整改通知书, a 复查意见书 and a 检查记录 are numbered separately, as offices number them
(`…责改〔2026〕第H001-0012号`, `…复查〔2026〕第H001-0003号`). The notice table's unique key gains
`kind`, and the local counter is kept per (kind, block, year). Notices already issued keep their
numbers (paper is never renumbered). Each existing counter is carried over to every kind: a new
series starts past every sequence the shared series used, so no (kind, block, year, sequence) of an
old notice can be given again even where the notice itself is not on this device (a restored
backup, a block set twice by hand).

Revision ID: 0009_notice_series
Revises: 0008_inspection_accompanied_by
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_notice_series"
down_revision: str | None = "0008_inspection_accompanied_by"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("rectification", "reinspection_opinion", "inspection_record")
# SQLite keeps the notice table's unique constraints unnamed; batch mode names them by this
# convention so the old one can be dropped while the table is copied.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def upgrade() -> None:
    with op.batch_alter_table("notice", naming_convention=NAMING, recreate="always") as batch:
        batch.drop_constraint("uq_notice_device_block_year_sequence", type_="unique")
        batch.create_unique_constraint("uq_notice_kind_device_block_year_sequence",
                                       ["kind", "device_block", "year", "sequence"])
    op.create_table(
        "notice_counter_new",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("device_block", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "device_block", "year"),
    )
    for kind in KINDS:
        op.execute(sa.text("INSERT INTO notice_counter_new (kind, device_block, year, last_sequence) "
                           "SELECT :kind, device_block, year, last_sequence FROM notice_counter").bindparams(kind=kind))
    op.drop_table("notice_counter")
    op.rename_table("notice_counter_new", "notice_counter")


def downgrade() -> None:
    # Only where no two kinds share a (block, year, sequence): the old unique key refuses otherwise.
    op.create_table(
        "notice_counter_old",
        sa.Column("device_block", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("device_block", "year"),
    )
    op.execute("INSERT INTO notice_counter_old (device_block, year, last_sequence) "
               "SELECT device_block, year, max(last_sequence) FROM notice_counter GROUP BY device_block, year")
    op.drop_table("notice_counter")
    op.rename_table("notice_counter_old", "notice_counter")
    with op.batch_alter_table("notice", naming_convention=NAMING, recreate="always") as batch:
        batch.drop_constraint("uq_notice_kind_device_block_year_sequence", type_="unique")
        batch.create_unique_constraint("uq_notice_device_block_year_sequence", ["device_block", "year", "sequence"])
