"""Audit log of privileged actions, and the coordinator-access request each reviewer is shown.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.columns import JSONDoc, UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `audit_log` and `role_reviews`."""
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("details", JSONDoc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name="fk_audit_log_actor_user_id_users",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action", "audit_log", ["action", "at"])
    op.create_index("ix_audit_log_actor_user_id", "audit_log", ["actor_user_id"])
    op.create_table(
        "role_reviews",
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("shown_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("reviewer_id", name="pk_role_reviews"),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name="fk_role_reviews_reviewer_id_users",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["users.id"], name="fk_role_reviews_candidate_id_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_role_reviews_candidate_id", "role_reviews", ["candidate_id"])


def downgrade() -> None:
    """Drop `role_reviews` and `audit_log`."""
    op.drop_table("role_reviews")
    op.drop_table("audit_log")
