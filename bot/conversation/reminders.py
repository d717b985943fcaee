"""Deadlines, reminders and broadcasts in the conversation: commands, buttons and keywords.

* ``/deadlines``: what is coming for the user, in their language and time zone, plus an .ics
  file (in lite mode offered, not sent). Coordinators see every deadline with how many
  municipalities have not marked it done, and a button to remind only those.
* Reminder buttons: ``c:rdone <row>`` (done for the whole municipality, records who),
  ``c:rsnooze <row>`` (tomorrow at the reminder's local hour); "Start now" is ``f:<flow>``.
* ``/stop`` or a stop keyword in any language stops reminders and broadcasts; ``/notifications``
  shows the setting with a button to switch it.
* ``/broadcast`` (coordinators): compose → audience → preview with the number of recipients →
  confirm. The draft lives in the database, so it survives restarts.

Taps carry an argument after a space (``c:rdone 42``); it reaches the handler as
``turn.argument``. Free text goes through `on_text` first (keywords, the draft being composed).
What each does is `bot.programme.deadlines` and `bot.programme.broadcasts`; this module turns
taps into calls and results into messages.
"""

from __future__ import annotations

import re
from datetime import date

from bot.conversation.coordination import actor_of, require_role
from bot.conversation.turn import Handler, Turn
from bot.flow.events import Option
from bot.formatting import format_date
from bot.i18n import LANGUAGE_NAMES, LANGUAGES
from bot.messages import FileOffered, MenuOffered, Notice
from bot.programme import broadcasts, deadlines
from bot.programme.actors import NotFound, has_role
from bot.scheduling.audience import describe, parse_audience, user_timezone
from bot.scheduling.deadlines import Occurrence
from bot.scheduling.ics import calendar
from bot.scheduling.planner import Recipients
from bot.scheduling.runner import wake
from bot.scheduling.timing import local_date, zone
from bot.storage.models import Broadcast, User
from bot.text import fold

LIST_DAYS = 365
LIST_MAX = 12
STOP_WORDS = frozenset(
    {
        "stop",
        "stopp",
        "stoppen",
        "arret",
        "arrete",
        "arreter",
        "alto",
        "parar",
        "pare",
        "basta",
        "unsubscribe",
        "desabonner",
        "desinscrire",
        "uitschrijven",
        "afmelden",
        "baja",
        "darme de baja",
        "cancelar suscripcion",
        "stop reminders",
        "stop messages",
    }
)
START_WORDS = frozenset(
    {
        "start",
        "resume",
        "unstop",
        "subscribe",
        "reprendre",
        "hervatten",
        "aanmelden",
        "reanudar",
        "volver",
        "start reminders",
    }
)


def argument(turn: Turn) -> str:
    """The text after a command or a tap's command name (``c:rdone 42`` → ``"42"``)."""
    return str(getattr(turn, "argument", "") or "").strip()


def keyword_of(text: str) -> str:
    """Lower case, no accents, no punctuation around: how keywords are compared."""
    return " ".join(re.sub(r"[^\w\s]", " ", fold(text)).split())


def is_coordinator(user: User) -> bool:
    """Whether the user may broadcast and see everyone's deadline status."""
    return has_role(user, "coordinator")


# --- /deadlines -----------------------------------------------------------------------------------


def _left(turn: Turn, days: int) -> str:
    if days == 0:
        return turn.msg("dl_left_today")
    if days == 1:
        return turn.msg("dl_left_tomorrow")
    return turn.msg("dl_left_days", days=days)


async def upcoming(turn: Turn, *, everything: bool = False) -> list[Occurrence]:
    """Occurrences due in the coming year for the turn's user (all with ``everything``)."""
    return await deadlines.upcoming(
        turn.tx, turn.user, turn.now, turn.service.catalogue, everything=everything, days=LIST_DAYS
    )


async def show_deadlines(turn: Turn) -> None:
    """The ``/deadlines`` answer (see the module docstring)."""
    coordinator = is_coordinator(turn.user)
    found = await upcoming(turn, everything=coordinator)
    tz_name = user_timezone(turn.user, turn.service.catalogue)
    if not found:
        turn.say("dl_none")
        return
    shown = found[:LIST_MAX]
    lines = [turn.msg("dl_header")]
    recipients = await Recipients.load(turn.tx) if coordinator else None
    remindable: list[Occurrence] = []
    twinning_names = {p.slug: p.name for p in await turn.tx.partnerships()}
    for occurrence in shown:
        title = occurrence.deadline.title.get(turn.lang)
        if occurrence.partnership:
            twinning = twinning_names.get(occurrence.partnership, occurrence.partnership)
            title = f"{title} · {twinning}"
        days = (occurrence.due - local_date(turn.now, zone(tz_name))).days
        lines.append(
            turn.msg(
                "dl_item",
                date=format_date(occurrence.due, turn.lang),
                title=title,
                left=_left(turn, days),
            )
        )
        mark = await deadlines.done_mark(turn.tx, occurrence, turn.user)
        if mark is not None:
            who = await turn.tx.user(mark.user_id) if mark.user_id else None
            lines.append(
                turn.msg(
                    "dl_done_by",
                    who=(who.name if who and who.name else turn.msg("rem_someone")),
                    date=_short_date(turn, mark.done_at.date()),
                )
            )
        if recipients is not None:
            status = await deadlines.progress(turn.tx, occurrence, turn.now, recipients)
            if status.pending:
                lines.append(turn.msg("dl_pending", pending=status.pending, total=status.total))
            elif status.total:
                lines.append(turn.msg("dl_all_done", total=status.total))
            if status.pending and not occurrence.partnership and len(remindable) < 3:
                remindable.append(occurrence)
    hour = min((o.deadline.hour for o in shown), default=9)
    lines.append(turn.msg("dl_times", hour=hour, zone=tz_name))
    if remindable:
        options = tuple(
            Option(
                f"c:rremind {o.deadline.id}|{o.key}",
                turn.msg("dl_remind_button", title=o.deadline.title.get(turn.lang)),
            )
            for o in remindable
        )
        turn.reply.events.append(MenuOffered("\n".join(lines), options))
    else:
        turn.reply.events.append(Notice("\n".join(lines)))
    if turn.user.lite:
        offer = Option("c:deadlinesics", turn.msg("dl_ics_button"))
        turn.reply.events.append(MenuOffered(turn.msg("dl_ics_offer"), (offer,)))
    else:
        await _offer_calendar(turn, found)


def _short_date(turn: Turn, day: date) -> str:
    return format_date(day, turn.lang)


async def _offer_calendar(turn: Turn, found: list[Occurrence]) -> None:
    content = calendar(
        found,
        turn.lang,
        turn.now,
        name=turn.msg("dl_ics_button").lstrip("📅 "),
        twinnings=await deadlines.twinning_names(turn.tx),
    )
    turn.reply.events.append(
        FileOffered("sdg-deadlines.ics", content, turn.msg("dl_ics_caption"), "text/calendar")
    )


async def _deadlines(turn: Turn) -> None:
    await show_deadlines(turn)


async def _deadlines_ics(turn: Turn) -> None:
    await _offer_calendar(turn, await upcoming(turn, everything=is_coordinator(turn.user)))


# --- reminder buttons -----------------------------------------------------------------------------


async def _already(turn: Turn, reminder: deadlines.Reminder) -> bool:
    mark = await turn.tx.done_mark(
        reminder.deadline.id, reminder.occurrence, deadlines.scope_of(turn.user)
    )
    if mark is None:
        return False
    who = await turn.tx.user(mark.user_id) if mark.user_id else None
    turn.say(
        "rem_done_already",
        who=(who.name if who and who.name else turn.msg("rem_someone")),
        date=_short_date(turn, mark.done_at.date()),
    )
    return True


async def _open_reminder(turn: Turn, item_id: int) -> deadlines.Reminder | None:
    """The user's reminder still to act on; None (and the user told why) otherwise."""
    found = await deadlines.reminder_of(turn.tx, turn.user, item_id)
    if found is None:
        turn.say("rem_unknown")
        return None
    if await _already(turn, found):
        return None
    return found


async def mark_done(turn: Turn, item_id: int) -> None:
    """Done: the occurrence is done for the user's municipality; record who; stop its reminders."""
    found = await _open_reminder(turn, item_id)
    if found is None:
        return
    await deadlines.mark_done(turn.tx, turn.user, found, turn.now)
    if turn.user.municipality_id:
        municipality = await turn.tx.municipality(turn.user.municipality_id)
        turn.say("rem_done_municipality", municipality=municipality.name if municipality else "")
    else:
        turn.say("rem_done_self")


async def snooze(turn: Turn, item_id: int) -> None:
    """Remind me tomorrow: one more reminder tomorrow at the deadline's local hour."""
    found = await _open_reminder(turn, item_id)
    if found is None:
        return
    catalogue = turn.service.catalogue
    at = await deadlines.snooze(
        turn.tx, turn.user, item_id, found, turn.now, catalogue, turn.service.settings.quiet_hours
    )
    if at is None:
        turn.say("rem_snooze_too_late")
        return
    tz = zone(user_timezone(turn.user, catalogue))
    turn.say("rem_snoozed", time=at.astimezone(tz).strftime("%H:%M"))


async def _rdone(turn: Turn) -> None:
    raw = argument(turn)
    if raw.isdigit():
        await mark_done(turn, int(raw))
    else:
        turn.say("rem_unknown")


async def _rsnooze(turn: Turn) -> None:
    raw = argument(turn)
    if raw.isdigit():
        await snooze(turn, int(raw))
    else:
        turn.say("rem_unknown")


async def remind_others(turn: Turn, deadline_id: str, occurrence_key: str) -> None:
    """A coordinator reminds only those who have not marked an occurrence done."""
    if not await require_role(turn, "coordinator"):
        return
    due = (
        date.fromisoformat(occurrence_key)
        if re.fullmatch(r"\d{4}-\d\d-\d\d", occurrence_key)
        else None
    )
    try:
        if due is None:
            raise NotFound(occurrence_key)
        deadline, chosen = await deadlines.find_occurrences(
            turn.tx, actor_of(turn), deadline_id, due, due
        )
    except NotFound:
        turn.say("rem_unknown")
        return
    occurrence = next((o for o in chosen if o.key == occurrence_key), None)
    if occurrence is None:
        turn.say("rem_unknown")
        return
    count = await deadlines.remind(
        turn.tx,
        actor_of(turn),
        deadline,
        occurrence,
        turn.now,
        turn.service.catalogue,
        turn.service.settings.quiet_hours,
    )
    turn.say("dl_reminded", count=count)
    wake()


async def _rremind(turn: Turn) -> None:
    deadline_id, _, occurrence = argument(turn).partition("|")
    await remind_others(turn, deadline_id, occurrence)


# --- stop / notifications ---------------------------------------------------------------------


async def set_notifications(turn: Turn, on: bool) -> None:
    """Switch reminders and broadcasts on or off for the user, and say so with the way back."""
    await turn.tx.update_user(turn.user, opted_out=not on)
    text = turn.msg("notif_started" if on else "notif_stopped")
    label = turn.msg("notif_btn_stop" if on else "notif_btn_start")
    turn.reply.events.append(
        MenuOffered(text, (Option("c:notifoff" if on else "c:notifon", label),))
    )


async def show_notifications(turn: Turn) -> None:
    """The setting, with the button that switches it."""
    on = not turn.user.opted_out
    label = turn.msg("notif_btn_stop" if on else "notif_btn_start")
    turn.reply.events.append(
        MenuOffered(
            turn.msg("notif_on" if on else "notif_off"),
            (Option("c:notifoff" if on else "c:notifon", label),),
        )
    )


async def _stop(turn: Turn) -> None:
    await set_notifications(turn, False)


async def _notifications(turn: Turn) -> None:
    await show_notifications(turn)


async def _notifon(turn: Turn) -> None:
    await set_notifications(turn, True)


async def _notifoff(turn: Turn) -> None:
    await set_notifications(turn, False)


# --- /broadcast -------------------------------------------------------------------------------


async def _draft(turn: Turn) -> Broadcast | None:
    if not is_coordinator(turn.user):
        return None
    return await broadcasts.draft_of(turn.tx, actor_of(turn))


def _cancel_option(turn: Turn) -> Option:
    return Option("c:bccancel", turn.msg("bc_btn_cancel"))


async def broadcast_start(turn: Turn, text: str = "") -> None:
    """``/broadcast [text]``: start a draft (replacing an unfinished one)."""
    if not await require_role(turn, "coordinator"):
        return
    await broadcasts.start_draft(turn.tx, actor_of(turn), turn.now)
    if text:
        await broadcast_text(turn, text)
        return
    turn.reply.events.append(MenuOffered(turn.msg("bc_ask_text"), (_cancel_option(turn),)))


async def broadcast_text(turn: Turn, text: str) -> None:
    """The coordinator typed the message: keep it and ask for the audience."""
    draft = await _draft(turn)
    if draft is None:
        turn.say("bc_no_draft")
        return
    await broadcasts.set_draft_text(turn.tx, draft, text)
    await _ask_audience(turn)


async def _ask_audience(turn: Turn) -> None:
    users = await turn.tx.users(reachable_only=True)
    options = [
        Option("c:bcaud all", turn.msg("bc_aud_all")),
        Option("c:bcaud side:north", turn.msg("bc_aud_north")),
        Option("c:bcaud side:south", turn.msg("bc_aud_south")),
        Option("c:bcaud role:coordinator", turn.msg("bc_aud_coordinators")),
    ]
    for code in sorted({u.country for u in users if u.country})[:6]:
        country = turn.service.catalogue.country(code)
        options.append(
            Option(f"c:bcaud country:{code}", country.names.get(turn.lang) if country else code)
        )
    for lang in LANGUAGES:
        options.append(Option(f"c:bcaud language:{lang}", LANGUAGE_NAMES[lang]))
    options.append(_cancel_option(turn))
    turn.reply.events.append(MenuOffered(turn.msg("bc_ask_audience"), tuple(options)))


async def broadcast_audience(turn: Turn, raw: str) -> None:
    """The audience was tapped or typed: preview with the number of recipients."""
    draft = await _draft(turn)
    if draft is None or not draft.texts:
        turn.say("bc_no_draft")
        return
    try:
        count = await broadcasts.set_draft_audience(turn.tx, draft, raw)
    except ValueError as exc:
        turn.say("bc_bad_audience", error=str(exc))
        await _ask_audience(turn)
        return
    if count == 0:
        turn.say("bc_no_recipients")
        await _ask_audience(turn)
        return
    preview = turn.msg(
        "bc_preview",
        text=draft.texts["*"],
        audience=describe(parse_audience(draft.audience)),
        count=count,
    )
    turn.reply.events.append(
        MenuOffered(preview, (Option("c:bcsend", turn.msg("bc_btn_send")), _cancel_option(turn)))
    )


async def broadcast_send(turn: Turn) -> None:
    """Confirmed: schedule the draft now; the sender takes it from there."""
    if not await require_role(turn, "coordinator"):
        return
    draft = await _draft(turn)
    if draft is None or not draft.texts or not draft.audience:
        turn.say("bc_no_draft")
        return
    count = await broadcasts.send_draft(turn.tx, actor_of(turn), draft, turn.now)
    turn.say("bc_queued", count=count, id=draft.id)
    wake()


async def broadcast_cancel(turn: Turn) -> None:
    """Drop the draft; nothing is sent."""
    draft = await _draft(turn)
    if draft is None:
        turn.say("bc_no_draft")
        return
    await broadcasts.cancel_draft(turn.tx, draft)
    turn.say("bc_cancelled")


async def _broadcast(turn: Turn) -> None:
    await broadcast_start(turn, argument(turn))


async def _bcaud(turn: Turn) -> None:
    await broadcast_audience(turn, argument(turn))


async def _bcsend(turn: Turn) -> None:
    await broadcast_send(turn)


async def _bccancel(turn: Turn) -> None:
    await broadcast_cancel(turn)


# --- free text ------------------------------------------------------------------------------------


async def on_text(turn: Turn, text: str) -> bool:
    """Free text outside a flow: a stop/start keyword, or the broadcast being composed.

    Returns:
        True when the text was handled here (the caller does nothing more).
    """
    word = keyword_of(text)
    if word in STOP_WORDS:
        await set_notifications(turn, False)
        return True
    if turn.user.opted_out and word in START_WORDS:
        await set_notifications(turn, True)
        return True
    if is_coordinator(turn.user):
        draft = await _draft(turn)
        if draft is not None:
            if not draft.texts:
                await broadcast_text(turn, text)
            else:
                await broadcast_audience(turn, text)
            return True
    return False


REMINDER_COMMANDS: dict[str, Handler] = {
    "deadlines": _deadlines,
    "deadlinesics": _deadlines_ics,
    "rdone": _rdone,
    "rsnooze": _rsnooze,
    "rremind": _rremind,
    "stop": _stop,
    "notifications": _notifications,
    "notifon": _notifon,
    "notifoff": _notifoff,
    "broadcast": _broadcast,
    "bcaud": _bcaud,
    "bcsend": _bcsend,
    "bccancel": _bccancel,
}
"""The deadline, notification and broadcast commands and buttons, for the command table."""


__all__ = [
    "REMINDER_COMMANDS",
    "STOP_WORDS",
    "argument",
    "broadcast_audience",
    "broadcast_cancel",
    "broadcast_send",
    "broadcast_start",
    "broadcast_text",
    "mark_done",
    "on_text",
    "remind_others",
    "set_notifications",
    "show_deadlines",
    "show_notifications",
    "snooze",
    "upcoming",
]
