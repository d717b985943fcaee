from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.channels.render import (
    Button,
    mark_selection,
    parse_button,
    render,
    render_events,
    split_html,
)
from bot.content import shipped_catalogue
from bot.flow.events import (
    AnswerRecorded,
    ConfirmationRequested,
    MessageCreated,
    Option,
    QuestionAsked,
    SelectionChanged,
)
from bot.flow.state import OptionInput, SubmitInput
from bot.i18n import html_to_plain
from bot.messages import FileOffered, MenuOffered, Notice, Reply, Tap
from tests.fakes.bot_api_html import parse_html

MESSAGES = shipped_catalogue().messages
FRUIT = QuestionAsked(
    step_id="fruit", seq=7, kind="choice", text="Quel <b>fruit</b> ?", hint="Tapez le numéro.",
    options=(Option("apple", "Pomme"), Option("mango", "Mangue & co")), can_go_back=True,
)  # fmt: skip


def test_question_is_numbered_in_the_text_and_carries_buttons() -> None:
    [out] = render(Reply([MessageCreated("Bonjour"), FRUIT], run_id=42), MESSAGES)
    assert out.text.startswith("Bonjour\n\nQuel <b>fruit</b> ?")
    assert "1. Pomme\n2. Mangue & co" in out.text and "<i>Tapez le numéro.</i>" in out.text
    assert out.buttons is not None
    data = [b.data for row in out.buttons for b in row]
    assert data == ["q:42:7:apple", "q:42:7:mango", "q:42:7:~back"]


def test_lite_mode_has_no_keyboards_and_no_edits() -> None:
    reply = Reply([AnswerRecorded("x", "choice", "a", "A"), Notice("ok"), FRUIT], lite=True)
    [out] = render(reply, MESSAGES)
    assert out.buttons is None and out.edit_of is None
    assert "1. Pomme" in out.text


def test_buttons_parse_back_into_inputs() -> None:
    assert parse_button("q:42:7:apple") == (OptionInput(7, "apple"), 42)
    assert parse_button("q:0:3:~y") == (OptionInput(3, "~y"), None)
    assert parse_button("s:42:7") == (SubmitInput(7), 42)
    assert parse_button("f:post2030") == (Tap("f:post2030"), None)
    for garbage in ("", "q:x:1:a", "q:1:2", "zz", "s:1", "x:1"):
        assert parse_button(garbage) is None


def test_multi_select_has_done_button_and_selection_marks() -> None:
    options = (Option("w", "Eau"), Option("e", "Énergie"))
    question = QuestionAsked("goals", 2, "multi", "Thèmes ?", "", options, multiple=True,
                             selected=("e",), done_label="✔ Terminé")  # fmt: skip
    [out] = render(Reply([question], run_id=5), MESSAGES)
    assert out.buttons is not None
    labels = [b.label for row in out.buttons for b in row]
    assert labels == ["Eau", "✅ Énergie", "✔ Terminé"]
    assert out.buttons[-1][0].data == "s:5:2"
    [edit] = render(Reply([SelectionChanged("goals", 2, ("w",))], run_id=5), MESSAGES)
    assert edit.edit_of is not None and edit.edit_of.selected == ("w",)
    remarked = mark_selection(out.buttons, ("w",), 2)
    assert [b.label for row in remarked for b in row] == ["✅ Eau", "Énergie", "✔ Terminé"]
    assert mark_selection(out.buttons, ("w",), 3) == out.buttons  # another question's buttons


def test_confirmation_and_menu() -> None:
    confirm = ConfirmationRequested("m", 4, "Vouliez-vous dire <b>Gent</b> ?", "Oui", "Non")
    options = (Option("f:post2030", "Après 2030"), Option("c:results", "Résultats"))
    menu = MenuOffered("Menu", options)
    first, second = render(Reply([confirm, menu], run_id=9), MESSAGES)
    assert first.buttons == [[Button("Oui", "q:9:4:~y"), Button("Non", "q:9:4:~n")]]
    assert "1. Après 2030\n2. Résultats" in second.text
    assert second.numbered == ("f:post2030", "c:results")


def test_files_and_long_captions() -> None:
    reply = Reply([FileOffered("data.json", b"{}", "x" * 1500, "application/json")])
    caption, document = render(reply, MESSAGES)
    assert caption.attachment is None and document.attachment is not None
    assert document.attachment.filename == "data.json" and document.text == ""


def test_nothing_for_a_duplicate() -> None:
    assert render(Reply([Notice("x")], duplicate=True), MESSAGES) == []


def test_long_texts_are_split_below_the_limit_with_tags_balanced() -> None:
    paragraph = "<b>" + ("mot &amp; autre " * 40) + "</b>"
    text = "\n\n".join([paragraph] * 30) + "\n<pre>" + "ligne\n" * 900 + "</pre>"
    pieces = split_html(text)
    assert len(pieces) > 3
    for piece in pieces:
        assert len(piece) <= 4096
        parse_html(piece)  # Telegram's rules: balanced tags, valid entities
    assert html_to_plain("".join(pieces)).count("ligne") == 900


def test_merged_long_question_keeps_keyboard_on_the_last_piece() -> None:
    outs = render_events([MessageCreated("a" * 3000), MessageCreated("b" * 3000), FRUIT], lang="fr",
                         lite=False, run_id=1, messages=MESSAGES)  # fmt: skip
    assert len(outs) >= 2 and all(o.buttons is None for o in outs[:-1]) and outs[-1].buttons


@given(st.text(alphabet="ab <>&\n", max_size=9000))
def test_split_never_exceeds_the_limit(raw: str) -> None:
    from bot.i18n import escape

    for piece in split_html(escape(raw)):
        assert 0 < len(piece) <= 4000


@pytest.mark.parametrize("option_id", ["a" * 40, "é" * 20])
def test_button_data_stays_within_64_bytes(option_id: str) -> None:
    question = QuestionAsked("s", 99999, "choice", "?", "", (Option(option_id, "x"),))
    [out] = render(Reply([question], run_id=2_000_000_000), MESSAGES)
    assert out.buttons and all(len(b.data.encode()) <= 64 for row in out.buttons for b in row)
