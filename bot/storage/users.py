"""Users and processed updates: who is talking, and which inputs were already handled."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import CursorResult, and_, bindparam, delete, select, update

from bot.storage._base import TxPart, require_aware, upsert, utcnow
from bot.storage.models import ROLES, FlowRun, ProcessedUpdate, User

# Columns callers may set; the identity (id, channel, external_id) is never changed.
_USER_FIELDS = frozenset(
    {
        "name",
        "language",
        "role",
        "requested_role",
        "kind",
        "municipality_id",
        "country",
        "timezone",
        "lite",
        "opted_out",
        "blocked",
        "created_at",
        "last_seen_at",
    }
)


def _check_user_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Validate user fields given as keyword arguments; normalise the country code."""
    unknown = set(fields) - _USER_FIELDS
    if unknown:
        raise TypeError(f"unknown user fields: {', '.join(sorted(unknown))}")
    for role_field in ("role", "requested_role"):
        role = fields.get(role_field)
        if role is not None and role not in ROLES:
            raise ValueError(f"{role_field} must be one of {', '.join(ROLES)} (got {role!r})")
    if fields.get("country") is not None:
        fields["country"] = str(fields["country"]).strip().upper()
    for stamp in ("created_at", "last_seen_at"):
        if fields.get(stamp) is not None:
            require_aware(fields[stamp], stamp)
    return fields


_CLAIM = upsert(ProcessedUpdate, ("channel", "update_id", "processed_at"), ("channel", "update_id"))
"""Insert an update id unless it is there already (then no row is inserted)."""


class Delivery(NamedTuple):
    """A reply's delivery: when it reached the user, and its last message's id if known.

    ``at`` is on the clock of the user's messages' dates when the channel has one (Telegram
    dates sent messages in whole seconds); ``message_id`` is in the sequence the chat's
    messages share (Telegram's private chats number both sides' messages in one sequence).
    """

    at: datetime
    message_id: int | None = None


_PROCESSED = ProcessedUpdate.__table__
_MARK_DELIVERED = (
    update(_PROCESSED)  # type: ignore[arg-type]
    .where(_PROCESSED.c.channel == bindparam("b_channel"),
           _PROCESSED.c.update_id == bindparam("b_update_id"))
    .values(replied_at=bindparam("b_at"), reply_message_id=bindparam("b_message_id"))
)  # fmt: skip
"""Set one input's delivery moment (executed once per mark, as one executemany)."""

_IDENTITY = ("channel", "external_id")
_NEW_USER = upsert(User, (*_IDENTITY, *sorted(_USER_FIELDS)), _IDENTITY)
"""Insert a user unless they exist (a cached SQL text: the dialect's insert was compiled anew
for every new user). Every column is bound, so Python-side defaults come from `_USER_DEFAULTS`."""
_USER_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(_USER_FIELDS),
    **{
        column.name: column.default.arg
        for column in User.__table__.columns
        if column.name in _USER_FIELDS and column.default is not None and column.default.is_scalar
    },
}

_USER = select(User).where(
    User.channel == bindparam("channel"), User.external_id == bindparam("external_id")
)
_USER_LOCKED = _USER.with_for_update().execution_options(populate_existing=True)

_USER_AND_RUN = (
    select(User, FlowRun)
    .outerjoin(FlowRun, and_(FlowRun.user_id == User.id, FlowRun.status == "active"))
    .where(User.channel == bindparam("channel"), User.external_id == bindparam("external_id"))
)
"""A user and their active run (every input reads it: built once, not per call)."""
_USER_AND_RUN_LOCKED = _USER_AND_RUN.with_for_update(of=User).execution_options(
    populate_existing=True
)
"""The same, locking the user's row (PostgreSQL)."""


class UsersPart(TxPart):
    """`Tx` methods about users and update de-duplication."""

    async def claim_update(
        self, channel: str, update_id: int | str, at: datetime | None = None
    ) -> bool:
        """Remember that an input is being handled in this transaction.

        Args:
            channel: the channel name (``"telegram"``, ``"console"``…).
            update_id: the channel's id of the input (Telegram's ``update_id``).
            at: when it is handled (defaults to now).

        Returns:
            True the first time; False when the input was already processed (or is being
            processed by a concurrent transaction that then commits), in which case the
            caller should do nothing else.
        """
        when = require_aware(at, "at") if at is not None else utcnow()
        values = {"channel": channel, "update_id": str(update_id), "processed_at": when}
        result: CursorResult[Any] = await self._session.execute(  # type: ignore[assignment]
            _CLAIM, values
        )
        return result.rowcount == 1

    async def mark_replied(self, channel: str, *update_ids: int | str) -> None:
        """Record that the replies to these inputs were delivered (one statement)."""
        if not update_ids:
            return
        await self._session.execute(
            update(ProcessedUpdate)
            .where(
                ProcessedUpdate.channel == channel,
                ProcessedUpdate.update_id.in_([str(u) for u in update_ids]),
            )
            .values(replied_at=utcnow())
        )

    async def mark_delivered(
        self, channel: str, delivered: Mapping[int, Delivery] | Mapping[str, Delivery]
    ) -> None:
        """Record when (and as which message) the replies to these inputs were delivered.

        The moment matters, not only the fact: an input the user wrote before the reply
        carrying a question reached them is not their answer to it
        (`bot.conversation.conversations`).
        One executemany, however many marks.
        """
        if not delivered:
            return
        rows = [
            {"b_channel": channel, "b_update_id": str(update_id),
             "b_at": require_aware(mark.at, "at"), "b_message_id": mark.message_id}
            for update_id, mark in delivered.items()
        ]  # fmt: skip
        await self._session.execute(_MARK_DELIVERED, rows)

    async def processed(
        self, channel: str, update_id: int | str
    ) -> tuple[datetime, datetime | None] | None:
        """An input's ``(processed_at, replied_at)``, or None if it was never handled.

        ``replied_at`` is None while the delivery of its reply is not recorded.
        """
        statement = select(ProcessedUpdate.processed_at, ProcessedUpdate.replied_at).where(
            ProcessedUpdate.channel == channel, ProcessedUpdate.update_id == str(update_id)
        )
        row = (await self._session.execute(statement)).first()
        return None if row is None else (row[0], row[1])

    async def delivery(self, channel: str, update_id: int | str) -> Delivery | None:
        """How the reply to an input was delivered, or None if that is not recorded."""
        statement = select(ProcessedUpdate.replied_at, ProcessedUpdate.reply_message_id).where(
            ProcessedUpdate.channel == channel, ProcessedUpdate.update_id == str(update_id)
        )
        row = (await self._session.execute(statement)).first()
        return None if row is None or row[0] is None else Delivery(row[0], row[1])

    async def processed_at(self, channel: str, update_id: int | str) -> datetime | None:
        """When an input was handled (claimed), or None if it never was."""
        found = await self.processed(channel, update_id)
        return None if found is None else found[0]

    async def forget_updates(self, before: datetime) -> int:
        """Delete processed-update marks older than ``before`` (channels never resend those).

        Returns:
            The number of marks deleted.
        """
        require_aware(before, "before")
        statement = delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
        result: CursorResult[Any] = await self._session.execute(statement)  # type: ignore[assignment]
        return result.rowcount

    async def get_user(
        self, channel: str, external_id: int | str, *, for_update: bool = False
    ) -> User | None:
        """Return the user known on ``channel`` under ``external_id``, if any.

        With ``for_update`` the row stays locked until the transaction ends (PostgreSQL's
        ``SELECT … FOR UPDATE``), like `lock_user`, in one query.
        """
        statement = _USER_LOCKED if for_update else _USER
        parameters = {"channel": channel, "external_id": str(external_id)}
        return (await self._session.execute(statement, parameters)).scalar_one_or_none()

    async def get_user_and_run(
        self, channel: str, external_id: int | str, *, for_update: bool = False
    ) -> tuple[User | None, FlowRun | None]:
        """The user, as `get_user`, with their active run if they have one: one query.

        With ``for_update`` only the user's row is locked (``FOR UPDATE OF users``): that lock
        is what orders the handling of one user's inputs across processes.
        """
        statement = _USER_AND_RUN_LOCKED if for_update else _USER_AND_RUN
        parameters = {"channel": channel, "external_id": str(external_id)}
        row = (await self._session.execute(statement, parameters)).first()
        return (None, None) if row is None else (row[0], row[1])

    async def user(self, user_id: int) -> User | None:
        """Return the user with this database id, if any."""
        return await self._session.get(User, user_id, populate_existing=True)

    async def get_or_create_user(
        self, channel: str, external_id: int | str, **defaults: Any
    ) -> User:
        """Return the user, creating it with ``defaults`` if it does not exist yet.

        Safe against two processes creating the same user at once (the insert is an
        ``ON CONFLICT DO NOTHING``); ``defaults`` are ignored for an existing user.

        Args:
            channel: the channel name.
            external_id: the user's id on that channel.
            **defaults: `User` fields for a new user (name, language, role, kind, country…).
        """
        values = {**_USER_DEFAULTS, **_check_user_fields(dict(defaults))}
        if values["created_at"] is None:
            values["created_at"] = utcnow()
        values.update(channel=channel, external_id=str(external_id))
        await self._session.execute(_NEW_USER, values)
        user = await self.get_user(channel, external_id)
        if user is None:  # pragma: no cover - the row was just inserted or already there
            raise RuntimeError(f"user {channel}:{external_id} vanished during creation")
        return user

    async def lock_user(self, user_id: int) -> User | None:
        """Lock the user's row until the transaction ends and return it freshly loaded.

        On PostgreSQL this is ``SELECT … FOR UPDATE``: a second process handling the same
        user waits here. On SQLite every write transaction already starts with
        ``BEGIN IMMEDIATE``, which serialises writers, so this is a plain read.
        """
        statement = (
            select(User)
            .where(User.id == user_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def update_user(self, user: User, **fields: Any) -> User:
        """Set fields of a user and flush them.

        Raises:
            TypeError: for a field that does not exist or may not be changed.
            ValueError: for a role outside user|coordinator|admin or a naive datetime.
        """
        for name, value in _check_user_fields(dict(fields)).items():
            setattr(user, name, value)
        await self._session.flush()
        return user

    async def users(
        self,
        *,
        role: str | None = None,
        municipality_id: int | None = None,
        reachable_only: bool = True,
    ) -> Sequence[User]:
        """List users, e.g. the recipients of a broadcast.

        Args:
            role: only users with this role.
            municipality_id: only users of this municipality.
            reachable_only: skip users who opted out or blocked the bot.
        """
        statement = select(User).order_by(User.id)
        if role is not None:
            statement = statement.where(User.role == role)
        if municipality_id is not None:
            statement = statement.where(User.municipality_id == municipality_id)
        if reachable_only:
            statement = statement.where(User.opted_out.is_(False), User.blocked.is_(False))
        return (await self._session.execute(statement)).scalars().all()
