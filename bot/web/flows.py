"""``/flows``: validation status, languages, a diagram; ``/flows/<id>/simulate`` to try one.

The simulator talks through a flow in the browser, in any of its languages.

The simulator is a channel of its own ("sandbox"): each coordinator gets one sandbox person
per flow, handled by the same conversation service as Telegram, so what it shows is what
people get. Sandbox people and their runs never count: exports, the report, statistics,
audiences and deadlines leave the "sandbox" channel out. Starting again erases the sandbox
person and their runs.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.flow.definition import Flow
from bot.flow.events import (
    AnswerRejected,
    ConfirmationRequested,
    MessageCreated,
    QuestionAsked,
    RunCancelled,
    RunCompleted,
    RunExpired,
    SelectionChanged,
    StaleInputIgnored,
)
from bot.flow.glossary import glossary_issues
from bot.flow.graph import mermaid
from bot.flow.state import BackInput, OptionInput, SubmitInput, TextInput
from bot.flow.translations import stale_translations
from bot.i18n import html_to_plain
from bot.messages import ConversationKey, Incoming, MenuOffered, Notice, Reply, Tap
from bot.programme.privacy import forget_user
from bot.storage.models import SANDBOX_CHANNEL
from bot.storage.tx import Tx
from bot.web import diagram
from bot.web.context import actor, form, service, visit, write
from bot.web.render import page

_checked: dict[tuple[str, str], list[str]] = {}
_background: set[asyncio.Task[None]] = set()
MAX_ANSWER = 2000


def _check(flow: Flow, glossary: Any) -> list[str]:
    return [str(issue) for issue in (*stale_translations(flow), *glossary_issues(flow, glossary))]


async def _problems(request: web.Request, flow: Flow) -> list[str]:
    """The flow's translation and glossary problems, checked once per flow version.

    The check reads lock files and compares every text: seconds of CPU for all flows, so it
    runs in a thread (the bot's event loop keeps answering) and once (`warm_up` at start).
    """
    key = (flow.id, flow.version)
    if key not in _checked:
        glossary = service(request).catalogue.glossary
        _checked[key] = await asyncio.to_thread(_check, flow, glossary)
    return _checked[key]


async def warm_up(app: web.Application) -> None:
    """Check every flow in the background as the console starts."""
    from bot.web.context import SERVICE

    conversations = app[SERVICE]

    async def check_all() -> None:
        for flow in list(conversations.flows.flows.values()):
            key = (flow.id, flow.version)
            if key not in _checked:
                _checked[key] = await asyncio.to_thread(
                    _check, flow, conversations.catalogue.glossary
                )

    task = asyncio.create_task(check_all())
    _background.add(task)
    task.add_done_callback(_background.discard)


async def warmed_up() -> None:
    """Wait until the check started by `warm_up` is done (the benchmark waits for it)."""
    await asyncio.gather(*_background, return_exceptions=True)


async def stop_warming(app: web.Application) -> None:
    """Stop the background check when the console stops."""
    for task in list(_background):
        task.cancel()
    await asyncio.gather(*_background, return_exceptions=True)


def _flow(request: web.Request) -> Flow:
    found = service(request).flows.get(request.match_info["id"])
    if found is None:
        raise web.HTTPNotFound()
    return found


async def listing(request: web.Request) -> web.Response:
    """Every flow served, with its languages and problems, and the flows not served."""
    actor(request).require("coordinator")
    library = service(request).flows
    flows = [(flow, await _problems(request, flow)) for flow in library.flows.values()]
    return page(
        request, "flows.html", flows=flows, not_served=[str(issue) for issue in library.issues]
    )


async def detail(request: web.Request) -> web.Response:
    """One flow drawn as a diagram."""
    actor(request).require("coordinator")
    flow = _flow(request)
    lang = visit(request).lang
    text = mermaid(flow, lang if lang in flow.languages else None)
    return page(
        request,
        "flow.html",
        flow=flow,
        nodes=diagram.parse(text),
        mermaid=text,
        problems=await _problems(request, flow),
    )


def _key(request: web.Request, flow: Flow) -> ConversationKey:
    user = visit(request).user
    assert user is not None  # signed in: the middleware saw to it
    return ConversationKey(SANDBOX_CHANNEL, f"{user.id}-{flow.id}"[:64])


def _said(events: list[Any]) -> list[dict[str, Any]]:
    """The bot's side of a turn, as the template shows it (plain text, escaped there)."""
    shown: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, QuestionAsked):
            shown.append(
                {
                    "kind": "question",
                    "text": html_to_plain(event.text),
                    "step": event.step_id,
                    "question_kind": event.kind,
                    "hint": html_to_plain(event.hint),
                    "seq": event.seq,
                    "options": [(o.id, html_to_plain(o.label)) for o in event.options],
                    "multiple": event.multiple,
                    "selected": event.selected,
                    "done_label": html_to_plain(event.done_label or "✔"),
                    "back": event.can_go_back,
                }
            )
        elif isinstance(event, ConfirmationRequested):
            shown.append(
                {
                    "kind": "confirm",
                    "text": html_to_plain(event.text),
                    "yes": event.yes_label,
                    "no": event.no_label,
                }
            )
        elif isinstance(event, AnswerRejected):
            shown.append({"kind": "rejected", "text": html_to_plain(event.reason)})
        elif isinstance(event, SelectionChanged):
            shown.append({"kind": "note", "text": "✔ " + ", ".join(event.selected)})
        elif isinstance(event, RunCompleted | RunCancelled | RunExpired):
            shown.append({"kind": "end", "text": html_to_plain(event.text)})
        elif isinstance(event, MenuOffered):
            shown.append({"kind": "note", "text": html_to_plain(event.text)})
        elif isinstance(event, MessageCreated | Notice | StaleInputIgnored):
            shown.append({"kind": "message", "text": html_to_plain(event.text)})
    return shown


async def simulate_page(request: web.Request) -> web.Response:
    """The simulator's start page: choose a language and start."""
    actor(request).require("coordinator")
    flow = _flow(request)
    lang = request.query.get("lang") or visit(request).lang
    return page(
        request,
        "simulate.html",
        flow=flow,
        said=[],
        typed=None,
        started=False,
        chosen=lang if lang in flow.languages else flow.languages[0],
        finished=False,
    )


async def _restart(request: web.Request, flow: Flow, lang: str) -> None:
    """Erase the coordinator's sandbox person of this flow and make a fresh one."""
    key = _key(request, flow)
    coordinator = visit(request).user
    assert coordinator is not None

    async def fresh(tx: Tx) -> None:
        old = await tx.get_user(key.channel, key.external_id)
        if old is not None:
            await forget_user(tx, old)
        user = await tx.get_or_create_user(key.channel, key.external_id)
        await tx.update_user(
            user,
            name=f"Sandbox ({coordinator.name or coordinator.key})"[:200],
            language=lang,
            kind=coordinator.kind or "municipal_staff",
            country=coordinator.country,
            timezone=coordinator.timezone,
        )

    await write(request, fresh)


async def simulate(request: web.Request) -> web.Response:
    """One turn of the sandbox conversation: start, an answer, a tapped option, back."""
    actor(request).require("coordinator")
    flow = _flow(request)
    data = await form(request)
    action = data.get("action", "answer")
    lang = data.get("lang", "")
    lang = lang if lang in flow.languages else flow.languages[0]
    typed: str | None = None
    payload: Any
    if action == "start":
        await _restart(request, flow, lang)
        payload = Tap(f"f:{flow.id}")
    elif action == "option" and data.get("seq", "").isdigit():
        payload = OptionInput(int(data["seq"]), data.get("option", ""))
        typed = data.get("label") or data.get("option")
    elif action == "submit" and data.get("seq", "").isdigit():
        payload = SubmitInput(int(data["seq"]))
        typed = "✔"
    elif action == "back":
        payload = BackInput()
        typed = "←"
    else:
        typed = data.get("text", "").strip()[:MAX_ANSWER]
        payload = TextInput(typed)
    reply: Reply = await service(request).handle(
        Incoming(_key(request, flow), payload, language_code=lang)
    )
    said = _said(reply.events)
    finished = any(item["kind"] == "end" for item in said)
    return page(
        request,
        "simulate.html",
        flow=flow,
        said=said,
        typed=typed,
        started=True,
        chosen=lang,
        finished=finished,
    )


def add_routes(routes: web.RouteTableDef) -> None:
    """Register this module's routes."""
    routes.get("/flows")(listing)
    routes.get(r"/flows/{id:[\w-]+}")(detail)
    routes.get(r"/flows/{id:[\w-]+}/simulate")(simulate_page)
    routes.post(r"/flows/{id:[\w-]+}/simulate")(simulate)


__all__ = ["add_routes", "stop_warming", "warm_up", "warmed_up"]
