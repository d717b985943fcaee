"""The coordinators' side of the bot: roles, `/export`, `/stats` and coordinator requests.

Roles are ranked user < coordinator < admin. A command above the user's role is refused
politely and does nothing (`require_role`); colleagues guard their own privileged commands
(`/broadcast`, deadline changes) with the same function. Telegram ids in
``SDGBOT_COORDINATORS`` are coordinators: new users get the role when they are created, existing
ones at start (`apply_seeded_coordinators`) and, at the latest, the first time they use a
coordinator command.

Coordinator requests made in onboarding (``users.requested_role``) wait in a queue: `/requests`
shows the oldest with Approve / Refuse buttons. The buttons carry no user id (service taps have
no argument), so the request each coordinator was shown is remembered (`role_reviews`) and the
buttons act on exactly that one, never on a request someone else handled in the meantime.

Who sees what: a user sees their municipality's results, both sides of a partnership see its
check-ins, coordinators see everything (`can_see_run`); comparisons with other municipalities
are only anonymous averages over at least five of them (`anonymous_average`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from bot.flow.events import Option
from bot.formatting import format_date
from bot.i18n import escape
from bot.service.commands import FLOW_COMMANDS, command
from bot.service.contexts import period_of
from bot.service.messages import ConversationKey, FileOffered, MenuOffered, Notice, Outgoing
from bot.storage.audit import ACTION_EXPORT, ACTION_ROLE_CHANGE, ACTION_ROLE_REFUSED, audit
from bot.storage.models import FlowRun, Municipality, Partnership, User
from bot.storage.store import Store
from bot.storage.tx import Tx

if TYPE_CHECKING:
    from bot.service.conversation import Turn

ROLE_RANK: dict[str, int] = {"user": 0, "coordinator": 1, "admin": 2}
SEEDED_BY = "config:SDGBOT_COORDINATORS"
ANONYMITY_MINIMUM = 5
"""Fewest municipalities an average over others may be shown for (smaller groups identify)."""
STATS_MAX_LINES = 40
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- roles and visibility ------------------------------------------------------------------------


def has_role(user: User, role: str) -> bool:
    """Whether `user` has `role` or a higher one."""
    return ROLE_RANK.get(user.role, 0) >= ROLE_RANK[role]


async def ensure_seeded_role(turn: Turn) -> None:
    """Give the coordinator role to a user listed in ``SDGBOT_COORDINATORS`` who lacks it."""
    user = turn.user
    if user.external_id in turn.service.settings.coordinators and not has_role(user, "coordinator"):
        await turn.tx.update_user(user, role="coordinator", requested_role=None)
        await audit(turn.tx, SEEDED_BY, ACTION_ROLE_CHANGE,
                    {"user": user.key, "from": "user", "to": "coordinator"})


async def require_role(turn: Turn, role: str = "coordinator") -> bool:
    """Check the turn's user has `role`; if not, say so politely (and nothing else happens).

    Returns:
        True when the command may go ahead.
    """
    await ensure_seeded_role(turn)
    if has_role(turn.user, role):
        return True
    turn.say("not_allowed")
    return False


async def apply_seeded_coordinators(store: Store, coordinators: Iterable[str]) -> int:
    """Make every existing user listed in ``SDGBOT_COORDINATORS`` a coordinator (at start).

    Admins stay admins; each promotion is audited. Returns how many users were promoted.
    """
    ids = sorted(set(coordinators))
    if not ids:
        return 0

    async def promote(tx: Tx) -> int:
        users = (await tx.session.execute(
            select(User).where(User.external_id.in_(ids), User.role == "user")
        )).scalars().all()
        for user in users:
            await tx.update_user(user, role="coordinator", requested_role=None)
            await audit(tx, SEEDED_BY, ACTION_ROLE_CHANGE,
                        {"user": user.key, "from": "user", "to": "coordinator"})
        return len(users)

    return await store.run_in_transaction(promote)


def can_see_run(viewer: User, run: FlowRun, partnership: Partnership | None = None) -> bool:
    """Whether `viewer` may see `run`'s answers.

    Coordinators see everything; a user sees their own runs and their municipality's; both
    sides of a partnership see that partnership's check-ins (`partnership` is the run's).
    """
    if has_role(viewer, "coordinator") or run.user_id == viewer.id:
        return True
    mine = viewer.municipality_id
    if mine is None:
        return False
    if run.municipality_id == mine:
        return True
    return (partnership is not None and run.partnership_id == partnership.id
            and mine in (partnership.north_municipality_id, partnership.south_municipality_id))


def anonymous_average(values_by_municipality: Mapping[Hashable, float | None],
                      minimum: int = ANONYMITY_MINIMUM,
                      exclude: Hashable | None = None) -> float | None:
    """The mean over municipalities, or None when fewer than `minimum` have a value.

    Args:
        values_by_municipality: one value per municipality (None or NaN: no value).
        minimum: the fewest municipalities an average may be shown for.
        exclude: a municipality left out (the viewer's own, when comparing with "the others").

    Returns:
        The average, or None when it would describe fewer than `minimum` municipalities.
    """
    values = [float(v) for k, v in values_by_municipality.items()
              if k != exclude and v is not None and not math.isnan(float(v))]
    if len(values) < max(minimum, 1):
        return None
    return sum(values) / len(values)


# --- /export -------------------------------------------------------------------------------------


@command("export")
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
    """Send the XLSX export of one flow to a coordinator, in their language, and audit it."""
    if not await require_role(turn):
        return
    if turn.user.lite:
        turn.say("export_lite")
        return
    flow = turn.service.flows.get(flow_id)
    if flow is None:
        turn.say("feature_coming")
        return
    from bot.export import xlsx_bytes  # openpyxl is only loaded when someone exports

    content, count = await xlsx_bytes(turn.tx, flow, turn.service.catalogue, turn.lang)
    title = flow.title.source.get(turn.lang)
    if count == 0:
        turn.say("export_empty", flow=title)
        return
    await audit(turn.tx, turn.user, ACTION_EXPORT,
                {"flow": flow_id, "format": "xlsx", "runs": count, "via": "bot",
                 "lang": turn.lang})
    name = f"sdgbot-{flow_id}-{turn.now.date().isoformat()}.xlsx"
    turn.reply.events.append(FileOffered(name, content, turn.msg("export_caption", flow=title,
                                                                 count=count), XLSX_MIME))


def _export_command(name: str, flow_id: str) -> None:
    async def handler(turn: Turn) -> None:
        await export_flow(turn, flow_id)

    handler.__doc__ = f"/export_{name}: the XLSX export of {flow_id}."
    command(f"export_{name}")(handler)


for _name, _flow_id in FLOW_COMMANDS.items():
    _export_command(_name, _flow_id)


# --- /stats --------------------------------------------------------------------------------------


def period_start(now: datetime, timezone: str | None) -> tuple[str, datetime]:
    """The current quarter (as `period_of` names it) and when it began, in the user's zone."""
    try:
        zone = ZoneInfo(timezone or "Europe/Brussels")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Europe/Brussels")
    local = now.astimezone(zone)
    first_month = 3 * ((local.month - 1) // 3) + 1
    start = local.replace(month=first_month, day=1, hour=0, minute=0, second=0, microsecond=0)
    return period_of(now, timezone), start


@command("stats")
async def stats(turn: Turn) -> None:
    """A short overview for coordinators: who answered what this quarter, by country and place."""
    if not await require_role(turn):
        return
    tx, lang = turn.tx, turn.lang
    period, start = period_start(turn.now, turn.user.timezone)
    rows = (await tx.session.execute(
        select(FlowRun.flow_id, FlowRun.status, FlowRun.user_id, User.name,
               Municipality.name, Municipality.country, User.country)
        .join(User, User.id == FlowRun.user_id)
        .outerjoin(Municipality, Municipality.id == FlowRun.municipality_id)
        .where(FlowRun.updated_at >= start, FlowRun.flow_id != "onboarding")
    )).all()
    newcomers = len((await tx.session.execute(
        select(User.id).where(User.created_at >= start))).all())
    places: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0]))
    people: dict[tuple[str, str], dict[int, str]] = defaultdict(dict)
    for flow_id, status, user_id, user_name, place, place_country, user_country in rows:
        key = (place_country or user_country or "", place or "—")
        counts = places[key][flow_id]
        if status == "completed":
            counts[0] += 1
        elif status == "active":
            counts[1] += 1
        people[key][user_id] = user_name or "—"
    completed = sum(c[0] for flows in places.values() for c in flows.values())
    active = sum(c[1] for flows in places.values() for c in flows.values())
    answering = len({user_id for _, _, user_id, *_ in rows})
    lines = [turn.msg("stats_header", period=period, since=format_date(start, turn.lang)),
             turn.msg("stats_totals", people=answering, completed=completed, active=active,
                      newcomers=newcomers)]
    if not places:
        lines.append(turn.msg("stats_nothing"))
    current_country = None
    for shown, (country, place) in enumerate(sorted(places)):
        if shown == STATS_MAX_LINES:
            lines.append(turn.msg("stats_more", count=len(places) - shown))
            break
        if country != current_country:
            known = turn.service.catalogue.country(country)
            lines.append(f"\n<b>{escape(known.names.get(lang) if known else country or '—')}</b>")
            current_country = country
        lines.append(_place_line(turn, place, places[(country, place)],
                                 people[(country, place)].values()))
    waiting = len(await tx.role_requests())
    if waiting:
        lines.append("\n" + turn.msg("stats_requests", count=waiting))
    lines.append("\n" + turn.msg("stats_footer"))
    turn.reply.events.append(Notice("\n".join(lines)))


def _place_line(turn: Turn, place: str, flows: Mapping[str, list[int]],
                names: Iterable[str]) -> str:
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


@command("requests")
async def requests(turn: Turn) -> None:
    """Show the oldest waiting coordinator request with Approve / Refuse buttons."""
    if not await require_role(turn):
        return
    await _show_next_request(turn)


async def _show_next_request(turn: Turn) -> None:
    tx = turn.tx
    waiting = [u for u in await tx.role_requests() if u.id != turn.user.id]
    if not waiting:
        await tx.clear_role_review(turn.user.id)
        turn.say("requests_none")
        return
    candidate = waiting[0]
    await tx.set_role_review(turn.user.id, candidate.id, turn.now)
    place = await tx.municipality(candidate.municipality_id) if candidate.municipality_id else None
    text = turn.msg(
        "request_show", count=len(waiting), name=candidate.name or "—",
        role=turn.msg(f"role_{candidate.requested_role}"),
        municipality=place.name if place else "—",
        country=(place.country if place else candidate.country) or "—",
        since=format_date(candidate.created_at, turn.lang) if candidate.created_at else "—",
    )
    turn.reply.events.append(MenuOffered(text, (
        Option("c:approve", turn.msg("request_approve")),
        Option("c:refuse", turn.msg("request_refuse")))))


async def _reviewed_candidate(turn: Turn) -> User | None:
    """The request this coordinator was shown, if it is still waiting (else say so)."""
    candidate_id = await turn.tx.role_review(turn.user.id)
    candidate = await turn.tx.lock_user(candidate_id) if candidate_id is not None else None
    if (candidate is None or candidate.requested_role is None
            or ROLE_RANK.get(candidate.requested_role, 0) <= ROLE_RANK.get(candidate.role, 0)):
        turn.say("request_gone")
        await _show_next_request(turn)
        return None
    return candidate


def _tell(turn: Turn, user: User, key: str) -> None:
    """A message to `user` (not the coordinator), in their language, sent after the commit."""
    lang = user.language or turn.service.settings.default_language
    text = turn.service.catalogue.messages.get(key, lang)
    turn.reply.others.append(Outgoing(ConversationKey(user.channel, user.external_id),
                                      (Notice(text),), lang, bool(user.lite)))


@command("approve")
async def approve(turn: Turn) -> None:
    """Grant the request this coordinator was shown, tell the person, show the next one."""
    if not await require_role(turn):
        return
    candidate = await _reviewed_candidate(turn)
    if candidate is None:
        return
    wanted = candidate.requested_role or "coordinator"
    if not has_role(turn.user, wanted):  # only an admin makes admins
        turn.say("not_allowed")
        return
    before = candidate.role
    await turn.tx.update_user(candidate, role=wanted, requested_role=None)
    await audit(turn.tx, turn.user, ACTION_ROLE_CHANGE,
                {"user": candidate.key, "from": before, "to": wanted, "via": "bot"})
    await turn.tx.clear_role_review(turn.user.id)
    turn.say("request_approved", name=candidate.name or candidate.key,
             role=turn.msg(f"role_{wanted}"))
    if not candidate.blocked:
        _tell(turn, candidate, "role_granted")
    await _show_next_request(turn)


@command("refuse")
async def refuse(turn: Turn) -> None:
    """Decline the request this coordinator was shown (the person keeps normal access)."""
    if not await require_role(turn):
        return
    candidate = await _reviewed_candidate(turn)
    if candidate is None:
        return
    wanted = candidate.requested_role
    await turn.tx.update_user(candidate, requested_role=None)
    await audit(turn.tx, turn.user, ACTION_ROLE_REFUSED,
                {"user": candidate.key, "requested": wanted, "via": "bot"})
    await turn.tx.clear_role_review(turn.user.id)
    turn.say("request_refused", name=candidate.name or candidate.key)
    if not candidate.blocked:
        _tell(turn, candidate, "role_declined")
    await _show_next_request(turn)

