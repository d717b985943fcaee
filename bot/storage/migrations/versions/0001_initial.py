"""Initial schema: municipalities, partnerships, users, flow runs, answers, processed updates.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.columns import JSONDoc, Number, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the tables of the first release."""
    op.create_table(
        "municipalities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("region", sa.String(200), nullable=True),
        sa.Column("aliases", JSONDoc(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_municipalities"),
        sa.UniqueConstraint("country", "name", name="uq_municipalities_country_name"),
        sa.CheckConstraint("source IN ('seeded', 'user')", name="ck_municipalities_source"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("requested_role", sa.String(16), nullable=True),
        sa.Column("kind", sa.String(32), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("lite", sa.Boolean(), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("channel", "external_id", name="uq_users_channel_external_id"),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name="fk_users_municipality_id_municipalities",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint("role IN ('user', 'coordinator', 'admin')", name="ck_users_role"),
        sa.CheckConstraint(
            "requested_role IS NULL OR requested_role IN ('user', 'coordinator', 'admin')",
            name="ck_users_requested_role",
        ),
    )
    op.create_index("ix_users_municipality_id", "users", ["municipality_id"])
    op.create_table(
        "partnerships",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("north_municipality_id", sa.Integer(), nullable=False),
        sa.Column("south_municipality_id", sa.Integer(), nullable=False),
        sa.Column("rhythm", sa.String(32), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("started", sa.Date(), nullable=True),
        sa.Column("ended", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_partnerships"),
        sa.UniqueConstraint("slug", name="uq_partnerships_slug"),
        sa.ForeignKeyConstraint(
            ["north_municipality_id"],
            ["municipalities.id"],
            name="fk_partnerships_north_municipality_id_municipalities",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["south_municipality_id"],
            ["municipalities.id"],
            name="fk_partnerships_south_municipality_id_municipalities",
            ondelete="RESTRICT",
        ),
    )
    op.create_table(
        "flow_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("partnership_id", sa.Integer(), nullable=True),
        sa.Column("flow_id", sa.String(100), nullable=False),
        sa.Column("flow_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("state", JSONDoc(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("waiting_since", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("nudged_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_flow_runs"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_flow_runs_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipalities.id"],
            name="fk_flow_runs_municipality_id_municipalities",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partnership_id"],
            ["partnerships.id"],
            name="fk_flow_runs_partnership_id_partnerships",
            ondelete="SET NULL",
        ),
        sa.CheckConstraint(
            "status IN ('active', 'completed', 'cancelled', 'expired')", name="ck_flow_runs_status"
        ),
    )
    op.create_index("ix_flow_runs_user_id", "flow_runs", ["user_id"])
    op.create_index(
        "uq_flow_runs_one_active_per_user",
        "flow_runs",
        ["user_id"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index(
        "ix_flow_runs_status_waiting_since", "flow_runs", ["status", "waiting_since"]
    )
    op.create_index(
        "ix_flow_runs_flow_id_municipality_id",
        "flow_runs",
        ["flow_id", "municipality_id", "status"],
    )
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("value_number", Number(), nullable=True),
        sa.Column("value_bool", sa.Boolean(), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("value_json", JSONDoc(), nullable=True),
        sa.Column("display", sa.Text(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_answers"),
        sa.UniqueConstraint("run_id", "step_id", name="uq_answers_run_id_step_id"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["flow_runs.id"], name="fk_answers_run_id_flow_runs", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "processed_updates",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("update_id", sa.String(128), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "update_id", name="pk_processed_updates"),
    )
    op.create_index(
        "ix_processed_updates_processed_at", "processed_updates", ["processed_at"]
    )


def downgrade() -> None:
    """Drop every table of the first release."""
    op.drop_table("processed_updates")
    op.drop_table("answers")
    op.drop_table("flow_runs")
    op.drop_table("partnerships")
    op.drop_table("users")
    op.drop_table("municipalities")
