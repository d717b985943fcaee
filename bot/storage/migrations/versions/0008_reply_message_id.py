"""Processed updates remember the channel's id of their reply's last message.

Telegram numbers a private chat's messages in one sequence, the person's and the bot's: an
input whose message id is below that of the reply carrying a question was written before the
question reached them, however close in time (dates are in whole seconds).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add `processed_updates.reply_message_id`."""
    with op.batch_alter_table("processed_updates") as batch:
        batch.add_column(sa.Column("reply_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Drop `processed_updates.reply_message_id`."""
    with op.batch_alter_table("processed_updates") as batch:
        batch.drop_column("reply_message_id")
