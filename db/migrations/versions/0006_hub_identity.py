"""sync cursors keyed by the hub's id, and history checkpoints per hub

`sync_state` was keyed by the hub's URL: the same hub at a new address looked like a new hub, and
the device pushed and pulled everything again. It is now keyed by the hub's id (`/me` gives it);
`hub_url` is the address it was last reached at and `epoch` the hub's history epoch last seen.
A row made before this revision keeps its URL as its key until the next sync with that URL,
which adopts it for the id the hub answers with (inspect_app/sync/cursors.py).

`sync_checkpoint` keeps, per hub, a few (hub sequence, history check) pairs the pull passed —
recent ones and exponentially spaced older ones — so a device facing a hub put back from a backup
finds the latest point both still agree on and pulls again from there (docs/SYNC.md).

Revision ID: 0006_hub_identity
Revises: 0005_park_totals
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_hub_identity"
down_revision: str | None = "0005_park_totals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.rename_table("sync_state", "sync_state_by_url")
    op.create_table(
        "sync_state",
        sa.Column("hub_id", sa.String(length=300), nullable=False),
        sa.Column("hub_url", sa.String(length=300), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=True),
        sa.Column("pushed_seq", sa.Integer(), nullable=False),
        sa.Column("pulled_seq", sa.Integer(), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("hub_id"),
    )
    op.execute("INSERT INTO sync_state (hub_id, hub_url, epoch, pushed_seq, pulled_seq, last_sync_at) "
               "SELECT hub_url, hub_url, NULL, pushed_seq, pulled_seq, last_sync_at FROM sync_state_by_url")
    op.drop_table("sync_state_by_url")
    op.create_table(
        "sync_checkpoint",
        sa.Column("hub_id", sa.String(length=300), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("hub_id", "seq"),
    )


def downgrade() -> None:
    op.drop_table("sync_checkpoint")
    op.rename_table("sync_state", "sync_state_by_id")
    op.create_table(
        "sync_state",
        sa.Column("hub_url", sa.String(length=300), nullable=False),
        sa.Column("pushed_seq", sa.Integer(), nullable=False),
        sa.Column("pulled_seq", sa.Integer(), nullable=False),
        sa.Column("last_sync_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("hub_url"),
    )
    op.execute("INSERT OR IGNORE INTO sync_state (hub_url, pushed_seq, pulled_seq, last_sync_at) "
               "SELECT coalesce(hub_url, hub_id), pushed_seq, pulled_seq, last_sync_at FROM sync_state_by_id")
    op.drop_table("sync_state_by_id")
