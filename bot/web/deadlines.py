"""``/deadlines``: the calendar with who is done and pending; add, edit, remove, remind, .ics.

Reminding goes only to those still pending, today (quiet hours respected).

Thin over `bot.programme.deadlines` (keeping the calendar, reminding: role-checked, audited)
and `bot.programme.board` (done and pending per deadline).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.i18n import LANGUAGES
from bot.programme import board, deadlines
from bot.programme.actors import ProgrammeError
from bot.scheduling.deadlines import EVERY, parse
from bot.scheduling.ics import calendar
from bot.storage.tx import Tx
from bot.web.context import actor, form, now, read, redirect, service, visit, write
from bot.web.render import page

ICS_MONTHS = 18


def spec_from_form(data: dict[str, str], deadline_id: str) -> dict[str, Any]:
    """A deadline definition from the form's fields (checked by `parse`).

    Raises:
        ProgrammeError: offsets or hour that are not numbers.
    """
    try:
        offsets = [int(part) for part in data.get("offsets", "30,7,1").split(",") if part.strip()]
        hour = int(data.get("hour") or 9)
    except ValueError:
        raise ProgrammeError("reminders are whole numbers of days, e.g. 30,7,1") from None
    title = {
        lang: data[f"title_{lang}"].strip()
        for lang in LANGUAGES
        if data.get(f"title_{lang}", "").strip()
    }
    spec: dict[str, Any] = {
        "id": deadline_id,
        "title": title,
        "every": data.get("every") or "once",
        "offsets": offsets,
        "hour": hour,
        "audience": data.get("audience", "").split() or ["all"],
        "timezone": "Europe/Brussels",
    }
    for name in ("due", "until", "flow"):
        if data.get(name, "").strip():
            spec[name] = data[name].strip()
    return spec


def _checked(spec: dict[str, Any]) -> Any:
    deadline, problems = parse(spec)
    if deadline is None:
        raise ProgrammeError("; ".join(message for _, message in problems))
    return deadline


async def listing(request: web.Request) -> web.Response:
    """Every deadline with its next due date and who is done or pending."""
    present = now(request)
    rows = await read(request, lambda tx: board.board(tx, actor(request), present.date(), present))
    return page(
        request,
        "deadlines.html",
        rows=rows,
        every=EVERY,
        languages=LANGUAGES,
        values={},
        flows=sorted(service(request).flows.flows),
    )


async def add(request: web.Request) -> web.StreamResponse:
    """Add a deadline."""
    data = await form(request)
    deadline = _checked(spec_from_form(data, data.get("id", "").strip()))
    await write(request, lambda tx: deadlines.save(tx, actor(request), deadline, now(request)))
    return redirect(f"/deadlines/{deadline.id}", ok="saved")


async def detail(request: web.Request) -> web.Response:
    """One deadline: its standing, the edit form."""
    deadline_id = request.match_info["id"]
    present = now(request)
    rows = await read(
        request,
        lambda tx: board.board(tx, actor(request), present.date(), present, only=deadline_id),
    )
    if not rows or rows[0].listed.deadline is None:
        raise web.HTTPNotFound()
    found = rows[0].listed.deadline
    values = {f"title_{lang}": text for lang, text in found.title.texts.items()}
    if found.title.neutral:
        values["title_en"] = found.title.neutral
    values.update(
        {
            "due": found.due.isoformat() if found.due else "",
            "until": found.until.isoformat() if found.until else "",
            "every": found.every,
            "offsets": ",".join(str(o) for o in found.offsets),
            "hour": str(found.hour),
            "audience": " ".join(str(t) for t in found.audience),
            "flow": found.flow or "",
        }
    )
    return page(
        request,
        "deadline.html",
        row=rows[0],
        every=EVERY,
        languages=LANGUAGES,
        values=values,
        flows=sorted(service(request).flows.flows),
    )


async def change(request: web.Request) -> web.StreamResponse:
    """Edit, remove or remind (``action``)."""
    deadline_id = request.match_info["id"]
    data = await form(request)
    action = data.get("action", "")
    present = now(request)
    if action == "edit":
        deadline = _checked(spec_from_form(data, deadline_id))
        await write(
            request, lambda tx: deadlines.save(tx, actor(request), deadline, present, replace=True)
        )
        return redirect(f"/deadlines/{deadline_id}", ok="saved")
    if action == "remove":
        await write(request, lambda tx: deadlines.remove(tx, actor(request), deadline_id, present))
        return redirect("/deadlines", ok="deadline_removed")
    if action == "remind":
        settings = service(request).settings

        async def remind(tx: Tx) -> int:
            deadline, chosen = await deadlines.find_occurrences(
                tx, actor(request), deadline_id, None, present.date()
            )
            total = 0
            for occurrence in chosen:
                total += await deadlines.remind(
                    tx,
                    actor(request),
                    deadline,
                    occurrence,
                    present,
                    service(request).catalogue,
                    settings.quiet_hours,
                )
            return total

        count = await write(request, remind)
        return redirect(
            f"/deadlines/{deadline_id}", ok="reminded_none" if count == 0 else "reminded"
        )
    raise ProgrammeError("unknown action")


async def ics(request: web.Request) -> web.Response:
    """The calendar of every deadline in the coming months, as an .ics file."""
    present = now(request)
    actor(request).require("coordinator")
    found = await read(
        request, lambda tx: deadlines.all_occurrences(tx, present.date(), ICS_MONTHS)
    )
    body = calendar(found, visit(request).lang, present)
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="sdg-deadlines.ics"'},
    )


def add_routes(routes: web.RouteTableDef) -> None:
    """Register this module's routes."""
    routes.get("/deadlines")(listing)
    routes.post("/deadlines")(add)
    routes.get("/deadlines.ics")(ics)
    routes.get(r"/deadlines/{id:[a-z0-9][a-z0-9_-]{0,23}}")(detail)
    routes.post(r"/deadlines/{id:[a-z0-9][a-z0-9_-]{0,23}}")(change)


__all__ = ["add_routes"]
