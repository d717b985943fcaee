"""Tests for the SDG self-assessment functions (profiles, gaps, next steps, change)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.flow.functions import FUNCTIONS
from bot.flow.library.assessment import (
    NEXT_STEP_IDS,
    QUICK_QUESTIONS,
    assessment_bar_lines,
    assessment_change,
    assessment_declared_p,
    assessment_full_snapshot,
    assessment_gaps,
    assessment_goal_labels,
    assessment_goal_list,
    assessment_goal_series,
    assessment_levels_text,
    assessment_next_steps,
    assessment_profile,
    assessment_quick_snapshot,
    assessment_score_text,
    assessment_series,
    assessment_strengths,
    quick_snapshot,
    snapshot_from_answers,
)

FLOW = Path(__file__).resolve().parents[3] / "flows" / "sdg_assessment.yaml"


def lv(internal: int, local: int, global_: int) -> dict[str, int]:
    """A ratings answer of the SDG circle."""
    return {"internal": internal, "local": local, "global": global_}


def quick(**overrides: Any) -> dict[str, Any]:
    """Quick-path answers of a municipality well on its way; override what a test needs."""
    answers: dict[str, Any] = {
        "council": "yes",
        "awareness": 3,
        "coordination": "both",
        "plan": "all",
        "strongest_p": "peace",
        "priorities": [16, 11],
        "gaps": {16: {"today": 3, "ambition": 4}, 11: {"today": 3, "ambition": 3}},
        "baselines": "both",
        "monitoring": "yearly",
        "data": ["own", "stats"],
        "footprint": {"procurement": 3, "energy": 3, "mobility": 2},
        "participation": "collab",
        "communication": "regular",
        "beyond": ["twin", "educ"],
        "reporting": "vlr",
    }
    answers.update(overrides)
    return answers


def full_run(answers: dict[str, Any]) -> dict[str, Any]:
    """A stored run as the bot passes it in `context.previous`."""
    return {"answers": answers, "vars": {}, "completed_at": "2025-09-20T10:00:00+00:00"}


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


# --- gaps and strengths --------------------------------------------------------------------------


def test_gaps_biggest_first_with_the_level_that_lags_most() -> None:
    snap = assessment_full_snapshot(
        {16: lv(2, 2, 2), 6: lv(0, 1, 0), 13: lv(1, 1, 1), 3: lv(4, 4, 4)},
        {16: lv(2, 4, 2), 6: lv(3, 3, 2), 13: lv(2, 2, 2), 3: lv(4, 4, 4)},
    )
    gaps = assessment_gaps(snap, 5)
    assert [g["goal"] for g in gaps] == [6, 13, 16]  # 3 has no gap
    assert gaps[0] == {"goal": 6, "today": 0.3, "ambition": 2.7, "gap": 2.3, "level": "internal"}
    assert gaps[1]["level"] is None  # every level lags by one: no level is singled out
    assert gaps[2] == {"goal": 16, "today": 2.0, "ambition": 2.7, "gap": 0.7, "level": "local"}
    assert len(assessment_gaps(snap, 1)) == 1


def test_gaps_ties_go_to_the_programme_focus_goals() -> None:
    snap = quick_snapshot(
        quick(
            priorities=[2, 17, 11],
            gaps={
                2: {"today": 1, "ambition": 3},
                17: {"today": 1, "ambition": 3},
                11: {"today": 0, "ambition": 2},
            },
        )
    )
    assert [g["goal"] for g in assessment_gaps(snap)] == [11, 17, 2]


def test_gaps_skip_goals_without_both_scores() -> None:
    snap = quick_snapshot(quick(gaps={16: {"today": 1}, 11: {"ambition": 4}}))
    assert assessment_gaps(snap) == []


def test_strengths_quick_path() -> None:
    strengths = assessment_strengths(quick_snapshot(quick(awareness=1, plan="some")))
    assert strengths["dims"] == [
        "commitment", "coordination", "measuring", "participation", "communication", "reporting",
    ]  # fmt: skip
    assert strengths["goals"] == [16, 11]
    assert strengths["level"] == "local"
    # Priorities 16 and 11 are one goal per P: naming the P would repeat the goal.
    assert strengths["p"] is None
    snap = quick_snapshot(
        quick(
            priorities=[6, 13],
            gaps={6: {"today": 3, "ambition": 4}, 13: {"today": 4, "ambition": 4}},
        )
    )
    assert assessment_strengths(snap)["p"] == "planet"


def test_strengths_full_path_best_goals_first() -> None:
    snap = assessment_full_snapshot(
        {1: lv(3, 3, 3), 2: lv(4, 4, 4), 3: lv(4, 4, 3), 4: lv(3, 3, 4), 5: lv(1, 1, 1)}, {}
    )
    strengths = assessment_strengths(snap)
    assert strengths["goals"] == [2, 3, 4]
    assert strengths["p"] == "people"
    assert strengths["dims"] == []


# --- next steps ----------------------------------------------------------------------------------


def test_next_steps_for_a_municipality_that_starts() -> None:
    snap = quick_snapshot(
        quick(
            council="no",
            coordination="none",
            awareness=0,
            plan="no",
            baselines="none",
            monitoring="none",
        )
    )
    assert assessment_next_steps(snap) == ["council", "coordination", "training"]


def test_next_steps_follow_baselines_then_targets_then_the_gap() -> None:
    snap = quick_snapshot(quick(baselines="none", gaps={16: {"today": 1, "ambition": 4}}))
    assert assessment_next_steps(snap) == ["baselines", "gap", "peer"]
    snap = quick_snapshot(quick(baselines="base", gaps={16: {"today": 1, "ambition": 4}}))
    assert assessment_next_steps(snap)[:2] == ["targets", "gap"]


def test_next_steps_pick_the_weakest_footprint_item() -> None:
    snap = quick_snapshot(quick(footprint={"procurement": 1, "energy": 0, "mobility": 0}))
    assert assessment_next_steps(snap)[0] == "energy"  # first of the two lowest
    snap = quick_snapshot(quick(footprint={"procurement": 2, "energy": 3, "mobility": 2}))
    assert not {"procurement", "energy", "mobility"} & set(assessment_next_steps(snap, 25))


def test_next_steps_abroad_and_reporting() -> None:
    snap = quick_snapshot(
        quick(beyond=["none"], reporting="none", communication="none", participation="inform")
    )
    assert assessment_next_steps(snap) == ["participation", "twinning", "week"]
    snap = quick_snapshot(quick(beyond=["fair"], reporting="public"))
    assert assessment_next_steps(snap) == ["twinning", "vlr", "peer"]
    snap = quick_snapshot(quick(beyond=["twin"]))
    assert assessment_next_steps(snap) == ["global_edu", "peer", "week"]


def test_next_steps_data_only_when_official_statistics_are_missing() -> None:
    assert "data" in assessment_next_steps(quick_snapshot(quick(data=["own"])))
    assert "data" in assessment_next_steps(quick_snapshot(quick(data=["none"])))
    assert "data" not in assessment_next_steps(quick_snapshot(quick(data=None)), 25)


def test_next_steps_full_path_use_levels_gap_and_ambition() -> None:
    snap = assessment_full_snapshot(
        {16: lv(0, 2, 0), 11: lv(1, 3, 0), 17: lv(0, 1, 1)},
        {16: lv(1, 2, 1), 11: lv(1, 3, 0), 17: lv(1, 4, 4)},
    )
    assert assessment_next_steps(snap, 25) == [
        "gap", "footprint", "twinning", "ambition", "complete", "priorities", "peer", "week",
        "post2030",
    ]  # fmt: skip


def test_next_steps_full_path_ask_to_finish_the_circle_only_when_stopped_early() -> None:
    every = {g: lv(3, 3, 3) for g in range(1, 18)}
    assert "complete" not in assessment_next_steps(assessment_full_snapshot(every, every), 25)
    del every[5]
    assert "complete" in assessment_next_steps(assessment_full_snapshot(every, every), 25)
    assert "complete" not in assessment_next_steps(quick_snapshot(quick()), 25)


def test_next_steps_for_a_leader_and_for_nothing_answered_are_still_three() -> None:
    assert assessment_next_steps(quick_snapshot(quick())) == ["peer", "week", "post2030"]
    assert assessment_next_steps(quick_snapshot({})) == ["peer", "week", "post2030"]
    assert assessment_next_steps(assessment_full_snapshot({}, {})) == ["peer", "week", "post2030"]
    assert len(assessment_next_steps(quick_snapshot({}), 2)) == 2


def test_every_next_step_has_a_text_in_the_flow_in_every_language() -> None:
    import yaml

    texts = yaml.safe_load(FLOW.read_text(encoding="utf-8"))["texts"]
    assert len(NEXT_STEP_IDS) >= 12
    for step in NEXT_STEP_IDS:
        assert set(texts[f"step_{step}"]) == {"fr", "nl", "es", "en"}, step


# --- change since the previous assessment --------------------------------------------------------


def test_first_assessment() -> None:
    change = assessment_change(quick_snapshot(quick()), None)
    assert change["first"] is True
    assert change["moves"] == []
    assert assessment_change(quick_snapshot(quick()), {"answers": {}, "vars": {}})["first"]


def test_change_against_the_snapshot_kept_in_the_previous_run() -> None:
    before = quick_snapshot(
        quick(
            council="no",
            awareness=1,
            priorities=[16, 6],
            gaps={16: {"today": 1, "ambition": 4}, 6: {"today": 2, "ambition": 3}},
        )
    )
    now = quick_snapshot(quick(priorities=[16, 11]))
    previous = {"answers": {}, "vars": {"snapshot": before}, "completed_at": "2025-09-20T10:00Z"}
    change = assessment_change(now, previous)
    assert change["first"] is False
    assert change["comparable"] is True
    assert change["date"] == "2025-09-20"
    assert change["moves"][0] == {
        "kind": "dim", "key": "commitment", "before": 0.0, "after": 4.0, "delta": 4.0,
    }  # fmt: skip
    assert {"kind": "goal", "key": 16, "before": 1.0, "after": 3.0, "delta": 2.0} in change["moves"]
    # peace is goal 16 alone: reported as the goal, not twice
    assert not any(m["kind"] == "p" and m["key"] == "peace" for m in change["moves"])
    assert change["up"] >= 3
    assert change["down"] == 0
    assert change["new_focus"] == [11]
    assert change["dropped_focus"] == [6]


def test_change_rebuilds_an_old_run_without_snapshot() -> None:
    stored = {q: v for q, v in quick(reporting="none").items() if q != "gaps"}
    stored.update({"path": "quick", "gap_16": {"today": 3, "ambition": 4}})
    change = assessment_change(quick_snapshot(quick()), full_run(stored))
    assert change["comparable"] is True
    assert change["moves"] == [
        {"kind": "dim", "key": "reporting", "before": 0.0, "after": 4.0, "delta": 4.0}
    ]
    assert change["up"] == 1


def test_change_across_paths_is_not_compared() -> None:
    before = assessment_full_snapshot({16: lv(1, 1, 1)}, {16: lv(3, 3, 3)})
    change = assessment_change(quick_snapshot(quick()), before)
    assert change["first"] is False
    assert change["comparable"] is False
    assert change["previous_path"] == "full"
    assert change["moves"] == [] and change["new_focus"] == []


def test_change_compares_only_the_goals_rated_both_times() -> None:
    # Last time all three people goals; this time the user stopped after goal 1 only.
    before = assessment_full_snapshot({1: lv(1, 1, 1), 2: lv(4, 4, 4), 3: lv(4, 4, 4)}, {})
    now = assessment_full_snapshot({1: lv(1, 1, 1)}, {})
    change = assessment_change(now, before)
    assert change["comparable"] is True
    assert change["moves"] == []  # people 3.0 → 1.0 would be an artefact of stopping early
    now = assessment_full_snapshot({1: lv(2, 3, 1)}, {})
    moves = assessment_change(now, before)["moves"]
    # people is measured on goal 1 alone both times: it is reported once, as goal 1
    assert {m["kind"] for m in moves} == {"level", "goal"}
    assert {"kind": "level", "key": "local", "before": 1.0, "after": 3.0, "delta": 2.0} in moves


def test_change_reports_declines_and_ignores_small_moves() -> None:
    before = assessment_full_snapshot({16: lv(3, 3, 3), 11: lv(2, 2, 2)}, {})
    now = assessment_full_snapshot({16: lv(1, 1, 1), 11: lv(2, 2, 3)}, {})
    change = assessment_change(now, before)
    assert change["down"] >= 1
    assert change["moves"][0]["delta"] < 0
    assert all(abs(m["delta"]) >= 0.5 for m in change["moves"])
    assert len(change["moves"]) <= 5
    assert change["date"] is None


# --- presentation helpers ------------------------------------------------------------------------


def test_bar_lines_align_labels_and_show_unknown_values() -> None:
    text = assessment_bar_lines(["Planète", "Paix"], {"planet": 2, "peace": None}, 4)
    assert text == "Planète ▓▓▓▓░░░░ 2.0\nPaix    ░░░░░░░░ –"


def test_bar_lines_with_targets_and_rounding() -> None:
    text = assessment_bar_lines(["A", "B"], [1.5, 4.4], 4, [3, None])
    assert text.splitlines() == ["A ▓▓▓░░░░░ 1.5→3.0", "B ▓▓▓▓▓▓▓▓ 4.4"]
    assert assessment_bar_lines(["A"], [0.25], 4) == "A ▓░░░░░░░ 0.3"  # halves round up


def test_bar_lines_mismatch_is_a_flow_mistake() -> None:
    with pytest.raises(ValueError, match="2 labels for 1 values"):
        assessment_bar_lines(["A", "B"], [1])
    assert assessment_bar_lines([], []) == ""


def test_chart_helpers() -> None:
    assert assessment_series({"a": 1, "b": None}, [2, 3]) == [[1.0, 0.0], [2.0, 3.0]]
    snap = quick_snapshot(quick())
    assert assessment_goal_labels(snap["goals"], "ODD") == ["ODD 11", "ODD 16"]
    assert assessment_goal_series(snap["goals"]) == [[3.0, 3.0], [3.0, 4.0]]
    assert assessment_goal_series(None) == [[], []]
    assert assessment_goal_labels([16, "x", 17], "SDG") == ["SDG 16", "SDG 17"]


def test_numbers_and_goal_lists_follow_the_reader_s_language() -> None:
    assert assessment_bar_lines(["A"], [1.5], 4, [3], 8, "fr") == "A ▓▓▓░░░░░ 1,5→3,0"
    assert assessment_bar_lines(["A"], [1.5], 4, [3], 8, "en") == "A ▓▓▓░░░░░ 1.5→3.0"
    assert assessment_score_text(2.0, "nl") == "2"
    assert assessment_score_text(2.333, "es") == "2,3"
    assert assessment_score_text(2.333, "en") == "2.3"
    assert assessment_score_text(None, "fr") == "–"
    assert assessment_goal_list([6, 13, 16], "fr") == "ODD 6, 13 et 16"
    assert assessment_goal_list([16, 11], "nl") == "SDG 16 en 11"
    assert assessment_goal_list([6, "x", 11], "es") == "ODS 6 y 11"
    assert assessment_goal_list([17], "en") == "SDG 17"
    assert assessment_goal_list([3, 16, 11], "en") == "SDGs 3, 16 and 11"
    assert assessment_goal_list(None, "en") == ""


def test_declared_strongest_p_against_the_scores() -> None:
    def declared(p: str, gaps: dict[int, dict[str, int]]) -> dict[str, object]:
        snap = quick_snapshot(quick(strongest_p=p, priorities=list(gaps), gaps=gaps))
        return assessment_declared_p(snap)

    low_planet = {6: {"today": 0, "ambition": 3}, 16: {"today": 2, "ambition": 4}}
    assert declared("planet", low_planet) == {"p": "planet", "measured": 0.0, "verdict": "weakest"}
    assert declared("peace", low_planet)["verdict"] == "confirmed"
    assert declared("people", low_planet) == {"p": "people", "measured": None, "verdict": None}
    assert declared("planet", {6: {"today": 1, "ambition": 3}})["verdict"] is None  # one P only
    assert assessment_declared_p(quick_snapshot({}))["p"] is None


def test_levels_text() -> None:
    assert assessment_levels_text(lv(2, 3, 1)) == "2 · 3 · 1"
    assert assessment_levels_text({"local": 2}) == "– · 2 · –"
    assert assessment_levels_text(None) == ""
    groups = [{16: lv(1, 2, 3)}, {"4": lv(0, 0, 4)}]
    assert assessment_levels_text(groups, 4) == "0 · 0 · 4"
    assert assessment_levels_text(groups, 5) == ""


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
