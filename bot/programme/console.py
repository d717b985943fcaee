"""Signing in to the web console: one-time links from the bot, sessions, who may stay signed in.

A coordinator asks the bot (`/web`) or an admin asks the terminal (`sdgbot web link`) for a link
``…/login/<token>``: valid `LINK_VALIDITY`, usable once, stored only as a hash. Opening it
starts a session: the browser keeps a random secret in a cookie, the database its hash, the
session's CSRF token and language. A session ends when it expires, when its person signs out,
and as soon as that person is no longer a coordinator (checked on every request) or erased
(their user row goes, and its sessions with it).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.programme.actors import Actor, NotAllowed, ProgrammeError, has_role
from bot.storage.audit import audit
from bot.storage.models import User, WebSession
from bot.storage.tx import Tx

LINK_VALIDITY = timedelta(minutes=15)
SESSION_IDLE = timedelta(hours=8)
"""A session not used for this long ends (each request pushes it back)."""
SESSION_TOUCH = timedelta(minutes=5)
"""Activity is written at most this often (one write less for most page views)."""
ACTION_WEB_LINK = "web_link"
ACTION_WEB_SIGN_IN = "web_sign_in"


def digest(secret: str) -> str:
    """The SHA-256 of a link token or session secret, as stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def login_url(base_url: str, token: str) -> str:
    """The link for a token under the console's address."""
    return f"{base_url.rstrip('/')}/login/{token}"


async def issue_link(tx: Tx, actor: Actor, user: User, base_url: str | None, now: datetime) -> str:
    """A one-time sign-in link for `user` (audited).

    A coordinator asks for their own; an admin (the terminal) may ask for anyone's.

    Raises:
        ProgrammeError: the console has no address (``SDGBOT_WEB_URL``), or `user` is not a
            coordinator.
        NotAllowed: asking for someone else's link without being an admin.
    """
    actor.require("coordinator")
    if actor.user is None or actor.user.id != user.id:
        actor.require("admin")
    if not base_url:
        raise ProgrammeError("the web console has no address: set SDGBOT_WEB_URL")
    if not has_role(user, "coordinator"):
        raise NotAllowed(f"{user.key} is not a coordinator: promote them first")
    token = secrets.token_urlsafe(32)
    await tx.prune_login_tokens(now - LINK_VALIDITY)
    await tx.add_login_token(digest(token), user.id, now, now + LINK_VALIDITY)
    await audit(tx, actor.audit_name, ACTION_WEB_LINK, {"user": user.key})
    return login_url(base_url, token)


@dataclass(frozen=True)
class SignedIn:
    """A new session: the secret for the cookie (never stored) and its row."""

    secret: str
    session: WebSession
    user: User


async def sign_in(tx: Tx, token: str, now: datetime) -> SignedIn | None:
    """Use a link: a new session for its person, or None (unknown, used, expired, demoted)."""
    if not token or len(token) > 200:
        return None
    user_id = await tx.use_login_token(digest(token), now)
    user = await tx.user(user_id) if user_id is not None else None
    if user is None or not has_role(user, "coordinator"):
        return None
    secret = secrets.token_urlsafe(32)
    await tx.prune_web_sessions(now)
    session = await tx.add_web_session(
        digest(secret), user.id, secrets.token_urlsafe(32), now, now + SESSION_IDLE, user.language
    )
    await audit(
        tx, Actor.of_user(user, via="web").audit_name, ACTION_WEB_SIGN_IN, {"user": user.key}
    )
    return SignedIn(secret, session, user)


@dataclass(frozen=True)
class Found:
    """A session found for a cookie, and its person."""

    session: WebSession
    user: User

    @property
    def demoted(self) -> bool:
        """The person is no longer a coordinator: the session must end."""
        return not has_role(self.user, "coordinator")

    def stale(self, now: datetime) -> bool:
        """Its last recorded activity is old enough to be written again."""
        return now - self.session.seen_at >= SESSION_TOUCH


async def find_session(tx: Tx, secret: str | None, now: datetime) -> Found | None:
    """The unexpired session of a cookie and its person (a read: see `keep_session`)."""
    if not secret or len(secret) > 200:
        return None
    found = await tx.web_session(digest(secret), now)
    return Found(*found) if found is not None else None


async def keep_session(tx: Tx, found: Found, now: datetime) -> None:
    """End a demoted person's sessions, or push a live session's expiry back."""
    if found.demoted:
        await tx.end_web_sessions_of(found.user.id)
    else:
        await tx.touch_web_session(found.session.id_hash, now, now + SESSION_IDLE)


async def sign_out(tx: Tx, secret: str) -> None:
    """End the session of this cookie."""
    await tx.end_web_session(digest(secret))


__all__ = [
    "ACTION_WEB_LINK",
    "ACTION_WEB_SIGN_IN",
    "LINK_VALIDITY",
    "SESSION_IDLE",
    "Found",
    "SignedIn",
    "digest",
    "find_session",
    "issue_link",
    "keep_session",
    "login_url",
    "sign_in",
    "sign_out",
]
