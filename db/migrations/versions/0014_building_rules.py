"""What the county's fire-safety rules read: building, tenant and hazard columns

Buildings get their design fire-hazard class, fire-resistance grade, sprinklers, alarm system and
the named manager of a shared building; tenants the floor they occupy and the three-party
agreement of a sublet; hazards the article they rest on when a rule's result made them
(forms/rules.py, inspect_app/services/rules.py). Every column is nullable (None = not recorded),
so a device that has not migrated yet still inserts rows the others accept.

Revision ID: 0014_building_rules
Revises: 0013_notice_review
Create Date: 2026-12-16
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_building_rules"
down_revision: str | None = "0013_notice_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "building": [
        sa.Column("design_hazard_class", sa.String(length=1), nullable=True),
        sa.Column("fire_resistance_grade", sa.String(length=1), nullable=True),
        sa.Column("sprinklers", sa.Boolean(), nullable=True),
        sa.Column("fire_alarm", sa.Boolean(), nullable=True),
        sa.Column("manager_name", sa.String(length=100), nullable=True),
    ],
    "tenant": [
        sa.Column("floor", sa.Integer(), nullable=True),
        sa.Column("three_party_agreement", sa.Boolean(), nullable=True),
    ],
    "hazard": [
        sa.Column("legal_basis", sa.String(length=200), nullable=True),
    ],
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        for column in columns:
            op.add_column(table, column)


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in reversed(columns):
                batch.drop_column(column.name)
