"""The console as an aiohttp application: security headers, sessions, CSRF, the routes.

Every request passes two middlewares. `security` adds the Content-Security-Policy (scripts and
styles only from the console itself, no inline script, no framing) and friends. `signed_in`
finds the session behind the cookie: without one, every page answers the short "sign in
through the bot" page and no data; every POST must carry the session's CSRF token (hidden
field ``csrf_token``, or the ``X-CSRF-Token`` header htmx sends), or it is refused with 403
and changes nothing. A `ProgrammeError` from a form becomes a note on the page it came from.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from yarl import URL

from bot.programme import console
from bot.programme.actors import NotAllowed, ProgrammeError
from bot.web import (
    audit,
    broadcasts,
    deadlines,
    flows,
    outbox,
    overview,
    people,
    places,
    signin,
)
from bot.web.context import (
    SERVICE,
    SESSION_COOKIE,
    VISIT,
    Visit,
    clear_session_cookie,
    now,
    read,
    read_flash,
    redirect,
    service,
    write,
)
from bot.web.render import page
from bot.web.texts import preferred_language

if TYPE_CHECKING:
    from bot.conversation.conversations import Conversations

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
PUBLIC_PREFIXES = ("/static/", "/login/")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
SECTIONS = (
    "municipalities",
    "twinnings",
    "people",
    "broadcasts",
    "deadlines",
    "flows",
    "outbox",
    "audit",
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def security(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every answer, errors included; the server's time spent on it."""
    started = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    # Browsers' developer tools and bench/web.py read it: time in the console, not the network.
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Forms come back to their page after an error (the Referer, sent on this site only).
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    if isinstance(response, web.HTTPException) and response.status >= 300:
        raise response
    return response


@web.middleware
async def signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach the `Visit`; answer signed-out visitors and POSTs without a valid CSRF token."""
    settings = service(request).settings
    lang = preferred_language(request.headers.get("Accept-Language"), settings.default_language)
    current = Visit(lang=lang, flash=read_flash(request))
    request[VISIT] = current
    if request.path.startswith(PUBLIC_PREFIXES):
        return await handler(request)
    secret = request.cookies.get(SESSION_COOKIE)
    found = await read(request, lambda tx: console.find_session(tx, secret, now(request)))
    if found is not None and (found.demoted or found.stale(now(request))):
        kept = found
        await write(request, lambda tx: console.keep_session(tx, kept, now(request)))
    if found is None or found.demoted:
        response = page(request, "signin.html", status=401 if request.method == "GET" else 403)
        if secret:
            clear_session_cookie(response)
        return response
    current.session, current.user = found.session, found.user
    current.secret = secret
    current.lang = current.session.language or current.user.language or lang
    if request.method == "POST":
        data = await request.post()
        sent = str(data.get("csrf_token") or request.headers.get("X-CSRF-Token") or "")
        if not hmac.compare_digest(sent.encode(), current.csrf.encode()):
            return page(request, "refused.html", status=403)
    try:
        return await handler(request)
    except NotAllowed:
        return page(request, "refused.html", status=403)
    except (ProgrammeError, ValueError) as exc:
        if request.method != "POST":
            raise
        raise redirect(came_from(request), error=str(exc)) from None


def came_from(request: web.Request) -> str:
    """The page a form was posted from: the Referer on this site, else its section's page."""
    referer = URL(request.headers.get("Referer", ""))
    if referer.path.startswith("/") and (not referer.host or referer.host == request.url.host):
        return referer.path_qs
    section = request.path.strip("/").split("/")[0]
    return f"/{section}" if section in SECTIONS else "/"


def make_app(conversations: Conversations) -> web.Application:
    """The console's application over the bot's conversation service (same store, same flows)."""
    app = web.Application(middlewares=[security, signed_in], client_max_size=256 * 1024)
    app[SERVICE] = conversations
    routes = web.RouteTableDef()
    for module in (signin, overview, people, places, broadcasts, deadlines, outbox, audit, flows):
        module.add_routes(routes)
    app.add_routes(routes)
    app.router.add_static("/static/", STATIC, append_version=True)
    app.on_startup.append(flows.warm_up)
    app.on_cleanup.append(flows.stop_warming)
    return app


async def start(conversations: Conversations, host: str, port: int) -> web.AppRunner:
    """Serve the console on the running event loop; stop it with ``await runner.cleanup()``."""
    runner = web.AppRunner(make_app(conversations), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("web console on http://%s:%s", host, port)
    return runner


__all__ = ["make_app", "start"]
