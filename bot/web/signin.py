"""Signing in with a one-time link, signing out, and the console's language.

``GET /login/<token>`` does not use the link: it shows a "Sign in" button. Telegram (and mail
scanners) open links to build previews; a link used on GET would be spent before the person
tapped it. The button posts the token with a CSRF value that was set as a cookie on the GET
(double submit), since there is no session yet to hold one.
"""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

from bot.i18n import LANGUAGES
from bot.programme import console
from bot.web.context import (
    clear_session_cookie,
    form,
    now,
    redirect,
    set_session_cookie,
    visit,
    write,
)
from bot.web.render import page

LOGIN_CSRF_COOKIE = "sdgbot_login"


async def login_page(request: web.Request) -> web.Response:
    """The page behind a sign-in link: one button."""
    value = secrets.token_urlsafe(24)
    visit(request).session = None
    response = page(request, "login.html", login_csrf=value, token=request.match_info["token"])
    response.set_cookie(
        LOGIN_CSRF_COOKIE, value, httponly=True, samesite="Strict", path="/login/", max_age=900
    )
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """Use the link: a new session, or the page saying the link cannot be used."""
    data = await form(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(
        data.get("csrf_token", "").encode(), expected.encode()
    ):
        return page(request, "refused.html", status=403)
    token = request.match_info["token"]
    signed = await write(request, lambda tx: console.sign_in(tx, token, now(request)))
    if signed is None:
        return page(request, "link_refused.html", status=403)
    response = web.HTTPSeeOther("/")
    set_session_cookie(request, response, signed.secret)
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login/")
    return response


async def logout(request: web.Request) -> web.Response:
    """Sign out: the session ends here and in the database."""
    current = visit(request)
    secret = current.secret or ""
    await write(request, lambda tx: console.sign_out(tx, secret))
    current.user, current.session = None, None
    response = page(request, "signin.html", signed_out=True)
    clear_session_cookie(response)
    return response


async def language(request: web.Request) -> web.StreamResponse:
    """Switch the console's language for this session."""
    data = await form(request)
    chosen = data.get("lang", "")
    current = visit(request)
    if chosen in LANGUAGES and current.session is not None:
        id_hash = current.session.id_hash
        await write(request, lambda tx: tx.set_web_session_language(id_hash, chosen))
    back = data.get("back", "/")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "/")


def add_routes(routes: web.RouteTableDef) -> None:
    """Register this module's routes."""
    routes.get("/login/{token}")(login_page)
    routes.post("/login/{token}")(login)
    routes.post("/logout")(logout)
    routes.post("/language")(language)


__all__ = ["add_routes"]
