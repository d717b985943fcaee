"""Commands (`/start`, `/menu`, `/lite`…), service buttons and free text outside a flow.

Every handler works inside the input's transaction through a `Turn`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TypeAlias

from bot.conversation.turn import Handler, Turn
from bot.flow import engine
from bot.flow.definition import Flow
from bot.flow.events import MessageCreated, Option
from bot.flow.matching import normalize
from bot.flow.parsing import parse_yesno
from bot.flow.state import Input, RunState
from bot.formatting import format_date
from bot.i18n import LANGUAGE_NAMES, LANGUAGES
from bot.messages import (
    ChartOffered,
    Command,
    FileOffered,
    LanguageOffered,
    MenuOffered,
    Tap,
)
from bot.programme.deadlines import close_on_completion
from bot.scheduling.audience import user_timezone
from bot.scheduling.timing import period_began, zone
from bot.storage.models import SANDBOX_CHANNEL

if TYPE_CHECKING:
    from bot.storage.models import FlowRun

ONBOARDING = "onboarding"
FLOW_COMMANDS = {
    "assess": "sdg_assessment",
    "post2030": "post2030",
    "week": "municipality_week",
    "checkin": "partnership_checkin",
}
PRIVATE_ONLY = frozenset(
    {
        *FLOW_COMMANDS,
        "start",
        "language",
        "lite",
        "cancel",
        "results",
        "mydata",
        "forget",
        "deadlines",
    }
)


LANGUAGE_WORDS: dict[str, str] = {
    normalize(word): lang
    for lang, words in {
        "fr": "fr français francais frans francés frances french francia",
        "nl": "nl nederlands néerlandais neerlandais vlaams flamand dutch neerlandés holandés "
        "flemish",
        "es": "es español espanol espagnol spaans spanish castellano",
        "en": "en english anglais engels inglés ingles",
    }.items()
    for word in words.split(sep=None)
}
"""Each language named in any of the four languages ("frans", "francés", "anglais")."""

CONFIRM_NO = "c:menu"
"""A two-option offer whose second option is the menu is a yes/no question (/forget, "start
this flow?"): the first option is its yes."""


def typed_offer_choice(text: str, offered: tuple[str, ...]) -> str | None:
    """The offered option a typed text names, for people without buttons.

    Its number ("2"); a language in any language ("frans", "inglés") when languages are
    offered; yes or no in any language ("oui", "nee hoor", "👍") to a yes/no question.

    Args:
        text: what the user typed after the offer.
        offered: the offered option ids, in their order.

    Returns:
        The option id, or None when the text names none of them.
    """
    typed = text.strip().rstrip(".)")
    if typed.isdigit():
        return offered[int(typed) - 1] if 1 <= int(typed) <= len(offered) else None
    if offered and all(option.startswith("l:") for option in offered):
        lang = LANGUAGE_WORDS.get(normalize(text))
        return f"l:{lang}" if f"l:{lang}" in offered else None
    if len(offered) == 2 and offered[1] == CONFIRM_NO:
        answer = parse_yesno(text)
        return None if answer is None else offered[0 if answer else 1]
    return None


def onboarded(turn: Turn) -> bool:
    """Whether the user has finished onboarding (we know who they are and where they work)."""
    # The web console's simulator (sandbox) has no municipality: it must not count for one.
    return bool(
        turn.user.kind and (turn.user.municipality_id or turn.user.channel == SANDBOX_CHANNEL)
    )


def menu_options(turn: Turn) -> list[Option]:
    """The menu's options, always in the same order (so "2" means the same after a restart)."""
    options = [
        Option(f"f:{flow.id}", flow.title.plain(turn.lang)) for flow in turn.service.flows.menu()
    ]
    options.append(Option("c:results", turn.msg("menu_results")))
    options.append(Option("c:language", turn.msg("menu_language")))
    return options


def offer_menu(turn: Turn, intro_key: str = "menu_intro") -> None:
    """Add the menu of flows (and a few commands) to the reply."""
    turn.reply.events.append(MenuOffered(turn.msg(intro_key), tuple(menu_options(turn))))


async def _current(turn: Turn) -> Current:
    run = await turn.tx.active_run(turn.user.id)
    if run is None:
        return None, None, None
    flow = await turn.service.flow_of(turn.tx, run)
    return run, flow, turn.service.state_of(run, turn.user)


Current: TypeAlias = "tuple[FlowRun | None, Flow | None, RunState | None]"
"""The active run, its flow and its state, as `_current` reads them."""


async def ask_current_again(turn: Turn, current: Current | None = None) -> bool:
    """Re-ask the active run's question (in the user's current language); False if none.

    `current`: the run as the caller already read it in this transaction.
    """
    run, flow, state = current if current is not None else await _current(turn)
    if run is None or flow is None or state is None:
        return False
    state.lang = turn.lang
    sprint = engine.ask_again(flow, turn.service.catalogue, state, now=turn.now)
    await turn.service.apply(turn, run, flow, sprint)
    return True


def asked_since_written(turn: Turn, state: RunState | None) -> bool:
    """Whether the current question went out after the user wrote this input.

    Then a "where was I?" (`/start`, the flow's command) needs no answer: the question is on
    its way or already under it. This is what keeps a backlog of such requests — written
    while the bot was down, handled together when it is back — from sending the question once
    for each, which people then answer once for each, the later ones landing on the next
    questions.
    """
    return state is not None and turn.written_before(state.asked_at)


async def start_or_resume(turn: Turn, flow: Flow) -> None:
    """Start `flow`, unless a run is open: then say so and ask its question again."""
    loaded = await _current(turn)
    run, current, state = loaded
    if run is not None and current is not None:
        if asked_since_written(turn, state):
            return
        if current.id != flow.id:
            turn.say("in_other_flow", flow=current.title.plain(turn.lang))
        await ask_current_again(turn, loaded)
        return
    if flow.id != ONBOARDING and not onboarded(turn):
        turn.say("onboarding_first")
        onboarding = turn.service.flows.get(ONBOARDING)
        if onboarding is not None:
            # the flow asked for starts as soon as onboarding is done
            await turn.service.start_flow(turn, onboarding, then=flow.id)
            return
    if await _offer_this_periods_answers(turn, flow):
        return
    await turn.service.start_flow(turn, flow)


async def _offer_this_periods_answers(turn: Turn, flow: Flow) -> bool:
    """For a flow answered once per period: if this period's answers exist, offer them.

    Starting such a flow again (a second /checkin in the quarter) does not silently start over:
    the person sees who answered and when, and chooses to see the answers or update them.
    """
    if flow.once_per is None or turn.user.municipality_id is None:
        return False
    tz = zone(user_timezone(turn.user, turn.service.catalogue))
    began = period_began(turn.now, tz, flow.once_per)
    runs = await turn.tx.completed_runs(flow.id, municipality_id=turn.user.municipality_id)
    done = [run for run in runs if run.completed_at is not None and run.completed_at >= began]
    if not done:
        return False
    latest = done[-1]
    author = await turn.tx.user(latest.user_id)
    assert latest.completed_at is not None
    text = turn.msg(
        "period_answered",
        flow=flow.title.plain(turn.lang),
        who=author.name if author and author.name else turn.msg("rem_someone"),
        date=format_date(latest.completed_at.astimezone(tz).date(), turn.lang),
    )
    turn.reply.events.append(
        MenuOffered(
            text,
            (
                Option(f"c:seen {flow.id}", turn.msg("period_see")),
                Option(f"c:again {flow.id}", turn.msg("period_update")),
                Option("c:menu", turn.msg("period_menu")),
            ),
        )
    )
    return True


async def run_command(turn: Turn, command: Command) -> None:
    """Dispatch a command; its argument is in `turn.argument`."""
    name = command.name.lower().lstrip("/").split("@")[0]
    turn.argument = command.argument
    handler = turn.service.commands.get(name)
    if handler is not None:
        await handler(turn)
        return
    if name in FLOW_COMMANDS:
        flow = turn.service.flows.get(FLOW_COMMANDS[name]) or turn.service.flows.by_command(name)
        if flow is None:
            turn.say("feature_coming")
            offer_menu(turn)
            return
        await start_or_resume(turn, flow)
        return
    flow = turn.service.flows.by_command(name)
    if flow is not None:
        await start_or_resume(turn, flow)
        return
    turn.say("unknown_command", command=name[:32])
    turn.say("help_short")


async def run_tap(turn: Turn, tap: Tap) -> None:
    """A tapped service button: `f:<flow>`, `l:<language>`, `c:<command>`, `g:<run>` (chart)."""
    kind, _, value = tap.data.partition(":")
    if kind == "f":
        flow = turn.service.flows.get(value)
        if flow is None:
            turn.say("feature_coming")
            offer_menu(turn)
        else:
            await start_or_resume(turn, flow)
    elif kind == "l" and value in LANGUAGES:
        await turn.tx.update_user(turn.user, language=value)
        turn.say("language_set", language=LANGUAGE_NAMES[value])
        if not await ask_current_again(turn):
            offer_menu(turn)
    elif kind == "c":
        name, _, argument = value.partition(" ")
        await run_command(turn, Command(name, argument))
    elif kind == "g" and value.isdigit():
        from bot.conversation.results import send_chart

        await send_chart(turn, int(value))
    else:
        turn.say("stale_no_run")
        offer_menu(turn)


async def in_group(turn: Turn, payload: Input | Command | Tap) -> None:
    """In a group the bot only answers briefly and invites people to a private chat."""
    if isinstance(payload, Command) and payload.name.lower().split("@")[0] == "help":
        turn.say("help_short")
    turn.say("group_invite")


async def after_completion(turn: Turn, run: FlowRun, flow: Flow, state: RunState) -> None:
    """What follows a completed run: the menu, a chart offer, partner reports."""
    if flow.id == ONBOARDING:
        then = turn.service.flows.get(str(state.context.get("then") or ""))
        if then is not None:
            turn.say("onboarding_done_short")
            await turn.service.start_flow(turn, then)
        else:
            offer_menu(turn, "onboarding_done")
        return
    if state.vars.get("__chart") and not turn.user.lite:
        turn.reply.events.append(ChartOffered(run.id, turn.msg("chart_button")))
    from bot.conversation.results import after_checkin, notify_partner

    await after_checkin(turn, run, flow, state)
    await notify_partner(turn, run, flow, state)
    await _close_deadlines(turn, flow)
    offer_menu(turn, "menu_after_flow")


async def _close_deadlines(turn: Turn, flow: Flow) -> None:
    """Deadlines the completed flow closes are marked done (and their reminders stop): say so."""
    closed = await close_on_completion(turn.tx, turn.user, flow.id, turn.now)
    if not closed:
        return
    place = await turn.tx.municipality(turn.user.municipality_id or 0)
    for occurrence in closed:
        turn.say(
            "dl_closed_by_flow",
            title=occurrence.deadline.title.get(turn.lang),
            municipality=place.name if place else "",
        )


# --- simple commands -------------------------------------------------------------------------


async def _start(turn: Turn) -> None:
    loaded = await _current(turn)
    run, flow, state = loaded
    if run is not None and asked_since_written(turn, state):
        return
    if not onboarded(turn) and (run is None or (flow is not None and flow.id != ONBOARDING)):
        onboarding = turn.service.flows.get(ONBOARDING)
        if onboarding is not None and run is None:
            await turn.service.start_flow(turn, onboarding)
            return
    turn.say("welcome_back", name=turn.user.name or "")
    if run is not None:
        await ask_current_again(turn, loaded)
    else:
        offer_menu(turn)


async def _seen(turn: Turn) -> None:
    """See the latest answers of a flow answered once per period (from its offer)."""
    from bot.conversation.results import show_result

    flow = turn.service.flows.get(turn.argument.strip())
    runs = (
        await turn.tx.completed_runs(flow.id, municipality_id=turn.user.municipality_id)
        if flow is not None and turn.user.municipality_id
        else []
    )
    if not runs or not await show_result(turn, runs):
        turn.say("results_none")
    offer_menu(turn, "menu_after_flow")


async def _again(turn: Turn) -> None:
    """Answer a flow again although this period's answers exist (the new ones count)."""
    flow = turn.service.flows.get(turn.argument.strip())
    if flow is None:
        turn.say("feature_coming")
        offer_menu(turn)
        return
    current = await _current(turn)
    if current[0] is not None:  # something else was started meanwhile: resume that
        await start_or_resume(turn, flow)
        return
    await turn.service.start_flow(turn, flow)


async def _menu(turn: Turn) -> None:
    offer_menu(turn)


async def _help(turn: Turn) -> None:
    turn.say("help_text")
    offer_menu(turn)


async def _language(turn: Turn) -> None:
    options = tuple(Option(f"l:{lang}", LANGUAGE_NAMES[lang]) for lang in LANGUAGES)
    turn.reply.events.append(LanguageOffered(turn.msg("language_prompt"), options))


async def _lite(turn: Turn) -> None:
    lite = not turn.user.lite
    await turn.tx.update_user(turn.user, lite=lite)
    turn.say("lite_on" if lite else "lite_off")


async def _cancel(turn: Turn) -> None:
    run, flow, state = await _current(turn)
    if run is None or flow is None or state is None:
        turn.say("nothing_to_cancel")
        offer_menu(turn)
        return
    sprint = engine.cancel(flow, turn.service.catalogue, state, now=turn.now)
    await turn.service.apply(turn, run, flow, sprint)
    offer_menu(turn)


async def _results(turn: Turn) -> None:
    from bot.conversation.results import show_results

    await show_results(turn)


async def _mydata(turn: Turn) -> None:
    from bot.programme.privacy import export_user

    data = await export_user(turn.tx, turn.user)
    runs = len(data.get("runs", []))
    answers = sum(len(r.get("answers", {})) for r in data.get("runs", []))
    turn.say("mydata_summary", runs=runs, answers=answers)
    if not turn.user.lite:
        content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
        turn.reply.events.append(
            FileOffered(
                "sdgbot-my-data.json", content, turn.msg("mydata_caption"), "application/json"
            )
        )
    else:
        turn.reply.events.append(
            MenuOffered(
                turn.msg("mydata_lite_offer"), (Option("c:mydatafile", turn.msg("mydata_send")),)
            )
        )


async def _mydata_file(turn: Turn) -> None:
    from bot.programme.privacy import export_user

    data = await export_user(turn.tx, turn.user)
    content = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    turn.reply.events.append(
        FileOffered("sdgbot-my-data.json", content, turn.msg("mydata_caption"), "application/json")
    )


async def _forget(turn: Turn) -> None:
    turn.reply.events.append(
        MenuOffered(
            turn.msg("forget_confirm"),
            (
                Option("c:forgetyes", turn.msg("forget_yes")),
                Option("c:menu", turn.msg("forget_no")),
            ),
        )
    )


async def _forget_yes(turn: Turn) -> None:
    from bot.programme.privacy import forget_user

    lang = turn.lang
    await forget_user(turn.tx, turn.user, handling=turn.update_id)
    turn.reply.events.append(
        MessageCreated(turn.service.catalogue.messages.get("forget_done", lang))
    )


BASIC_COMMANDS: dict[str, Handler] = {
    "start": _start,
    "menu": _menu,
    "help": _help,
    "language": _language,
    "lite": _lite,
    "cancel": _cancel,
    "results": _results,
    "mydata": _mydata,
    "mydatafile": _mydata_file,
    "forget": _forget,
    "forgetyes": _forget_yes,
    "seen": _seen,
    "again": _again,
}
"""The commands every user has; `bot.conversation.table` adds the others."""
