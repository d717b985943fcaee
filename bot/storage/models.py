"""The tables, as SQLAlchemy 2 typed models.

The database is the source of truth for conversations: a user is a row, a run of a flow is a row
holding the engine's `RunState` as JSON, and every answer is also kept as a typed row (text,
number, bool, date or JSON) so reports can query them without parsing state. The schema itself
is created by the Alembic migrations in `bot/storage/migrations`; these models must match them
(a test compares the two).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.columns import JSONDoc, Number, UTCDateTime

Role = Literal["user", "coordinator", "admin"]
UserKind = Literal["municipal_staff", "elected_official", "partner_municipality", "coordinator"]
RunStatus = Literal["active", "completed", "cancelled", "expired"]
MunicipalitySource = Literal["seeded", "user"]

ROLES: tuple[Role, ...] = ("user", "coordinator", "admin")
SANDBOX_CHANNEL = "sandbox"
"""The channel of the web console's flow simulator: its people and runs never count anywhere
(exports, the report, statistics, audiences, deadlines)."""
USER_KINDS: tuple[UserKind, ...] = (
    "municipal_staff",
    "elected_official",
    "partner_municipality",
    "coordinator",
)
RUN_STATUSES: tuple[RunStatus, ...] = ("active", "completed", "cancelled", "expired")

# Deterministic constraint names: Alembic's batch mode on SQLite needs names to alter tables later.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base carrying the shared metadata and naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Municipality(Base):
    """A local government, seeded from `content/` or added by a user during a conversation."""

    __tablename__ = "municipalities"
    __table_args__ = (
        UniqueConstraint("country", "name"),
        CheckConstraint("source IN ('seeded', 'user')", name="source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(JSONDoc(), default=list)
    source: Mapped[str] = mapped_column(String(16), default="user")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # confirmed | proposed (typed in onboarding, waiting for a coordinator) | merged (into
    # `merged_into_id`; kept so the name still leads there and a seed does not bring it back).
    status: Mapped[str] = mapped_column(String(16), default="confirmed", server_default="confirmed")
    merged_into_id: Mapped[int | None] = mapped_column(Integer)
    # Set when a coordinator changed it: seeding from content/ leaves it alone from then on.
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class User(Base):
    """Someone talking to the bot on one channel."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        CheckConstraint("role IN ('user', 'coordinator', 'admin')", name="role"),
        CheckConstraint(
            "requested_role IS NULL OR requested_role IN ('user', 'coordinator', 'admin')",
            name="requested_role",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(16), default="user")
    requested_role: Mapped[str | None] = mapped_column(String(16))
    # No CHECK on kind: the list of kinds is expected to grow (sister associations…).
    kind: Mapped[str | None] = mapped_column(String(32))
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="SET NULL"), index=True
    )
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    lite: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def key(self) -> str:
        """The user as ``"channel:external_id"``, as exports and logs show it."""
        return f"{self.channel}:{self.external_id}"


class Partnership(Base):
    """A twinning between a Flemish (north) and a partner (south) municipality."""

    __tablename__ = "partnerships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    north_municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="RESTRICT")
    )
    south_municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="RESTRICT")
    )
    rhythm: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    started: Mapped[date | None] = mapped_column(Date)
    ended: Mapped[date | None] = mapped_column(Date)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FlowRun(Base):
    """One run of a flow by a user; `state` is the engine's `RunState` as JSON."""

    __tablename__ = "flow_runs"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'completed', 'cancelled', 'expired')", name="status"),
        # A user has at most one active run: the service loads "the" active run under a lock.
        Index(
            "uq_flow_runs_one_active_per_user",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_flow_runs_status_waiting_since", "status", "waiting_since"),
        Index("ix_flow_runs_flow_id_municipality_id", "flow_id", "municipality_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="SET NULL")
    )
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnerships.id", ondelete="SET NULL")
    )
    flow_id: Mapped[str] = mapped_column(String(100))
    flow_version: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    state: Mapped[dict[str, Any]] = mapped_column(JSONDoc())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Answer(Base):
    """One answer of a run, in the typed column that fits its value.

    Exactly one of ``value_text``, ``value_number``, ``value_bool``, ``value_date`` is set for
    scalar answers; lists and mappings live in ``value_json`` (which also keeps an int or float
    as typed, so it reads back as the same Python type).
    """

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("run_id", "step_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("flow_runs.id", ondelete="CASCADE"))
    step_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    value_text: Mapped[str | None] = mapped_column(Text)
    value_number: Mapped[Decimal | None] = mapped_column(Number())
    value_bool: Mapped[bool | None] = mapped_column(Boolean)
    value_date: Mapped[date | None] = mapped_column(Date)
    value_json: Mapped[Any] = mapped_column(JSONDoc(), nullable=True)
    display: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessedUpdate(Base):
    """An input (Telegram update id, console line number…) already handled: never twice."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Set once the reply reached the user: a re-delivered update whose reply never went out
    # (a crash between commit and send) gets the current question again instead of silence.
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The channel's id of the reply's last message (Telegram's message_id, one sequence per
    # chat with the person's own): an input with a lower id was written before it arrived.
    reply_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class InboxItem(Base):
    """An update as fetched, kept until handled: a crash before that does not lose it.

    Telegram forgets updates once the next ``getUpdates`` confirms them, which
    python-telegram-bot does as soon as it has fetched a batch — before handling it.
    """

    __tablename__ = "inbox"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc())
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class FlowVersion(Base):
    """The source of every flow version ever served, so a pinned run can always be resumed."""

    __tablename__ = "flow_versions"
    # Named as migration 0002 created it (the naming convention would add "_checksum").
    __table_args__ = (UniqueConstraint("flow_id", "checksum", name="uq_flow_versions_flow_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(64))
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    first_served_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One privileged action (broadcast, export, role change, deadline change…): who, what, when.

    ``actor`` is how the actor was known when acting (``"telegram:123"``, ``"cli:alice"``,
    ``"system:retention"``); ``actor_user_id`` links to the user while that user exists (an
    erased user's rows stay, anonymised, so the log keeps its meaning).
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_action", "action", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[Any] = mapped_column(JSONDoc(), nullable=True)


class RoleReview(Base):
    """The coordinator-access request a coordinator was last shown in the bot.

    Approve/Refuse buttons act on exactly this request, so two coordinators working through the
    queue at once can never approve someone they did not see.
    """

    __tablename__ = "role_reviews"

    reviewer_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- scheduling: deadlines, reminders, broadcasts, the outbox (migration 0003) -------------------

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed", "blocked", "dropped", "unknown")
BROADCAST_STATUSES = ("draft", "scheduled", "queued", "cancelled")


class Deadline(Base):
    """A reporting obligation or recurring event; `spec` is its definition as in deadlines.yaml.

    Shipped deadlines (`source` "shipped") are refreshed from `content/deadlines.yaml` at start
    until a coordinator changes them (`source` "coordinator"); removing one only deactivates it,
    so a later start does not bring it back.
    """

    __tablename__ = "deadlines"
    __table_args__ = (CheckConstraint("source IN ('shipped', 'coordinator')", name="source"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONDoc())
    source: Mapped[str] = mapped_column(String(16), default="shipped")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeadlineDone(Base):
    """One occurrence of a deadline marked done for a municipality (or one user), and by whom."""

    __tablename__ = "deadline_done"
    __table_args__ = (UniqueConstraint("deadline_id", "occurrence", "scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deadline_id: Mapped[str] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"))
    occurrence: Mapped[str] = mapped_column(String(100))
    # "m:<municipality id>", or "u:<user id>" for someone not attached to a municipality.
    scope: Mapped[str] = mapped_column(String(32))
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Broadcast(Base):
    """A message from coordinators to an audience; expanded into outbox rows when due."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'scheduled', 'queued', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    texts: Mapped[dict[str, str]] = mapped_column(JSONDoc())
    audience: Mapped[list[str]] = mapped_column(JSONDoc())
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ignore_quiet: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    recipients: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    # The coordinator composing it in the bot (a draft); None once sent or when made by the CLI.
    draft_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxItem(Base):
    """One message to one user for one occurrence; `key` makes it unique (never twice)."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'blocked', 'dropped', 'unknown')",
            name="status",
        ),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Lease(Base):
    """A named lease (the sender's leader lock): held by `holder` until `expires_at`."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- the web console (migration 0007) ------------------------------------------------------------


class WebLoginToken(Base):
    """A one-time sign-in link: only its hash is kept; valid briefly, usable once."""

    __tablename__ = "web_login_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A signed-in browser: the cookie's hash, its CSRF token, its language, its expiry."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
