"""Processed updates remember whether their reply was delivered.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.columns import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add `processed_updates.replied_at`."""
    with op.batch_alter_table("processed_updates") as batch:
        batch.add_column(sa.Column("replied_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Drop `processed_updates.replied_at`."""
    with op.batch_alter_table("processed_updates") as batch:
        batch.drop_column("replied_at")
