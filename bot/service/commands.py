"""Commands (`/start`, `/menu`, `/lite`…), service buttons and free text outside a flow.

Every handler works inside the input's transaction through a `Turn`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeAlias

from bot.flow import engine
from bot.flow.definition import Flow
from bot.flow.events import MessageCreated, Option
from bot.flow.matching import normalize
from bot.flow.parsing import parse_yesno, small_talk
from bot.flow.state import Input, RunState, TextInput
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, shortened
from bot.service.messages import (
    ChartOffered,
    Command,
    FileOffered,
    LanguageOffered,
    MenuOffered,
    Tap,
)

if TYPE_CHECKING:
    from bot.service.conversation import Turn
    from bot.storage.models import FlowRun

ONBOARDING = "onboarding"
FLOW_COMMANDS = {
    "assess": "sdg_assessment",
    "post2030": "post2030",
    "week": "municipality_week",
    "checkin": "partnership_checkin",
}
COMING = {"deadlines": "feature_deadlines"}
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
    return bool(turn.user.kind and turn.user.municipality_id)


def menu_options(turn: Turn) -> list[Option]:
    """The menu's options, always in the same order (so "2" means the same after a restart)."""
    options = [
        Option(f"f:{flow.id}", flow.title.plain(turn.lang))
        for flow in turn.service.flows.menu()
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
    await turn.service.start_flow(turn, flow)


async def run_command(turn: Turn, command: Command) -> None:
    """Dispatch a command; its argument is in `turn.argument`."""
    name = command.name.lower().lstrip("/").split("@")[0]
    turn.argument = command.argument
    handler = _COMMANDS.get(name)
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
    if name in COMING:
        turn.say(COMING[name])
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
        from bot.service.results import send_chart

        await send_chart(turn, int(value))
    else:
        turn.say("stale_no_run")
        offer_menu(turn)


async def outside_flow(turn: Turn, payload: Input) -> None:
    """Input while no run is open: onboarding for newcomers, else the menu (fuzzy-matched)."""
    if not onboarded(turn):
        onboarding = turn.service.flows.get(ONBOARDING)
        if onboarding is not None:
            await turn.service.start_flow(turn, onboarding)
            return
    if isinstance(payload, TextInput) and await reminders.on_text(turn, payload.text):
        return  # a stop/start keyword, or the text of a broadcast being composed
    if isinstance(payload, TextInput):
        ended = await turn.service.ended_unseen(turn, payload)
        if ended is not None:  # the last answer again: the message closing the flow was lost
            turn.say("answer_kept_done", answer=shortened(payload.text),
                     flow=ended.title.plain(turn.lang))  # fmt: skip
            offer_menu(turn, "menu_after_flow")
            return
        choice = payload.text.strip().rstrip(".")
        options = menu_options(turn)
        if choice.isdigit() and 1 <= int(choice) <= len(options):
            # a number typed after the menu (the channel may have restarted since showing it)
            await run_tap(turn, Tap(options[int(choice) - 1].id))
            return
        status, flow = turn.service.flows.match_text(payload.text)
        if status == "accepted" and flow is not None:
            await start_or_resume(turn, flow)
            return
        if status == "unsure" and flow is not None:
            turn.reply.events.append(
                MenuOffered(
                    turn.msg("menu_did_you_mean", flow=flow.title.plain(turn.lang)),
                    (
                        Option(f"f:{flow.id}", turn.msg("yes_label")),
                        Option("c:menu", turn.msg("no_label")),
                    ),
                )
            )
            return
        talk = small_talk(payload.text)
        # "bonjour", "merci", "help": a friendly word and the menu, not "I didn't understand".
        offer_menu(turn, f"menu_small_talk_{talk}" if talk else "menu_not_understood")
        return
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
    from bot.service.results import after_checkin, notify_partner

    await after_checkin(turn, run, flow, state)
    await notify_partner(turn, flow, state)
    offer_menu(turn, "menu_after_flow")


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
    from bot.service.results import show_results

    await show_results(turn)


async def _mydata(turn: Turn) -> None:
    from bot.service.privacy import export_user

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
    from bot.service.privacy import export_user

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
    from bot.service.privacy import forget_user

    lang = turn.lang
    await forget_user(turn.tx, turn.user)
    turn.reply.events.append(
        MessageCreated(turn.service.catalogue.messages.get("forget_done", lang))
    )


Handler = Callable[["Turn"], Awaitable[None]]

_COMMANDS: dict[str, Handler] = {
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
}


def command(name: str) -> Callable[[Handler], Handler]:
    """Register a command handler from another module (`@command("deadlines")`)."""

    def register(handler: Handler) -> Handler:
        if name in _COMMANDS:
            raise ValueError(f"command /{name} is registered twice")
        _COMMANDS[name] = handler
        COMING.pop(name, None)
        return handler

    return register


# Modules with more commands register them on import (they import `command` from here).
from bot.service import coordination, reminders  # noqa: E402,F401
