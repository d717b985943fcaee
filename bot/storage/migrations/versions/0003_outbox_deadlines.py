"""Scheduling: deadlines, done marks, broadcasts, the outbox and the sender's lease.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.columns import JSONDoc, UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `deadlines`, `deadline_done`, `broadcasts`, `outbox` and `leases`."""
    op.create_table(
        "deadlines",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("spec", JSONDoc(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deadlines"),
        sa.CheckConstraint("source IN ('shipped', 'coordinator')", name="ck_deadlines_source"),
    )
    op.create_table(
        "deadline_done",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("deadline_id", sa.String(32), nullable=False),
        sa.Column("occurrence", sa.String(100), nullable=False),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deadline_done"),
        sa.UniqueConstraint(
            "deadline_id", "occurrence", "scope",
            name="uq_deadline_done_deadline_id_occurrence_scope",
        ),
        sa.ForeignKeyConstraint(
            ["deadline_id"], ["deadlines.id"],
            name="fk_deadline_done_deadline_id_deadlines", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipalities.id"],
            name="fk_deadline_done_municipality_id_municipalities", ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_deadline_done_user_id_users", ondelete="SET NULL"
        ),
    )
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("texts", JSONDoc(), nullable=False),
        sa.Column("audience", JSONDoc(), nullable=False),
        sa.Column("scheduled_at", UTCDateTime(), nullable=True),
        sa.Column("ignore_quiet", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("draft_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_broadcasts"),
        sa.ForeignKeyConstraint(
            ["draft_user_id"], ["users.id"],
            name="fk_broadcasts_draft_user_id_users", ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'queued', 'cancelled')", name="ck_broadcasts_status"
        ),
    )
    op.create_index("ix_broadcasts_draft_user_id", "broadcasts", ["draft_user_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.Column("payload", JSONDoc(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_outbox_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["broadcast_id"], ["broadcasts.id"],
            name="fk_outbox_broadcast_id_broadcasts", ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'blocked', 'dropped', 'unknown')",
            name="ck_outbox_status",
        ),
    )
    op.create_index("ix_outbox_user_id", "outbox", ["user_id"])
    op.create_index("ix_outbox_broadcast_id", "outbox", ["broadcast_id"])
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )


def downgrade() -> None:
    """Drop the scheduling tables."""
    op.drop_table("leases")
    op.drop_table("outbox")
    op.drop_table("broadcasts")
    op.drop_table("deadline_done")
    op.drop_table("deadlines")
