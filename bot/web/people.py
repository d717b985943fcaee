"""``/people``: who uses the bot, their role; coordinator requests approved or refused here.

Promotions go through `bot.programme.roles` (a coordinator makes coordinators, only an admin
makes or unmakes admins), audited as done ``via`` the web.
"""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from bot.programme import directory, roles
from bot.programme.actors import ProgrammeError
from bot.scheduling.runner import wake
from bot.storage.models import ROLES
from bot.storage.tx import Tx
from bot.web.context import actor, form, int_or_404, now, read, redirect, service, write
from bot.web.render import page

VIA = "web"


async def listing(request: web.Request) -> web.Response:
    """The list of people, filtered and paged."""
    query = request.query
    search = query.get("q", "")
    role = query.get("role") if query.get("role") in ROLES else None
    requests_only = query.get("requests") == "1"
    try:
        offset = max(int(query.get("offset", "0")), 0)
    except ValueError:
        offset = 0
    found = await read(
        request,
        lambda tx: directory.browse(
            tx, actor(request), search=search, role=role, requests_only=requests_only, offset=offset
        ),
    )
    filters = {"q": search, "role": role or "", "requests": "1" if requests_only else ""}
    next_link = "/people?" + urlencode({**filters, "offset": offset + directory.PAGE_SIZE})
    return page(
        request, "people.html", found=found, filters=filters, roles=ROLES, next_link=next_link
    )


def _back(request: web.Request, data: dict[str, str]) -> str:
    back = data.get("back", "/people")
    return back if back.startswith("/people") else "/people"


async def change_role(request: web.Request) -> web.StreamResponse:
    """Promote or demote one person."""
    user_id = int_or_404(request.match_info["id"])
    data = await form(request)
    role = data.get("role", "")
    if role not in ROLES:
        raise ProgrammeError(f"the role is one of {', '.join(ROLES)}")

    async def change(tx: Tx) -> None:
        who = await directory.person(tx, actor(request), user_id)
        await roles.change_role(tx, actor(request), who, role, via=VIA)

    await write(request, change)
    return redirect(_back(request, data), ok="saved")


async def decide(request: web.Request) -> web.StreamResponse:
    """Approve or refuse a waiting coordinator request."""
    user_id = int_or_404(request.match_info["id"])
    decision = request.match_info["decision"]
    data = await form(request)

    messages = service(request).catalogue.messages

    async def apply(tx: Tx) -> roles.Decision:
        who = await directory.person(tx, actor(request), user_id)
        if who.requested_role is None or who.requested_role == who.role:
            raise ProgrammeError(f"{who.name or who.key} has no request waiting any more")
        decide = roles.approve if decision == "approve" else roles.refuse
        return await decide(tx, actor(request), who, via=VIA, messages=messages, now=now(request))

    if (await write(request, apply)).told:
        wake()  # the person is told through the outbox: send it now
    return redirect(_back(request, data), ok="approved" if decision == "approve" else "refused_ok")


def add_routes(routes: web.RouteTableDef) -> None:
    """Register this module's routes."""
    routes.get("/people")(listing)
    routes.post("/people/{id}/role")(change_role)
    routes.post(r"/people/{id}/{decision:approve|refuse}")(decide)


__all__ = ["add_routes"]
