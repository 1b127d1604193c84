"""device certificates issued by the agency root: `device_certificate`

Each certificate the hub's agency root issues to a device (hub/agency.py) is recorded with its
serial, fingerprint, the root that signed it, the key's sha256, its bytes, issue time, end of
validity and revocation time. The CRL is built from these rows, so revocations travel with a
`hub backup` and come back with a `hub restore`; the root's private key never does.

Revision ID: 0007_device_certificate
Revises: 0006_notice_block
Create Date: 2026-12-15
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_device_certificate"
down_revision: str | None = "0006_notice_block"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_certificate",
        sa.Column("serial", sa.String(40), primary_key=True),
        sa.Column("device", sa.String(36), nullable=False),
        sa.Column("root_fingerprint", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("key_sha256", sa.String(64), nullable=False),
        sa.Column("certificate", sa.LargeBinary, nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_device_certificate_device", "device_certificate", ["device"])


def downgrade() -> None:
    op.drop_index("ix_device_certificate_device", table_name="device_certificate")
    op.drop_table("device_certificate")
