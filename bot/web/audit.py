"""``/audit``: who did what, when (`bot.programme.records.audit_log`), newest first."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from aiohttp import web

from bot.programme import records
from bot.web.context import actor, read
from bot.web.render import page

LIMIT = 200


def _since(text: str) -> datetime | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def listing(request: web.Request) -> web.Response:
    """The latest audit entries, optionally of one action or since a day."""
    action = request.query.get("action", "").strip()[:64] or None
    since_text = request.query.get("since", "").strip()
    since = _since(since_text)
    lines = await read(
        request,
        lambda tx: records.audit_log(tx, actor(request), since=since, action=action, limit=LIMIT),
    )
    shown = [
        (line, json.dumps(line.details, ensure_ascii=False, sort_keys=True)[:500]) for line in lines
    ]
    return page(
        request,
        "audit.html",
        lines=shown,
        action=action or "",
        since=since_text if since else "",
        limit=LIMIT,
    )


def add_routes(routes: web.RouteTableDef) -> None:
    """Register this module's routes."""
    routes.get("/audit")(listing)


__all__ = ["add_routes"]
