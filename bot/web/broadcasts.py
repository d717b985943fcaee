"""``/broadcasts``: compose, preview, schedule, cancel; each recipient's delivery.

The form takes texts per language, an audience with a live count of who it reaches, a time and
an "urgent" box; the preview says when it will actually reach people (quiet hours).

Thin over `bot.programme.broadcasts` (create, status, retry, cancel: role-checked and audited)
and `bot.programme.outreach` (texts from the form, arrival preview, deliveries).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.i18n import LANGUAGES
from bot.programme import broadcasts, outreach
from bot.programme.actors import ProgrammeError
from bot.scheduling.audience import describe, parse_audience
from bot.storage.tx import Tx
from bot.web.context import actor, form, int_or_404, now, read, redirect, service, write
from bot.web.render import DISPLAY_ZONE, fragment, page


def _when(text: str, present: datetime) -> datetime:
    """The ``at`` field: an ISO time (Brussels time when it names no zone), or now if empty.

    Raises:
        ValueError: not a time, or one in the past.
    """
    text = text.strip()
    if not text:
        return present
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a time like 2027-03-10T14:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=DISPLAY_ZONE)
    moment = moment.astimezone(UTC)
    if moment < present.replace(second=0, microsecond=0):
        raise ValueError("that time has passed")
    return moment


async def listing(request: web.Request) -> web.Response:
    """The compose form and the latest broadcasts."""
    found = await read(request, lambda tx: outreach.recent(tx, actor(request)))
    return page(
        request,
        "broadcasts.html",
        items=found,
        summary=broadcasts.summary,
        describe=_audience_text,
        values={},
        languages=LANGUAGES,
    )


def _audience_text(audience: list[str]) -> str:
    return describe(parse_audience(audience)) or "all"


async def count(request: web.Request) -> web.Response:
    """How many people an audience reaches (the compose form asks as it is typed)."""
    raw = request.query.get("audience", "")
    try:
        terms = parse_audience([raw])
    except ValueError as exc:
        return fragment(request, "audience_count.html", count=None, problem=str(exc))
    number = await read(request, lambda tx: outreach.reach(tx, actor(request), terms))
    return fragment(request, "audience_count.html", count=number, problem=None)


async def compose(request: web.Request) -> web.StreamResponse:
    """Preview (``step=preview``) or schedule a broadcast."""
    data = await form(request)
    present = now(request)
    texts = outreach.texts_from_form(data)
    audience = data.get("audience", "").strip()
    terms = parse_audience([audience])
    at = _when(data.get("at", ""), present)
    urgent = data.get("urgent") == "1"
    settings = service(request).settings
    if data.get("step") == "preview":
        arrival = await read(
            request,
            lambda tx: outreach.arrival(
                tx,
                actor(request),
                terms,
                texts,
                at,
                catalogue=service(request).catalogue,
                quiet=settings.quiet_hours,
                ignore_quiet=urgent,
                default_language=settings.default_language,
            ),
        )
        return page(
            request,
            "broadcast_preview.html",
            values=data,
            texts=texts,
            arrival=arrival,
            at=at,
            urgent=urgent,
            audience=describe(terms) or "all",
            languages=LANGUAGES,
        )
    planned = await broadcasts.create(
        service(request).store,
        actor(request),
        texts=texts,
        audience=[audience],
        at=at,
        now=present,
        ignore_quiet=urgent,
    )
    return redirect(f"/broadcasts/{planned.broadcast_id}", ok="broadcast_scheduled")


async def detail(request: web.Request) -> web.Response:
    """One broadcast: its texts, counts and each recipient's delivery."""
    broadcast_id = int_or_404(request.match_info["id"])
    status = request.query.get("status") or None
    try:
        found, rows = await read(
            request, lambda tx: outreach.deliveries(tx, actor(request), broadcast_id, status=status)
        )
    except ProgrammeError:
        raise web.HTTPNotFound() from None
    counts = await read(request, lambda tx: tx.broadcast_counts(broadcast_id))
    context: dict[str, Any] = {
        "item": found,
        "rows": rows,
        "counts": counts,
        "summary": broadcasts.summary(counts),
        "chosen": status or "",
        "audience": _audience_text(found.audience),
        "statuses": outreach.DELIVERY_STATUSES,
    }
    if request.headers.get("HX-Request") == "true":
        return fragment(request, "deliveries.html", **context)
    return page(request, "broadcast.html", **context)


async def retry(request: web.Request) -> web.StreamResponse:
    """Queue the failed messages of a broadcast again."""
    broadcast_id = int_or_404(request.match_info["id"])

    async def again(tx: Tx) -> int:
        await outreach.deliveries(tx, actor(request), broadcast_id, status="failed")
        return await broadcasts.retry(tx, actor(request), broadcast_id, now(request))

    await write(request, again)
    return redirect(f"/broadcasts/{broadcast_id}", ok="broadcast_retried")


async def cancel(request: web.Request) -> web.StreamResponse:
    """Cancel a broadcast: what has not gone out will not."""
    broadcast_id = int_or_404(request.match_info["id"])
    await write(request, lambda tx: broadcasts.cancel(tx, actor(request), broadcast_id))
    return redirect(f"/broadcasts/{broadcast_id}", ok="broadcast_cancelled")


def add_routes(routes: web.RouteTableDef) -> None:
    """Register this module's routes."""
    routes.get("/broadcasts")(listing)
    routes.post("/broadcasts")(compose)
    routes.get("/broadcasts/count")(count)
    routes.get(r"/broadcasts/{id:\d+}")(detail)
    routes.post(r"/broadcasts/{id:\d+}/retry")(retry)
    routes.post(r"/broadcasts/{id:\d+}/cancel")(cancel)


__all__ = ["add_routes"]
