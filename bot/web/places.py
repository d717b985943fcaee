"""``/municipalities`` and ``/twinnings``: the places of the programme, kept as data.

Thin over `bot.programme.places`: list, add, rename, confirm or merge a proposed municipality;
list, add and end twinnings. Each change is audited there.
"""

from __future__ import annotations

from aiohttp import web

from bot.programme import directory, places
from bot.programme.actors import ProgrammeError
from bot.storage.tx import Tx
from bot.web.context import actor, form, int_or_404, now, read, redirect, visit, write
from bot.web.render import page


async def municipalities(request: web.Request) -> web.Response:
    """Every municipality with its country, people, twinnings and last activity."""
    country = request.query.get("country") or None
    status = request.query.get("status") or None
    if status not in places.STATUSES:
        status = None
    rows = await read(
        request,
        lambda tx: places.municipalities(tx, actor(request), country=country, status=status),
    )
    return page(
        request,
        "municipalities.html",
        rows=rows,
        countries=places.countries(visit(request).lang),
        filters={"country": country or "", "status": status or ""},
    )


async def add_municipality(request: web.Request) -> web.StreamResponse:
    """Add a municipality (``name``, ``country``, optional ``region``)."""
    data = await form(request)

    async def add(tx: Tx) -> int:
        created = await places.add(
            tx,
            actor(request),
            data.get("name", ""),
            data.get("country", ""),
            now(request),
            region=data.get("region"),
        )
        return created.id

    created_id = await write(request, add)
    return redirect(f"/municipalities/{created_id}", ok="saved")


async def municipality(request: web.Request) -> web.Response:
    """One municipality: its people, rename, confirm, merge."""
    place_id = int_or_404(request.match_info["id"])

    async def load(tx: Tx) -> tuple[object, directory.Page, object]:
        place = await places.get(tx, actor(request), place_id)
        people = await directory.browse(tx, actor(request), municipality_id=place_id, limit=50)
        target = await tx.municipality(place.merged_into_id) if place.merged_into_id else None
        return place, people, target

    try:
        place, people, merged_into = await read(request, load)
    except ProgrammeError:
        raise web.HTTPNotFound() from None
    return page(request, "municipality.html", place=place, people=people, merged_into=merged_into)


async def change_municipality(request: web.Request) -> web.StreamResponse:
    """Rename, confirm or merge one municipality (``action`` says which)."""
    place_id = int_or_404(request.match_info["id"])
    data = await form(request)
    action = data.get("action", "")

    async def change(tx: Tx) -> int:
        who = actor(request)
        if action == "rename":
            await places.rename(tx, who, place_id, data.get("name", ""), now(request))
        elif action == "confirm":
            await places.confirm(tx, who, place_id, now(request))
        elif action == "merge":
            target = await places.find(tx, who, data.get("into", ""))
            await places.merge(tx, who, place_id, target.id, now(request))
            return target.id
        else:
            raise ProgrammeError("unknown action")
        return place_id

    shown = await write(request, change)
    return redirect(f"/municipalities/{shown}", ok="saved")


async def twinnings(request: web.Request) -> web.Response:
    """Every twinning with its check-in rhythm and each side's last check-in."""
    rows = await read(request, lambda tx: places.twinnings(tx, actor(request)))
    return page(request, "twinnings.html", rows=rows, rhythms=places.RHYTHMS)


async def add_twinning(request: web.Request) -> web.StreamResponse:
    """Add a twinning (``north``, ``south`` as municipality names; ``since``, ``checkin``)."""
    data = await form(request)
    since_text = data.get("since", "").strip()
    if since_text and not since_text.isdigit():
        raise ProgrammeError("the first year is a year, like 2019")
    since = int(since_text) if since_text else None
    await write(
        request,
        lambda tx: places.add_twinning(
            tx,
            actor(request),
            data.get("north", ""),
            data.get("south", ""),
            now(request),
            since=since,
            checkin=data.get("checkin") or "quarterly",
        ),
    )
    return redirect("/twinnings", ok="saved")


async def end_twinning(request: web.Request) -> web.StreamResponse:
    """End a running twinning today."""
    twinning_id = int_or_404(request.match_info["id"])
    await write(
        request, lambda tx: places.end_twinning(tx, actor(request), twinning_id, now(request))
    )
    return redirect("/twinnings", ok="saved")


def add_routes(routes: web.RouteTableDef) -> None:
    """Register this module's routes."""
    routes.get("/municipalities")(municipalities)
    routes.post("/municipalities")(add_municipality)
    routes.get(r"/municipalities/{id:\d+}")(municipality)
    routes.post(r"/municipalities/{id:\d+}")(change_municipality)
    routes.get("/twinnings")(twinnings)
    routes.post("/twinnings")(add_twinning)
    routes.post(r"/twinnings/{id:\d+}/end")(end_twinning)


__all__ = ["add_routes"]
