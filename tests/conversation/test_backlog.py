"""Messages written while the bot was down arrive together: each is answered once, not once each.

Regression for the kill -9 fault test: `/start` nudges queued during a restart made the bot
send the current question once per nudge; the person answered each copy and the later "1"s
were recorded as the answers to the following questions. `Incoming.written_by` (a moment the
user had surely written the message by) tells what they could have seen when writing.
"""

from __future__ import annotations

from datetime import timedelta

from bot.conversation.conversations import Conversations
from bot.flow.state import TextInput
from bot.messages import Command, ConversationKey
from tests.conversation.conftest import Clock, Talker, asked, recorded


async def started(service: Conversations, clock: Clock, who: str) -> Talker:
    """A new user who just sent /start (written now): the language question is asked."""
    talker = Talker(service, ConversationKey("test", who))
    assert asked(await talker.send(Command("start"), written_by=clock.now)) == ["language"]
    return talker


async def test_nudges_written_before_the_question_went_out_get_no_copy(
    service: Conversations, clock: Clock
) -> None:
    talker = Talker(service, ConversationKey("test", "backlog-1"))
    written = clock.now
    clock.advance(seconds=20)  # the bot was down; /start and two nudges waited meanwhile
    assert asked(await talker.send(Command("start"), written_by=written)) == ["language"]
    for nudge in (written + timedelta(seconds=5), written + timedelta(seconds=10)):
        assert (await talker.send(Command("start"), written_by=nudge)).events == []
    clock.advance(seconds=2)
    reply = await talker.send(TextInput("1"), written_by=clock.now)
    assert (recorded(reply), asked(reply)) == (["language"], ["name"])


async def test_a_nudge_written_after_the_question_went_out_gets_it_again(
    service: Conversations, clock: Clock
) -> None:
    start = clock.now
    talker = await started(service, clock, "backlog-2")
    clock.advance(seconds=30)  # nothing came (lost on the way): they ask again
    again = await talker.send(Command("start"), written_by=start + timedelta(seconds=29))
    assert asked(again) == ["language"]
    # ... and one written before that copy went out needs no third copy.
    clock.advance(seconds=5)
    before_the_copy = start + timedelta(seconds=28)
    assert (await talker.send(Command("start"), written_by=before_the_copy)).events == []


async def test_the_previous_answer_again_before_the_next_question_is_a_copy(
    service: Conversations, clock: Clock
) -> None:
    talker = await started(service, clock, "backlog-3")
    clock.advance(seconds=1)
    first = await talker.send(TextInput("1"), written_by=clock.now)
    assert (recorded(first), asked(first)) == (["language"], ["name"])
    # The same "1" a second time, written before the name question was asked.
    twice = await talker.send(TextInput("1 "), written_by=clock.now - timedelta(seconds=0.5))
    assert twice.events == [] and not twice.duplicate
    clock.advance(seconds=3)
    name = await talker.send(TextInput("Ana Lima"), written_by=clock.now)
    assert recorded(name) == ["name"]
    # Written after the question was asked, the same text is an answer like any other.
    clock.advance(seconds=3)
    again = await talker.send(TextInput("Ana Lima"), written_by=clock.now)
    assert again.events and not recorded(again)  # a role is asked: the name is no role


async def test_an_answer_typed_ahead_is_taken(service: Conversations, clock: Clock) -> None:
    talker = await started(service, clock, "backlog-5")
    clock.advance(seconds=1)
    written = clock.now
    assert recorded(await talker.send(TextInput("1"), written_by=written)) == ["language"]
    ahead = await talker.send(TextInput("Koen"), written_by=written)
    assert recorded(ahead) == ["name"]


async def test_without_a_date_the_question_is_always_asked_again(
    service: Conversations, clock: Clock
) -> None:
    talker = Talker(service, ConversationKey("test", "backlog-4"))
    await talker.send(Command("start"))
    clock.advance(seconds=60)
    assert asked(await talker.send(Command("start"))) == ["language"]
    assert recorded(await talker.send(TextInput("1"))) == ["language"]


async def test_the_same_answer_to_two_questions_in_a_row_is_two_answers(
    service: Conversations, clock: Clock
) -> None:
    talker = await started(service, clock, "backlog-7")
    for answer, step in (("1", "language"), ("Ana", "name"), ("1", "role"), ("1", "country")):
        clock.advance(seconds=2)
        assert recorded(await talker.send(TextInput(answer), written_by=clock.now)) == [step]
