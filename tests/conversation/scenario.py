"""Drive the shipped flows with chosen answers where they matter, plausible ones elsewhere.

`autopilot` answers every question alike; a scenario names the answers a test cares about
(``{"path": ["full"], "hero_name": ["Ada", "Bo", "Cy"]}``), given in turn each time that
step is asked (typed as text, or the option id for a button), and leaves the rest to autopilot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.flow.events import ConfirmationRequested, QuestionAsked
from bot.flow.state import OptionInput, TextInput
from bot.messages import Command, Reply
from tests.conversation.autopilot import answer
from tests.conversation.conftest import Talker


async def play(
    talker: Talker,
    command: str,
    chosen: Mapping[str, Sequence[str]],
    *,
    score: int = 3,
    limit: int = 400,
) -> Reply:
    """Start `command` and answer until the flow ends; returns the last reply."""
    queues = {step: list(values) for step, values in chosen.items()}
    seen: set[str] = set()
    reply = await talker.send(Command(command))
    for _ in range(limit):
        if any(isinstance(e, ConfirmationRequested) for e in reply.events):
            reply = await talker.send(TextInput("oui"))
            continue
        asked = [e for e in reply.events if isinstance(e, QuestionAsked)]
        if not asked:
            return reply
        question = asked[-1]
        queue = queues.get(question.step_id)
        if queue:
            value = queue.pop(0)
            if any(o.id == value for o in question.options):
                reply = await talker.send(OptionInput(question.seq, value), run_id=reply.run_id)
            else:
                reply = await talker.send(TextInput(value))
        else:
            reply = await answer(
                talker, reply, question, score=score, repeat=question.step_id in seen
            )
        seen.add(question.step_id)
    raise AssertionError("the flow did not end")


HEROES = ["Ada School", "Bo Cooperative", "<script>alert(1)</script>"]
WEEK_THREE_HEROES: dict[str, list[str]] = {
    "register": ["yes"],
    "hero_more": ["yes", "yes", "yes", "no"],
    "hero_name": HEROES,
    "hero_consent": ["yes", "yes", "yes"],
    "act_more": ["no"],
}
"""A Week registration naming three heroes, all with consent."""


async def herent_year(talker: Talker) -> None:
    """A quick and a full self-assessment, a post-2030 run and a Week with three heroes."""
    await play(talker, "assess", {"path": ["quick"]})
    await play(
        talker,
        "assess",
        {
            "path": ["full"],
            "more_focus": ["cont"],
            "more_people": ["cont"],
            "more_planet": ["cont"],
        },
    )
    await play(talker, "post2030", {"plan_end": ["2031"]})
    await play(talker, "week", WEEK_THREE_HEROES)
