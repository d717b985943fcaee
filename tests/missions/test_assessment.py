"""Tests for the SDG self-assessment snapshots: profiles, both paths, rebuilding old runs."""

from __future__ import annotations

import pytest

from bot.missions import FUNCTIONS
from bot.missions.assessment import (
    QUICK_QUESTIONS,
    assessment_full_snapshot,
    assessment_profile,
    assessment_quick_snapshot,
    quick_snapshot,
    snapshot_from_answers,
)
from bot.missions.assessment_advice import (
    assessment_change,
    assessment_gaps,
    assessment_strengths,
)
from tests.missions.assessment_answers import lv, quick

# --- profile -------------------------------------------------------------------------------------


def test_profile_averages_per_goal_pillar_and_level() -> None:
    profile = assessment_profile(
        {16: lv(2, 3, 1), 1: lv(0, 2, 0), 5: lv(4, 4, 4)},
        {16: lv(3, 4, 2)},
    )
    assert profile["goals"]["16"]["today"] == 2.0
    assert profile["goals"]["16"]["ambition"] == 3.0
    assert profile["goals"]["1"]["ambition"] is None
    # people = mean of goals 1 (0.67) and 5 (4.0); each goal weighs the same
    assert profile["p_today"]["people"] == pytest.approx(2.33, abs=0.01)
    assert profile["p_today"]["peace"] == 2.0
    assert profile["p_today"]["planet"] is None
    assert profile["level_today"] == {"internal": 2.0, "local": 3.0, "global": 1.67}
    assert profile["level_ambition"] == {"internal": 3.0, "local": 4.0, "global": 2.0}
    assert profile["answered"] == 3
    assert list(profile["p_today"]) == ["people", "planet", "prosperity", "peace", "partnership"]


def test_profile_merges_one_group_per_block_and_accepts_string_keys() -> None:
    profile = assessment_profile([{"16": lv(2, 2, 2)}, {11: lv(4, 4, 4)}, None, {}], None)
    assert profile["goals"]["16"]["today"] == 2.0
    assert profile["goals"]["11"]["today"] == 4.0
    assert profile["p_today"]["prosperity"] == 4.0


def test_profile_of_plain_numbers_has_no_levels() -> None:
    profile = assessment_profile({13: 1}, {13: 4})
    assert profile["goals"]["13"]["today"] == 1.0
    assert profile["p_ambition"]["planet"] == 4.0
    assert profile["level_today"] == {"internal": None, "local": None, "global": None}


def test_profile_ignores_keys_that_are_not_goals_and_bool_scores() -> None:
    profile = assessment_profile({18: lv(1, 1, 1), "x": lv(1, 1, 1), 3: {"internal": True}})
    assert set(profile["goals"]) == {"3"}
    assert profile["goals"]["3"]["today"] is None
    assert profile["answered"] == 0


def test_profile_of_nothing() -> None:
    profile = assessment_profile(None, None)
    assert profile["goals"] == {}
    assert set(profile["p_today"].values()) == {None}
    assert profile["answered"] == 0


# --- snapshots -----------------------------------------------------------------------------------


def test_quick_snapshot_scores_the_dimensions_on_0_to_4() -> None:
    snap = quick_snapshot(
        quick(
            council="prep",
            coordination="person",
            baselines="base",
            monitoring="adhoc",
            participation="inform",
            reporting="internal",
        )
    )
    assert snap["path"] == "quick"
    assert snap["dims"] == {
        "commitment": 2,
        "awareness": 3.0,
        "coordination": 2,
        "planning": 4,
        "measuring": 1.5,  # mean of baselines (2) and monitoring (1)
        "participation": 0.8,
        "communication": 4,
        "reporting": 2,
    }


def test_quick_snapshot_levels_come_from_footprint_priorities_and_action_abroad() -> None:
    snap = quick_snapshot(quick(beyond=["twin", "network", "fair", "educ"]))
    assert snap["level_today"] == {"internal": 2.67, "local": 3.0, "global": 4.0}  # capped at 4
    assert snap["level_ambition"] == {"internal": None, "local": 3.5, "global": None}
    assert snap["p_today"]["peace"] == 3.0
    assert snap["p_ambition"]["peace"] == 4.0
    assert snap["p_today"]["people"] is None
    assert snap["focus_goals"] == [16, 11]


def test_quick_snapshot_distinguishes_nothing_abroad_from_not_answered() -> None:
    assert quick_snapshot(quick(beyond=["none"]))["level_today"]["global"] == 0.0
    assert quick_snapshot(quick(beyond=None))["level_today"]["global"] is None


def test_quick_snapshot_of_nothing_answered() -> None:
    snap = quick_snapshot({})
    assert set(snap["dims"].values()) == {None}
    assert snap["goals"] == {}
    assert snap["focus_goals"] == []
    assert snap["answered"] == 0
    assert assessment_gaps(snap) == []
    assert assessment_strengths(snap) == {"dims": [], "goals": [], "level": None, "p": None}


def test_quick_snapshot_clamps_awareness_and_ignores_unknown_options() -> None:
    snap = quick_snapshot(quick(awareness=7, council="maybe"))
    assert snap["dims"]["awareness"] == 4.0
    assert snap["dims"]["commitment"] is None


def test_flow_wrapper_takes_the_answers_in_question_order() -> None:
    answers = quick()
    assert assessment_quick_snapshot(*(answers[q] for q in QUICK_QUESTIONS)) == quick_snapshot(
        answers
    )
    with pytest.raises(ValueError, match="expected 15 answers"):
        assessment_quick_snapshot("yes", 3)


def test_full_snapshot_focus_goals_are_the_highest_ambitions() -> None:
    snap = assessment_full_snapshot(
        [{16: lv(1, 1, 1), 11: lv(2, 2, 2)}, {13: lv(0, 0, 0), 5: lv(1, 1, 1)}],
        [{16: lv(3, 3, 3), 11: lv(3, 3, 3)}, {13: lv(3, 3, 3), 5: lv(2, 2, 2)}],
    )
    assert snap["path"] == "full"
    # 16, 11 and 13 all aim at 3: the bigger gap first (13: 3, 16: 2, 11: 1)
    assert snap["focus_goals"] == [13, 16, 11]
    assert snap["dims"] == {}
    assert snap["answered"] == 4


def test_full_snapshot_of_one_goal_only() -> None:
    snap = assessment_full_snapshot([{17: lv(1, 2, 3)}], [{17: lv(2, 2, 4)}])
    assert snap["p_today"] == {
        "people": None, "planet": None, "prosperity": None, "peace": None, "partnership": 2.0,
    }  # fmt: skip
    assert snap["level_today"] == {"internal": 1.0, "local": 2.0, "global": 3.0}
    assert snap["focus_goals"] == [17]
    assert assessment_gaps(snap) == [
        {"goal": 17, "today": 2.0, "ambition": 2.7, "gap": 0.7, "level": None}
    ]


def test_snapshot_from_answers_rebuilds_both_paths() -> None:
    answers = {f"x_{k}": v for k, v in quick().items()}  # wrong names: not an assessment
    assert snapshot_from_answers(answers) is None
    stored = {q: v for q, v in quick().items() if q != "gaps"}
    stored.update({"path": "quick", "gap_16": {"today": 1, "ambition": 4}})
    rebuilt = snapshot_from_answers(stored)
    assert rebuilt is not None
    assert rebuilt["goals"]["16"]["ambition"] == 4.0
    full = {
        "path": "full",
        "now_focus_16": lv(1, 1, 1),
        "aim_focus_16": lv(2, 2, 2),
        "now_people_3": lv(3, 3, 3),
        "more_focus": "cont",
    }
    rebuilt = snapshot_from_answers(full)
    assert rebuilt is not None
    assert rebuilt["goals"]["3"]["today"] == 3.0
    assert rebuilt["goals"]["16"]["ambition"] == 2.0


def test_functions_are_registered_for_flow_expressions() -> None:
    for name in (
        "assessment_profile", "assessment_quick_snapshot", "assessment_full_snapshot",
        "assessment_gaps", "assessment_strengths", "assessment_next_steps", "assessment_change",
        "assessment_bar_lines", "assessment_series", "assessment_goal_labels",
        "assessment_goal_series", "assessment_levels_text", "assessment_score_text",
        "assessment_goal_list", "assessment_declared_p",
    ):  # fmt: skip
        assert name in FUNCTIONS
    assert FUNCTIONS["assessment_change"] is assessment_change
