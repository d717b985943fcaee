"""``/outbox``: every message the bot sent on its own, to whom, and how it went.

Messages between the two sides of a twinning (the check-in mirror, the Week's invitation),
notices about a decision, reminders, nudges and broadcasts: the delivery records of
`bot.programme.outbox`, filtered by kind and status.
"""

from __future__ import annotations

from aiohttp import web

from bot.programme.outbox import KINDS, deliveries
from bot.storage.models import OUTBOX_STATUSES
from bot.web.context import actor, read
from bot.web.render import page

LIMIT = 200


async def listing(request: web.Request) -> web.Response:
    """The latest outbox rows, optionally of one kind and one status."""
    kind = request.query.get("kind", "").strip()
    status = request.query.get("status", "").strip()
    kind_or_none = kind if kind in KINDS else None
    status_or_none = status if status in OUTBOX_STATUSES else None
    rows = await read(
        request,
        lambda tx: deliveries(
            tx, actor(request), kind=kind_or_none, status=status_or_none, limit=LIMIT
        ),
    )
    return page(
        request,
        "outbox.html",
        rows=list(reversed(rows)),
        kinds=KINDS,
        statuses=OUTBOX_STATUSES,
        chosen_kind=kind_or_none or "",
        chosen_status=status_or_none or "",
        limit=LIMIT,
    )


def add_routes(routes: web.RouteTableDef) -> None:
    """Register this module's routes."""
    routes.get("/outbox")(listing)


__all__ = ["add_routes"]
