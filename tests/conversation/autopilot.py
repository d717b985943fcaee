"""Answer whatever question a flow asks with a plausible answer, to drive whole flows in tests."""

from __future__ import annotations

from bot.flow.events import ConfirmationRequested, QuestionAsked
from bot.flow.state import OptionInput, SubmitInput, TextInput
from bot.messages import Reply
from tests.conversation.conftest import Talker

TYPED = {"number": "3", "text": "Ça avance bien", "date": "20/09/2027", "lookup": "Herent"}


async def answer(
    talker: Talker, reply: Reply, question: QuestionAsked, *, score: int = 3, repeat: bool = False
) -> Reply:
    """Send one plausible answer to `question`; `repeat` says whether it was asked before.

    Yes/no questions get "yes" the first time and "no" when asked again, so loops such as "add
    another hero?" end.
    """
    run_id = reply.run_id
    if question.kind == "ratings":
        count = len({o.id.split("=")[0] for o in question.options})
        return await talker.send(TextInput(" ".join([str(min(score, 4))] * count)))
    if question.kind in {"scale"}:
        middle = question.options[min(score, len(question.options) - 1)].id
        return await talker.send(OptionInput(question.seq, middle), run_id=run_id)
    if question.kind == "yesno":
        choice = "no" if repeat else "yes"
        return await talker.send(OptionInput(question.seq, choice), run_id=run_id)
    if question.multiple:
        await talker.send(OptionInput(question.seq, question.options[0].id), run_id=run_id)
        return await talker.send(SubmitInput(question.seq), run_id=run_id)
    if question.options:
        return await talker.send(OptionInput(question.seq, question.options[0].id), run_id=run_id)
    return await talker.send(TextInput(TYPED.get(question.kind, "3")))


async def run_to_end(talker: Talker, reply: Reply, *, score: int = 3, limit: int = 400) -> Reply:
    """Answer questions until the reply asks nothing more; returns the last reply."""
    seen: set[str] = set()
    for _ in range(limit):
        if any(isinstance(e, ConfirmationRequested) for e in reply.events):
            reply = await talker.send(TextInput("oui"))
            continue
        asked = [e for e in reply.events if isinstance(e, QuestionAsked)]
        if not asked:
            return reply
        step = asked[-1].step_id
        reply = await answer(talker, reply, asked[-1], score=score, repeat=step in seen)
        seen.add(step)
    raise AssertionError("the flow did not end")
