"""`lookup`: a municipality by name, fuzzy-matched, new names confirmed before they are kept."""

from __future__ import annotations

from bot.flow.events import AnswerRecorded, AnswerRejected, ConfirmationRequested
from tests.helpers import Talk, make_flow

FLOW = make_flow("""
    id: l
    steps:
      - id: country
        kind: choice
        options_from: countries
        text: Country?
      - id: town
        kind: lookup
        country: country
        text: Municipality?
""")


def test_known_names_aliases_and_typos() -> None:
    talk = Talk(FLOW)
    talk.send("Belgium")
    assert talk.question.hint == "Type the name of the municipality." and not talk.question.options
    talk.send("Louvain")
    assert talk.answers["town"] == "Leuven"
    talk = Talk(FLOW)
    talk.send("Belgium")
    talk.send("Lueven")
    (confirm,) = talk.of(ConfirmationRequested)
    assert confirm.text == "Did you mean “Leuven”?"


def test_a_new_name_is_confirmed_and_kept_as_typed() -> None:
    talk = Talk(FLOW)
    talk.send("Senegal")
    talk.send("Ndiaganiao  & co")
    (confirm,) = talk.of(ConfirmationRequested)
    assert "Ndiaganiao &amp; co" in confirm.text and "new municipality" in confirm.text
    talk.send("yes")
    # the recorded display is the name itself, not the question's wording
    assert talk.of(AnswerRecorded) == [
        AnswerRecorded("town", "lookup", "Ndiaganiao & co", "Ndiaganiao & co")
    ]


def test_too_short_and_no_new_names() -> None:
    flow = make_flow("""
        id: l
        steps:
          - {id: town, kind: lookup, allow_new: false, text: "Municipality?"}
    """)
    talk = Talk(flow)
    talk.send("x")
    assert talk.of(AnswerRejected)
    talk.send("Qwertyville")
    assert talk.of(AnswerRejected)
    talk.send("Dakar")
    assert talk.answers == {"town": "Dakar"}
