"""Flow versions: the source of each served flow version, for runs pinned to an older one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.columns import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `flow_versions`."""
    op.create_table(
        "flow_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("flow_id", sa.String(100), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("first_served_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("flow_id", "checksum", name="uq_flow_versions_flow_id"),
    )


def downgrade() -> None:
    """Drop `flow_versions`."""
    op.drop_table("flow_versions")
