"""Tests for what an SDG self-assessment says: gaps, strengths, declared P, next steps, change."""

from __future__ import annotations

from pathlib import Path

from bot.missions.assessment import assessment_full_snapshot, quick_snapshot
from bot.missions.assessment_advice import (
    NEXT_STEP_IDS,
    assessment_change,
    assessment_declared_p,
    assessment_gaps,
    assessment_next_steps,
    assessment_strengths,
)
from tests.missions.assessment_answers import full_run, lv, quick

FLOW = Path(__file__).resolve().parents[2] / "flows" / "sdg_assessment.yaml"


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
