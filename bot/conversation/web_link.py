"""``/web``: a coordinator asks the bot for a one-time link to the web console.

The link is personal, valid 15 minutes and usable once (`bot.programme.console`); the reply
gives it in the coordinator's language. Someone without the role gets the usual polite refusal.
"""

from __future__ import annotations

from bot.conversation.coordination import actor_of, require_role
from bot.conversation.turn import Handler, Turn
from bot.programme import console
from bot.programme.actors import ProgrammeError


async def web_link(turn: Turn) -> None:
    """Reply with a sign-in link to the console (coordinators)."""
    if not await require_role(turn):
        return
    base_url = turn.service.settings.web_url
    if not base_url:
        turn.say("web_not_configured")
        return
    try:
        url = await console.issue_link(turn.tx, actor_of(turn), turn.user, base_url, turn.now)
    except ProgrammeError:
        turn.say("not_allowed")
        return
    turn.say("web_link", url=url, minutes=int(console.LINK_VALIDITY.total_seconds() // 60))


WEB_COMMANDS: dict[str, Handler] = {"web": web_link}
"""The console's chat command, for `bot.conversation.table`."""

__all__ = ["WEB_COMMANDS", "web_link"]
