"""The web console: one-time sign-in links, sessions; municipalities and twinnings as data.

Municipalities get a status (``confirmed``, ``proposed`` when typed in onboarding and not yet
checked by a coordinator, ``merged`` into another one), and municipalities and twinnings an
``edited_at``: once a coordinator changed one, seeding from ``content/`` leaves it alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.columns import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `web_login_tokens`, `web_sessions`; add the municipality status columns."""
    op.create_table(
        "web_login_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_web_login_tokens"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_web_login_tokens_user_id_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_web_login_tokens_user_id", "web_login_tokens", ["user_id"])
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name="pk_web_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_web_sessions_user_id_users", ondelete="CASCADE",
        ),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.add_column(
        "municipalities",
        sa.Column("status", sa.String(16), nullable=False, server_default="confirmed"),
    )
    op.add_column("municipalities", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.add_column("municipalities", sa.Column("edited_at", UTCDateTime(), nullable=True))
    op.add_column("partnerships", sa.Column("edited_at", UTCDateTime(), nullable=True))
    # What users typed in onboarding before this revision waits for a coordinator like new ones.
    op.execute("UPDATE municipalities SET status = 'proposed' WHERE source = 'user'")


def downgrade() -> None:
    """Drop what `upgrade` added."""
    with op.batch_alter_table("partnerships") as batch:
        batch.drop_column("edited_at")
    with op.batch_alter_table("municipalities") as batch:
        batch.drop_column("edited_at")
        batch.drop_column("merged_into_id")
        batch.drop_column("status")
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index("ix_web_login_tokens_user_id", table_name="web_login_tokens")
    op.drop_table("web_login_tokens")
