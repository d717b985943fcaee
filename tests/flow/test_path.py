"""`questions(start, stop)`: the count of questions a text announces is computed from the flow."""

from __future__ import annotations

from bot.flow.events import MessageCreated
from bot.flow.path import questions_on_path
from bot.flow.runtime import Runtime
from tests.helpers import NOW, Talk, catalogue, make_flow, shipped_flow

FLOW = make_flow("""
    id: counted
    steps:
      - id: intro
        kind: message
        text: "{{ questions('name') }} questions, {{ questions('name', 'goals') }} before goals."
      - id: name
        kind: text
        text: Name?
      - id: known
        kind: yesno
        text: Known?
      - id: why
        kind: text
        when: known == false
        text: Why not?
      - id: goals
        kind: sdg
        max: 3
        text: Goals?
      - id: score
        kind: scale
        for_each: goals
        labels: {0: None, 4: All}
        text: Score?
      - id: last
        kind: yesno
        text: Done?
""")


def test_the_count_follows_the_path_whens_and_repeated_blocks() -> None:
    talk = Talk(FLOW)
    intro = talk.of(MessageCreated)[0].text
    # name, known, goals, up to 3 scores (one per goal chosen), last; "why" is asked only
    # after a "no", which the count cannot know yet: left out.
    assert intro == "7 questions, 2 before goals."


def test_the_count_of_a_repeated_block_follows_the_answer_once_given() -> None:
    talk = Talk(FLOW)
    talk.send("Ana")
    talk.send("no")
    talk.send("Because")
    talk.send("16")
    rt = Runtime(FLOW, catalogue(), talk.state, NOW)
    assert questions_on_path(rt, "score") == 2  # one goal chosen: one score, then "last"


def test_shipped_announcements_match_the_questions_asked() -> None:
    post2030 = shipped_flow("post2030")
    asked = [step for step in post2030.order if post2030.steps[step].waits]
    talk = Talk(post2030, "en")
    intro = talk.of(MessageCreated)[0].text
    assert f"{len(asked)} short questions" in intro
