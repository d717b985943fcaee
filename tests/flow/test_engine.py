"""The engine: starting, answering, refusing, confirming, going back, skipping, loops, endings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.flow import engine
from bot.flow.events import (
    AnswerRecorded,
    AnswerRejected,
    ConfirmationRequested,
    MessageCreated,
    QuestionAsked,
    RunCancelled,
    RunCompleted,
    RunExpired,
    SelectionChanged,
    StaleInputIgnored,
    WentBack,
)
from bot.flow.state import BackInput, OptionInput, SubmitInput, TextInput
from tests.helpers import NOW, Talk, catalogue, make_flow, roundtrip

BASIC = make_flow("""
    id: basic
    expire_after: 2d
    steps:
      - id: hello
        kind: message
        text: "Hello {{ user.name }}"
      - id: color
        kind: choice
        text: Which color?
        options:
          - {id: red, label: Red, synonyms: [rouge]}
          - {id: blue, label: Blue}
      - id: count
        kind: number
        text: How many?
        min: 1
        max: 10
      - id: note
        kind: text
        optional: true
        text: Any comment?
      - id: bye
        kind: summary
        text: "{{ display('color') }} × {{ count }}{% if note %} ({{ note }}){% endif %}"
""")


def test_start_says_the_messages_then_asks_the_first_question() -> None:
    talk = Talk(BASIC)
    hello, question = talk.events
    assert hello == MessageCreated("Hello Ana Peeters", step_id="hello")
    assert isinstance(question, QuestionAsked)
    assert (question.step_id, question.seq, question.kind) == ("color", 1, "choice")
    assert [o.id for o in question.options] == ["red", "blue"]
    assert question.can_go_back is False
    state = talk.state
    assert (state.status, state.current, state.seq, state.lang) == ("active", "color", 1, "en")
    assert state.waiting_since == NOW and state.started_at == NOW
    assert (state.flow_id, state.flow_version) == ("basic", "1")
    assert state.flow_checksum == BASIC.checksum


def test_a_whole_run() -> None:
    talk = Talk(BASIC)
    talk.tap("blue")
    assert talk.of(AnswerRecorded) == [AnswerRecorded("color", "choice", "blue", "Blue")]
    assert talk.question.step_id == "count" and talk.question.seq == 2
    assert talk.question.can_go_back
    talk.send("3")
    talk.send("Tout va bien & <ok>")
    summary, done = talk.events[-2:]
    assert summary == MessageCreated(
        "Blue × 3 (Tout va bien &amp; &lt;ok&gt;)", step_id="bye", is_result=True
    )
    assert isinstance(done, RunCompleted)
    state = talk.state
    assert (state.status, state.current, state.completed_at, state.waiting_since) == (
        "completed",
        None,
        NOW,
        None,
    )
    assert state.answers == {"color": "blue", "count": 3, "note": "Tout va bien & <ok>"}
    assert talk.send("more") == []  # a finished run ignores input


def test_a_refused_answer_asks_the_same_question_again() -> None:
    talk = Talk(BASIC)
    events = talk.send("green")
    rejected, question = events
    assert isinstance(rejected, AnswerRejected) and rejected.step_id == "color"
    assert "green" in rejected.reason and "1. Red" in rejected.reason
    assert question.step_id == "color" and question.seq == 1  # same asking: buttons stay valid
    talk.tap("red")
    assert talk.answers == {"color": "red"}


def test_typed_numbers_labels_and_synonyms() -> None:
    for typed, value in [("2", "blue"), ("BLUE", "blue"), ("rouge", "red"), (" red ", "red")]:
        talk = Talk(BASIC)
        talk.send(typed)
        assert talk.answers == {"color": value}, typed


def test_control_characters_are_dropped_and_long_pastes_cut() -> None:
    talk = Talk(BASIC)
    talk.tap("red")
    talk.send("4")
    talk.send("x" * 5000)
    (rejected, _) = talk.events
    assert isinstance(rejected, AnswerRejected)
    assert "4096" in rejected.reason  # cut to 4096 characters, then over the 500 limit
    talk.send("  ok\x00\x07 fine  ")
    assert talk.answers["note"] == "ok fine"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("oui", True), ("yes", True), ("1", True), ("no", False), ("nee", False), ("2", False)],
)
def test_did_you_mean_confirmed_or_declined_by_typing(typed: str, expected: bool) -> None:
    talk = Talk(
        make_flow("""
        id: dym
        steps:
          - id: place
            kind: lookup
            text: Where?
    """)
    )
    talk.send("Lueven")
    (confirm,) = talk.events
    assert isinstance(confirm, ConfirmationRequested)
    assert confirm.text == "Did you mean “Leuven”?" and confirm.seq == talk.state.seq
    assert talk.state.pending is not None and talk.state.pending.confirm == "Leuven"
    talk.send(typed)
    if expected:
        assert talk.answers == {"place": "Leuven"} and talk.state.status == "completed"
    else:
        rejected, question = talk.events
        assert isinstance(rejected, AnswerRejected) and "try again" in rejected.reason
        assert question.step_id == "place" and talk.state.pending is None


def test_did_you_mean_buttons_and_a_new_answer_instead() -> None:
    flow = make_flow("""
        id: dym
        steps:
          - id: place
            kind: lookup
            text: Where?
    """)
    talk = Talk(flow)
    talk.send("Lueven")
    talk.tap(engine.CONFIRM_YES)
    assert talk.answers == {"place": "Leuven"}
    talk = Talk(flow)
    talk.send("Lueven")
    talk.tap(engine.CONFIRM_NO)
    assert isinstance(talk.events[0], AnswerRejected)
    talk.send("Lueven")
    talk.send("Tarija")  # neither yes nor no: read as a new answer
    assert talk.answers == {"place": "Tarija"}


def test_stale_buttons_are_ignored() -> None:
    talk = Talk(BASIC)
    talk.tap("red")
    old = talk.state.seq - 1
    stale, question = talk.send(OptionInput(old, "blue"))
    assert isinstance(stale, StaleInputIgnored) and "closed" in stale.text
    assert question.step_id == "count"
    assert talk.answers == {"color": "red"}
    assert isinstance(talk.send(SubmitInput(old))[0], StaleInputIgnored)


def test_back_goes_to_the_previous_question_and_forgets_its_answer() -> None:
    talk = Talk(BASIC)
    talk.tap("red")
    went, question = talk.back()
    assert went == WentBack("count", "color")
    assert question.step_id == "color" and question.seq == 3
    assert talk.answers == {} and talk.state.history == []
    talk.tap("blue")
    talk.send("retour")  # typed, in any language
    assert talk.question.step_id == "color"
    talk.tap(engine.BACK)  # the back button
    assert isinstance(talk.events[0], AnswerRejected)  # nothing before the first question
    assert "can’t go back" in talk.events[0].reason


def test_back_is_an_answer_on_a_text_question() -> None:
    talk = Talk(BASIC)
    talk.tap("red")
    talk.send("2")
    talk.send("back")
    assert talk.state.answers["note"] == "back"


def test_back_forbidden_by_the_step_or_the_flow() -> None:
    for flag in ("back: false", "allow_back: false"):
        step_flag, flow_flag = (flag, "") if flag.startswith("back") else ("", flag)
        talk = Talk(
            make_flow(f"""
            id: noback
            {flow_flag}
            steps:
              - id: a
                kind: yesno
                text: A?
              - id: b
                kind: yesno
                text: B?
                {step_flag}
        """)
        )
        talk.tap("yes")
        assert talk.question.can_go_back is False
        rejected, question = talk.back()
        assert isinstance(rejected, AnswerRejected) and question.step_id == "b"


def test_skipping_an_optional_question() -> None:
    for skip in ("skip", "Passer", "overslaan", "omitir", "-", engine.SKIP):
        talk = Talk(BASIC)
        talk.tap("red")
        talk.send("2")
        assert "(or “skip”)" in talk.question.hint
        if skip == engine.SKIP:
            talk.tap(skip)
        else:
            talk.send(skip)
        recorded = talk.of(AnswerRecorded)
        assert recorded == [AnswerRecorded("note", "text", None, "—")], skip
        assert talk.state.status == "completed"


def test_skip_words_are_answers_when_the_question_is_not_optional() -> None:
    talk = Talk(BASIC)
    talk.send("skip")
    assert isinstance(talk.events[0], AnswerRejected)
    talk.tap(engine.SKIP)
    assert isinstance(talk.events[0], AnswerRejected)


def test_expiry() -> None:
    talk = Talk(BASIC)
    assert not engine.is_expired(BASIC, talk.state, NOW + timedelta(days=2))
    assert engine.is_expired(BASIC, talk.state, NOW + timedelta(days=2, seconds=1))
    sprint = engine.resume(
        BASIC, catalogue(), talk.state, TextInput("red"), now=NOW + timedelta(days=3)
    )
    (expired,) = sprint.events
    assert isinstance(expired, RunExpired) and "Test" in expired.text
    assert sprint.state.status == "expired" and sprint.state.current is None
    assert sprint.state.answers == {}


def test_cancel() -> None:
    talk = Talk(BASIC)
    talk.tap("red")
    sprint = engine.cancel(BASIC, catalogue(), talk.state, now=NOW)
    (cancelled,) = sprint.events
    assert isinstance(cancelled, RunCancelled) and "“Test” was cancelled" in cancelled.text
    assert sprint.state.status == "cancelled" and sprint.state.answers == {"color": "red"}
    assert talk.state.status == "active"  # the engine never changes the state it was given
    assert engine.cancel(BASIC, catalogue(), sprint.state, now=NOW).events == []


def test_ask_again_and_render_helpers() -> None:
    talk = Talk(BASIC)
    talk.tap("blue")
    (question,) = engine.ask_again(BASIC, catalogue(), talk.state, now=NOW).events
    assert isinstance(question, QuestionAsked)
    assert question.step_id == "count" and question.seq == talk.state.seq
    talk.send("2")
    talk.send("skip")
    assert engine.render_step(BASIC, catalogue(), talk.state, "bye", now=NOW) == "Blue × 2"
    assert engine.render_step(BASIC, catalogue(), talk.state, "nope", now=NOW) == ""
    assert engine.ask_again(BASIC, catalogue(), talk.state, now=NOW).events == []


def test_render_text_binds_extra_names() -> None:
    flow = make_flow("""
        id: named
        texts:
          mirror: "{{ partner }}: {{ score }}"
        steps:
          - id: score
            kind: number
            text: Score?
    """)
    talk = Talk(flow)
    talk.send("7")
    assert (
        engine.render_text(flow, catalogue(), talk.state, "mirror", now=NOW, partner="Tarija")
        == "Tarija: 7"
    )


LOOP = make_flow("""
    id: loop
    steps:
      - id: goals
        kind: sdg
        max: 3
        text: Goals?
      - id: now
        kind: scale
        for_each: goals
        until: aim
        labels: {0: none, 4: full}
        text: "Today for {{ sdg_short(item) }}?"
      - id: aim
        kind: scale
        labels: {0: none, 4: full}
        text: "Ambition for {{ sdg_short(item) }}?"
      - id: after
        kind: summary
        text: "{{ group('now') }} {{ group('aim') }}"
""")


def test_a_repeated_block_asks_once_per_item() -> None:
    talk = Talk(LOOP)
    talk.send("16, 11")
    asked = [talk.question.step_id]
    for answer in ("1", "3", "2", "4"):
        talk.send(answer)
        if talk.state.is_active:
            asked.append(talk.question.step_id)
    assert asked == ["now_16", "aim_16", "now_11", "aim_11"]
    assert talk.answers == {"goals": [16, 11], "now_16": 1, "aim_16": 3, "now_11": 2, "aim_11": 4}
    assert talk.events[-2].text == "{16: 1, 11: 2} {16: 3, 11: 4}"
    assert "__loop" not in talk.state.vars


def test_back_inside_a_repeated_block_returns_to_the_right_item() -> None:
    talk = Talk(LOOP)
    talk.send("16, 11")
    talk.send("1")  # now_16
    talk.send("3")  # aim_16
    assert talk.question.step_id == "now_11"
    went, question = talk.back()
    assert went == WentBack("now_11", "aim_16")
    assert question.step_id == "aim_16" and "SDG 16" in question.text
    talk.back()
    assert talk.question.step_id == "now_16"
    talk.back()
    assert talk.question.step_id == "goals"
    assert talk.answers == {}
    talk.send("13")
    talk.send("4")
    talk.send("4")
    assert talk.answers == {"goals": [13], "now_13": 4, "aim_13": 4}
    assert talk.state.status == "completed"


def test_back_position_survives_the_same_sprint_moving_on() -> None:
    # Without a JSON round trip: the position kept for "back" must not follow the live loop.
    state = engine.start(LOOP, catalogue(), lang="en", now=NOW, context={}).state
    for text in ("16, 11", "1", "3"):
        state = engine.resume(LOOP, catalogue(), state, TextInput(text), now=NOW).state
    sprint = engine.resume(LOOP, catalogue(), state, BackInput(), now=NOW)
    question = sprint.events[-1]
    assert isinstance(question, QuestionAsked) and question.step_id == "aim_16"


def test_an_empty_list_skips_the_block() -> None:
    flow = make_flow("""
        id: empty
        steps:
          - id: pick
            kind: multi
            min: 0
            text: Pick
            options: [{id: a, label: A}, {id: b, label: B}]
          - id: each
            kind: yesno
            for_each: pick
            text: "{{ item }}?"
          - id: end_note
            kind: message
            text: Done
    """)
    talk = Talk(flow)
    talk.submit()
    assert talk.events[-2] == MessageCreated("Done", step_id="end_note")
    talk = Talk(flow)
    talk.send("1, 2")
    assert talk.question.step_id == "each_a"


def test_a_skipped_branch_goes_on_without_evaluating_its_cases() -> None:
    flow = make_flow("""
        id: skipped_branch
        steps:
          - id: ok
            kind: yesno
            text: Ok?
          - id: route
            kind: branch
            when: not ok
            cases:
              - when: true
                next: detour
          - id: straight
            kind: message
            text: Straight on
            next: end
          - id: detour
            kind: message
            text: Detour
    """)
    talk = Talk(flow)
    talk.tap("yes")
    assert [e.text for e in talk.of(MessageCreated)] == ["Straight on"]
    talk = Talk(flow)
    talk.tap("no")
    assert [e.text for e in talk.of(MessageCreated)] == ["Detour"]


COLLECT = make_flow("""
    id: heroes
    steps:
      - id: name
        kind: text
        text: Name?
      - id: sdg
        kind: sdg
        text: Goal?
      - id: keep
        kind: collect
        into: heroes
        fields: [name, sdg]
      - id: more
        kind: yesno
        text: "{{ len(heroes) }} so far. Another?"
      - id: again
        kind: branch
        cases:
          - when: more
            next: name
      - id: done
        kind: summary
        text: "{% for h in heroes %}{{ h.name }} ({{ h.sdg }}) {% endfor %}"
""")


def test_collect_rounds() -> None:
    talk = Talk(COLLECT)
    talk.send("Ana")
    talk.send("5")
    keep = talk.of(AnswerRecorded)[-1]
    assert keep == AnswerRecorded("keep", "collect", [{"name": "Ana", "sdg": 5}], "1")
    assert "name" not in talk.answers and "sdg" not in talk.answers
    assert talk.question.text == "1 so far. Another?"
    talk.tap("yes")
    assert talk.question.step_id == "name"
    talk.send("Bob")
    talk.send("13")
    talk.tap("no")
    assert talk.state.vars["heroes"] == [{"name": "Ana", "sdg": 5}, {"name": "Bob", "sdg": 13}]
    assert talk.events[-2].text == "Ana (5) Bob (13)"


def test_back_past_a_collect_takes_the_record_back() -> None:
    talk = Talk(COLLECT)
    talk.send("Ana")
    talk.send("5")
    assert talk.question.step_id == "more"
    events = talk.back()
    assert events[0] == AnswerRecorded("keep", "collect", [], "0")
    assert events[1] == WentBack("more", "sdg")
    assert talk.question.step_id == "sdg"
    assert talk.answers == {"name": "Ana"} and talk.state.vars["heroes"] == []
    talk.send("6")
    talk.tap("no")
    assert talk.state.vars["heroes"] == [{"name": "Ana", "sdg": 6}]  # kept once, not twice


def test_back_through_two_collected_rounds() -> None:
    talk = Talk(COLLECT)
    for text in ("Ana", "5"):
        talk.send(text)
    talk.tap("yes")
    for text in ("Bob", "13"):
        talk.send(text)
    talk.back()  # from "more" (2): Bob's record comes back out, asks his goal again
    talk.back()  # Bob's name
    talk.back()  # "more" of round 1
    assert talk.question.step_id == "more" and talk.question.text == "1 so far. Another?"
    talk.tap("no")
    assert talk.state.vars["heroes"] == [{"name": "Ana", "sdg": 5}]


def test_saves_to_updates_the_context_at_once() -> None:
    flow = make_flow("""
        id: profile
        languages: [fr, en]
        title: {fr: Profil, en: Profile}
        steps:
          - id: name
            kind: text
            saves_to: user.name
            text: {fr: "Nom ?", en: "Name?"}
          - id: lang
            kind: choice
            options_from: languages
            saves_to: user.language
            text: {fr: "Langue ?", en: "Language?"}
          - id: bye
            kind: message
            text: {fr: "Merci {{ user.name }}", en: "Thanks {{ user.name }}"}
    """)
    talk = Talk(flow, "en")
    talk.send("Jan")
    assert talk.of(AnswerRecorded)[0].saves_to == "user.name"
    assert talk.state.context["user"]["name"] == "Jan"
    assert [o.id for o in talk.question.options][:1] == ["en"]  # the current language first
    talk.send("Français")
    recorded, message, _ = talk.events
    assert recorded == AnswerRecorded("lang", "choice", "fr", "Français", "user.language")
    assert talk.state.lang == "fr" and talk.state.context["user"]["lang"] == "fr"
    assert message.text == "Merci Jan"


def test_language_switch_mid_run_changes_the_next_question() -> None:
    flow = make_flow("""
        id: switch
        languages: [nl, en]
        title: {nl: Wissel, en: Switch}
        steps:
          - id: lang
            kind: choice
            options_from: languages
            saves_to: user.language
            text: {nl: "Taal?", en: "Language?"}
          - id: ok
            kind: yesno
            text: {nl: "Klaar?", en: "Ready?"}
    """)
    talk = Talk(flow, "en")
    talk.tap("nl")
    assert talk.question.text == "Klaar?" and talk.question.hint == "Ja of nee?"
    assert [o.label for o in talk.question.options] == ["Ja", "Nee"]


def test_multi_selection_by_buttons_survives_a_refused_done() -> None:
    flow = make_flow("""
        id: multi
        steps:
          - id: pick
            kind: multi
            min: 2
            text: Pick two or more
            options: [{id: a, label: A}, {id: b, label: B}, {id: c, label: C}]
    """)
    talk = Talk(flow)
    (changed,) = talk.tap("a")
    assert changed == SelectionChanged("pick", 1, ("a",))
    rejected, question = talk.submit()
    assert isinstance(rejected, AnswerRejected)
    assert question.selected == ("a",)  # the toggled button is still on
    talk.tap("c")
    talk.submit()
    assert talk.answers == {"pick": ["a", "c"]}


def test_state_is_json_serialisable_at_every_point() -> None:
    talk = Talk(COLLECT)
    for text in ("Ana", "5"):
        talk.send(text)
        assert roundtrip(talk.state) == talk.state


def test_asked_at_is_when_the_question_last_went_out_waiting_since_when_first() -> None:
    from datetime import timedelta

    talk = Talk(BASIC)
    assert talk.state.asked_at == talk.state.waiting_since == NOW
    later = NOW + timedelta(minutes=3)
    again = engine.ask_again(BASIC, catalogue(), talk.state, now=later)
    assert again.state.asked_at == later and again.state.waiting_since == NOW
    assert talk.state.asked_at == NOW  # the engine never changes the state it was given
    assert roundtrip(again.state).asked_at == later
