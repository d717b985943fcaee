"""The coordinators' chat commands: `/export`, `/stats`, `/requests` with Approve / Refuse.

Thin over `bot.programme`: the use cases check roles and write the audit log; this module turns
a tap into a call and the result into a message in the coordinator's language. A command above
the user's role is refused politely and does nothing (`require_role`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.conversation.commands import FLOW_COMMANDS
from bot.conversation.turn import Handler, Turn
from bot.flow.events import Option
from bot.formatting import format_date
from bot.i18n import escape
from bot.messages import FileOffered, MenuOffered, Notice
from bot.programme import roles
from bot.programme.actors import Actor, NotAllowed, has_role
from bot.programme.exports import export_xlsx
from bot.programme.stats import quarter_stats
from bot.storage.models import User

STATS_MAX_LINES = 40
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VIA = "bot"


def actor_of(turn: Turn) -> Actor:
    """The turn's user as the programme layer sees them."""
    return Actor.of_user(turn.user)


async def require_role(turn: Turn, role: str = "coordinator") -> bool:
    """Check the turn's user has `role`; if not, say so politely (and nothing else happens).

    A user listed in ``SDGBOT_COORDINATORS`` who lacks the role gets it first.

    Returns:
        True when the command may go ahead.
    """
    await roles.ensure_seeded_role(turn.tx, turn.user, turn.service.settings.coordinators)
    if has_role(turn.user, role):
        return True
    turn.say("not_allowed")
    return False


# --- /export -------------------------------------------------------------------------------------


async def export_menu(turn: Turn) -> None:
    """Offer the questionnaires to export (coordinators; files are not sent in lite mode)."""
    if not await require_role(turn):
        return
    if turn.user.lite:
        turn.say("export_lite")
        return
    options = []
    for name, flow_id in FLOW_COMMANDS.items():
        flow = turn.service.flows.get(flow_id)
        if flow is not None:
            options.append(Option(f"c:export_{name}", flow.title.source.get(turn.lang)))
    turn.reply.events.append(MenuOffered(turn.msg("export_menu"), tuple(options)))


async def export_flow(turn: Turn, flow_id: str) -> None:
    """Send the XLSX export of one flow to a coordinator, in their language (audited)."""
    if not await require_role(turn):
        return
    if turn.user.lite:
        turn.say("export_lite")
        return
    flow = turn.service.flows.get(flow_id)
    if flow is None:
        turn.say("feature_coming")
        return
    content, count = await export_xlsx(
        turn.tx, actor_of(turn), flow, turn.service.catalogue, turn.lang, via=VIA
    )
    title = flow.title.source.get(turn.lang)
    if count == 0:
        turn.say("export_empty", flow=title)
        return
    name = f"sdgbot-{flow_id}-{turn.now.date().isoformat()}.xlsx"
    turn.reply.events.append(
        FileOffered(name, content, turn.msg("export_caption", flow=title, count=count), XLSX_MIME)
    )


def export_commands() -> dict[str, Handler]:
    """``/export_<name>`` for each flow with a command: its XLSX export."""

    def handler_for(flow_id: str) -> Handler:
        async def handler(turn: Turn) -> None:
            await export_flow(turn, flow_id)

        handler.__doc__ = f"The XLSX export of {flow_id}."
        return handler

    return {f"export_{name}": handler_for(flow_id) for name, flow_id in FLOW_COMMANDS.items()}


# --- /stats --------------------------------------------------------------------------------------


async def stats(turn: Turn) -> None:
    """A short overview for coordinators: who answered what this quarter, by country and place."""
    if not await require_role(turn):
        return
    lang = turn.lang
    found = await quarter_stats(turn.tx, actor_of(turn), turn.now, turn.user.timezone)
    lines = [
        turn.msg("stats_header", period=found.period, since=format_date(found.start, turn.lang)),
        turn.msg(
            "stats_totals",
            people=found.people,
            completed=found.completed,
            active=found.active,
            newcomers=found.newcomers,
        ),
    ]
    if not found.places:
        lines.append(turn.msg("stats_nothing"))
    current_country = None
    for shown, key in enumerate(sorted(found.places)):
        if shown == STATS_MAX_LINES:
            lines.append(turn.msg("stats_more", count=len(found.places) - shown))
            break
        place = found.places[key]
        if place.country != current_country:
            known = turn.service.catalogue.country(place.country)
            name = known.names.get(lang) if known else place.country or "—"
            lines.append(f"\n<b>{escape(name)}</b>")
            current_country = place.country
        lines.append(_place_line(turn, place.name, place.flows, place.people.values()))
    if found.requests_waiting:
        lines.append("\n" + turn.msg("stats_requests", count=found.requests_waiting))
    lines.append("\n" + turn.msg("stats_footer"))
    turn.reply.events.append(Notice("\n".join(lines)))


def _place_line(
    turn: Turn, place: str, flows: Mapping[str, list[int]], names: Iterable[str]
) -> str:
    parts = []
    for flow_id, (done, open_) in sorted(flows.items()):
        flow = turn.service.flows.get(flow_id)
        title = flow.title.source.get(turn.lang) if flow else flow_id
        marks = (f"✅{done}" if done else "", f"⏳{open_}" if open_ else "")
        counts = " ".join(mark for mark in marks if mark)
        parts.append(f"{escape(title)} {counts}")
    who = sorted(set(names))
    shown = ", ".join(escape(n) for n in who[:3]) + (f" +{len(who) - 3}" if len(who) > 3 else "")
    return f"• {escape(place)}: {' · '.join(parts)} — {shown}"


# --- coordinator requests ------------------------------------------------------------------------


async def requests(turn: Turn) -> None:
    """Show the oldest waiting coordinator request with Approve / Refuse buttons."""
    if not await require_role(turn):
        return
    await _show_next_request(turn)


async def _show_next_request(turn: Turn) -> None:
    request = await roles.next_request(turn.tx, actor_of(turn), turn.now)
    if request is None:
        turn.say("requests_none")
        return
    candidate, place = request.candidate, request.municipality
    text = turn.msg(
        "request_show",
        count=request.waiting,
        name=candidate.name or "—",
        role=turn.msg(f"role_{candidate.requested_role}"),
        municipality=place.name if place else "—",
        country=(place.country if place else candidate.country) or "—",
        since=format_date(candidate.created_at, turn.lang) if candidate.created_at else "—",
    )
    turn.reply.events.append(
        MenuOffered(
            text,
            (
                Option("c:approve", turn.msg("request_approve")),
                Option("c:refuse", turn.msg("request_refuse")),
            ),
        )
    )


async def _reviewed_candidate(turn: Turn) -> User | None:
    """The request this coordinator was shown, if it is still waiting (else say so)."""
    candidate = await roles.reviewed_request(turn.tx, actor_of(turn))
    if candidate is None:
        turn.say("request_gone")
        await _show_next_request(turn)
    return candidate


async def _deciding(turn: Turn) -> User | None:
    """The request a coordinator's Approve / Refuse acts on (None: refused or gone, said)."""
    if not await require_role(turn):
        return None
    return await _reviewed_candidate(turn)


async def approve(turn: Turn) -> None:
    """Grant the request this coordinator was shown, tell the person, show the next one."""
    candidate = await _deciding(turn)
    if candidate is None:
        return
    try:
        decision = await roles.approve(
            turn.tx,
            actor_of(turn),
            candidate,
            via=VIA,
            messages=turn.service.catalogue.messages,
            now=turn.now,
        )
    except NotAllowed:  # only an admin makes admins
        turn.say("not_allowed")
        return
    turn.reply.queued += decision.told  # the candidate hears it through the outbox
    turn.say(
        "request_approved",
        name=candidate.name or candidate.key,
        role=turn.msg(f"role_{decision.role}"),
    )
    await _show_next_request(turn)


async def refuse(turn: Turn) -> None:
    """Decline the request this coordinator was shown (the person keeps normal access)."""
    candidate = await _deciding(turn)
    if candidate is None:
        return
    decision = await roles.refuse(
        turn.tx,
        actor_of(turn),
        candidate,
        via=VIA,
        messages=turn.service.catalogue.messages,
        now=turn.now,
    )
    turn.reply.queued += decision.told
    turn.say("request_refused", name=candidate.name or candidate.key)
    await _show_next_request(turn)


COORDINATION_COMMANDS: dict[str, Handler] = {
    "export": export_menu,
    **export_commands(),
    "stats": stats,
    "requests": requests,
    "approve": approve,
    "refuse": refuse,
}
"""The coordinators' commands and buttons of this module, for `bot.conversation.table`."""
