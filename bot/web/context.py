"""What every page handler shares: who is visiting, in which language, reading and writing.

A `Visit` is put on each request by the session middleware (`bot.web.app`). Handlers read the
database through `read` (a read-only transaction) and change it through `write` (re-run on a
busy database like every transaction of the bot), acting as `actor(request)`: the signed-in
coordinator, named ``web:telegram:<id>`` in the audit log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, unquote

from aiohttp import web

from bot.programme.actors import Actor
from bot.programme.console import SESSION_IDLE
from bot.storage.models import User, WebSession
from bot.storage.tx import Tx

if TYPE_CHECKING:
    from bot.conversation.conversations import Conversations

T = TypeVar("T")

SERVICE: web.AppKey[Conversations] = web.AppKey("service")
FLASH_COOKIE = "sdgbot_flash"
SESSION_COOKIE = "sdgbot_session"


@dataclass
class Visit:
    """The person behind a request (None when signed out) and the console's language."""

    lang: str
    user: User | None = None
    session: WebSession | None = None
    secret: str | None = None
    flash: tuple[str, str] | None = None
    """("ok", text key) or ("error", message) left by the previous request."""

    @property
    def csrf(self) -> str:
        """The session's CSRF token (empty when signed out: every POST is refused then)."""
        return self.session.csrf_token if self.session is not None else ""


VISIT: web.RequestKey[Visit] = web.RequestKey("visit", Visit)


def visit(request: web.Request) -> Visit:
    """The request's `Visit`."""
    return request[VISIT]


def service(request: web.Request) -> Conversations:
    """The bot's conversation service: its store, flows, catalogue, settings and clock."""
    return request.app[SERVICE]


def now(request: web.Request) -> datetime:
    """The present, from the service's clock (tests move it)."""
    return service(request).clock()


def actor(request: web.Request) -> Actor:
    """The signed-in coordinator as the programme layer sees them."""
    user = visit(request).user
    if user is None:  # the middleware answers signed-out requests before any handler
        raise web.HTTPUnauthorized()
    return Actor.of_user(user, via="web")


async def read(request: web.Request, fn: Callable[[Tx], Awaitable[T]]) -> T:
    """Run `fn` in a read-only transaction."""
    return await service(request).store.run_in_transaction(fn, readonly=True)


async def write(request: web.Request, fn: Callable[[Tx], Awaitable[T]], *, bulk: bool = False) -> T:
    """Run `fn` in a write transaction (re-run whole if the database was busy)."""
    return await service(request).store.run_in_transaction(fn, bulk=bulk)


def redirect(location: str, *, ok: str | None = None, error: str | None = None) -> web.HTTPSeeOther:
    """A 303 to `location`, leaving a one-time note for the next page (a text key or an error)."""
    response = web.HTTPSeeOther(location)
    if ok is not None or error is not None:
        value = f"ok:{ok}" if ok is not None else f"error:{error}"
        response.set_cookie(
            FLASH_COOKIE, quote(value[:300]), httponly=True, samesite="Lax", max_age=60, path="/"
        )
    return response


def read_flash(request: web.Request) -> tuple[str, str] | None:
    """The note left by the previous request, if any."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    kind, _, text = unquote(raw).partition(":")
    return (kind, text) if kind in {"ok", "error"} and text else None


def set_session_cookie(request: web.Request, response: web.StreamResponse, secret: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure when the console is served on https."""
    secure = (service(request).settings.web_url or "").startswith("https://")
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="Lax",
        secure=secure,
        path="/",
        max_age=int(SESSION_IDLE.total_seconds()),
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    """Forget the session cookie in the browser."""
    response.del_cookie(SESSION_COOKIE, path="/")


async def form(request: web.Request) -> dict[str, str]:
    """The posted form as plain strings (one value per field)."""
    data = await request.post()
    return {key: str(value) for key, value in data.items() if isinstance(value, str)}


def int_or_404(value: Any) -> int:
    """A path's numeric id, or 404."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise web.HTTPNotFound() from None


__all__ = [
    "FLASH_COOKIE",
    "SERVICE",
    "SESSION_COOKIE",
    "VISIT",
    "Visit",
    "actor",
    "clear_session_cookie",
    "form",
    "int_or_404",
    "now",
    "read",
    "read_flash",
    "redirect",
    "service",
    "set_session_cookie",
    "visit",
    "write",
]
