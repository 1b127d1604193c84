"""a park-limited device's first-sync pages read by park: index row_state (park_id, table_name, row_id)

A snapshot page for a device of some parks read the table's rows in row-id order and kept those
of its parks: on a province hub (ten million rows) an inspector of 20 parks out of 1,500 had the
whole table read to fill each page. With this index the page is one range search per park
(hub/snapshot.py), so it costs about the rows it returns.

Revision ID: 0009_province
Revises: 0008_notice_series
Create Date: 2026-12-10
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_province"
down_revision: str | None = "0008_notice_series"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_row_state_park", "row_state", ["park_id", "table_name", "row_id"])


def downgrade() -> None:
    op.drop_index("ix_row_state_park", table_name="row_state")
