"""An inbox of fetched updates, so that updates fetched but not handled at a crash are not lost.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.columns import JSONDoc, UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `inbox`."""
    op.create_table(
        "inbox",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("update_id", sa.String(128), nullable=False),
        sa.Column("payload", JSONDoc(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "update_id", name="pk_inbox"),
    )
    op.create_index("ix_inbox_fetched_at", "inbox", ["fetched_at"])


def downgrade() -> None:
    """Drop `inbox`."""
    op.drop_index("ix_inbox_fetched_at", table_name="inbox")
    op.drop_table("inbox")
