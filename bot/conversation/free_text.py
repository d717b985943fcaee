"""Text typed while no flow is open: onboarding, keywords, the menu by number or name.

Kept apart from `commands` because it consults the chat modules above it (a stop keyword, a
broadcast being composed), which themselves use `commands`.
"""

from __future__ import annotations

from bot.conversation import reminders
from bot.conversation.commands import (
    ONBOARDING,
    menu_options,
    offer_menu,
    onboarded,
    run_tap,
    start_or_resume,
)
from bot.conversation.turn import Turn
from bot.flow.events import Option
from bot.flow.parsing import small_talk
from bot.flow.state import Input, TextInput
from bot.i18n import shortened
from bot.messages import MenuOffered, Tap


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
