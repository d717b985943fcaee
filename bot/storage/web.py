"""The web console's tables: one-time sign-in links and browser sessions.

Only hashes of the secrets are stored (SHA-256 of the link's token, of the session cookie): a
copy of the database signs nobody in. A link is taken in one conditional ``UPDATE`` (unused,
not expired), so two clicks on the same link — in two processes — sign in at most once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CursorResult, delete, select, update

from bot.storage._base import TxPart, require_aware
from bot.storage.models import OutboxItem, User, WebLoginToken, WebSession


@dataclass(frozen=True)
class Delivery:
    """One recipient of a broadcast and what became of their message."""

    user: User
    status: str
    error: str | None
    sent_at: datetime | None
    attempts: int


class WebPart(TxPart):
    """`Tx` methods of the web console: links, sessions, deliveries per recipient."""

    async def add_login_token(
        self, token_hash: str, user_id: int, now: datetime, expires_at: datetime
    ) -> None:
        """Keep a new sign-in link (by its hash) for `user_id`, valid until `expires_at`."""
        self._session.add(
            WebLoginToken(
                token_hash=token_hash,
                user_id=user_id,
                created_at=require_aware(now, "now"),
                expires_at=require_aware(expires_at, "expires_at"),
                used_at=None,
            )
        )
        await self._session.flush()

    async def use_login_token(self, token_hash: str, now: datetime) -> int | None:
        """Mark a link used and return its user's id; None if unknown, used or expired."""
        result = await self._session.execute(
            update(WebLoginToken)
            .where(
                WebLoginToken.token_hash == token_hash,
                WebLoginToken.used_at.is_(None),
                WebLoginToken.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        if result.rowcount != 1:
            return None
        return (
            await self._session.execute(
                select(WebLoginToken.user_id).where(WebLoginToken.token_hash == token_hash)
            )
        ).scalar_one()

    async def prune_login_tokens(self, before: datetime) -> None:
        """Forget links that expired before `before` (used or not)."""
        await self._session.execute(delete(WebLoginToken).where(WebLoginToken.expires_at < before))

    async def add_web_session(
        self,
        id_hash: str,
        user_id: int,
        csrf_token: str,
        now: datetime,
        expires_at: datetime,
        language: str | None,
    ) -> WebSession:
        """Start a session for `user_id`."""
        row = WebSession(
            id_hash=id_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            language=language,
            created_at=now,
            expires_at=expires_at,
            seen_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row

    async def web_session(self, id_hash: str, now: datetime) -> tuple[WebSession, User] | None:
        """The unexpired session with this hash and its user, if any."""
        row = (
            await self._session.execute(
                select(WebSession, User)
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.id_hash == id_hash, WebSession.expires_at > now)
            )
        ).first()
        return (row[0], row[1]) if row is not None else None

    async def touch_web_session(self, id_hash: str, now: datetime, expires_at: datetime) -> None:
        """Note activity on a session and push its expiry back."""
        await self._session.execute(
            update(WebSession)
            .where(WebSession.id_hash == id_hash)
            .values(seen_at=now, expires_at=expires_at)
            .execution_options(synchronize_session=False)
        )

    async def set_web_session_language(self, id_hash: str, language: str) -> None:
        """The language the console speaks in this session."""
        await self._session.execute(
            update(WebSession)
            .where(WebSession.id_hash == id_hash)
            .values(language=language)
            .execution_options(synchronize_session=False)
        )

    async def end_web_session(self, id_hash: str) -> None:
        """Sign this session out."""
        await self._session.execute(delete(WebSession).where(WebSession.id_hash == id_hash))

    async def end_web_sessions_of(self, user_id: int) -> None:
        """Sign out every session of a user (demoted, erased)."""
        await self._session.execute(delete(WebSession).where(WebSession.user_id == user_id))

    async def prune_web_sessions(self, now: datetime) -> None:
        """Forget expired sessions."""
        await self._session.execute(delete(WebSession).where(WebSession.expires_at <= now))

    async def broadcast_deliveries(
        self, broadcast_id: int, *, limit: int = 500, status: str | None = None
    ) -> Sequence[Delivery]:
        """The recipients of a broadcast and the state of each one's message, failed first."""
        statement = (
            select(
                OutboxItem.status,
                OutboxItem.last_error,
                OutboxItem.sent_at,
                OutboxItem.attempts,
                User,
            )
            .join(User, User.id == OutboxItem.user_id)
            .where(OutboxItem.broadcast_id == broadcast_id)
            .order_by(OutboxItem.status, User.id)
            .limit(limit)
        )
        if status is not None:
            statement = statement.where(OutboxItem.status == status)
        rows = (await self._session.execute(statement)).all()
        return [
            Delivery(user, st, error, sent, attempts) for st, error, sent, attempts, user in rows
        ]
