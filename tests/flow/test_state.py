"""`RunState.copied`: the engine's quick deep copy is equal to pydantic's and shares nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from bot.flow.state import Pending, RunState

NOW = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def a_state() -> RunState:
    return RunState(
        flow_id="sdg_assessment",
        flow_version="3",
        lang="fr",
        current="levels",
        seq=7,
        answers={
            "goals": [13, 11],
            "when": date(2027, 3, 1),
            "budget": Decimal("12.5"),
            "scores": {"13": {"internal": 2, "local": [1, 3]}},
        },
        displays={"goals": "ODD 13, ODD 11"},
        vars={"__loop": {"items": [13, 11], "index": 1}, "__positions": {"goals": {"loop": None}}},
        history=["path", "goals"],
        pending=Pending(selection=["a", "c"]),
        context={"user": {"name": "Ana"}, "lite": False},
        started_at=NOW,
        updated_at=NOW,
        waiting_since=NOW,
        last_text="13 11",
    )


def test_a_copy_is_equal_to_pydantics_deep_copy() -> None:
    state = a_state()
    copy = state.copied()
    assert copy == state.model_copy(deep=True)
    assert copy.model_dump(mode="json") == state.model_dump(mode="json")
    assert copy.model_fields_set == state.model_fields_set


def test_changing_the_copy_leaves_the_original_as_it_was() -> None:
    state = a_state()
    before = state.model_dump(mode="json")
    copy = state.copied()
    copy.answers["goals"].append(6)
    copy.answers["scores"]["13"]["local"].append(4)
    copy.vars["__loop"]["index"] = 2
    copy.history.append("levels")
    assert copy.pending is not None and copy.pending.selection is not None
    copy.pending.selection.append("d")
    copy.context["user"]["name"] = "Koen"
    assert state.model_dump(mode="json") == before


def test_values_of_other_types_are_copied_too() -> None:
    state = a_state()
    state.vars["seen"] = {"a", "b"}  # not JSON-like: falls back to copy.deepcopy
    copy = state.copied()
    copy.vars["seen"].add("c")
    assert state.vars["seen"] == {"a", "b"}
