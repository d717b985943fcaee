"""``/``: the programme this month (`bot.programme.overview`)."""

from __future__ import annotations

from aiohttp import web

from bot.programme.overview import overview
from bot.web.context import actor, now, read, service, visit
from bot.web.render import page


async def show(request: web.Request) -> web.Response:
    """The overview page."""
    data = await read(request, lambda tx: overview(tx, actor(request), now(request)))
    lang = visit(request).lang
    titles = {
        flow_id: flow.title.source.get(lang)
        for flow_id, flow in service(request).flows.flows.items()
    }
    return page(request, "overview.html", data=data, flow_titles=titles)


def add_routes(routes: web.RouteTableDef) -> None:
    """Register this module's routes."""
    routes.get("/")(show)


__all__ = ["add_routes"]
