"""Tests for assessment scores worded for messages: numbers, goal lists, text bars, series."""

from __future__ import annotations

import pytest

from bot.missions.assessment import quick_snapshot
from bot.missions.assessment_text import (
    assessment_bar_lines,
    assessment_goal_labels,
    assessment_goal_list,
    assessment_goal_series,
    assessment_levels_text,
    assessment_score_text,
    assessment_series,
)
from tests.missions.assessment_answers import lv, quick


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


def test_levels_text() -> None:
    assert assessment_levels_text(lv(2, 3, 1)) == "2 · 3 · 1"
    assert assessment_levels_text({"local": 2}) == "– · 2 · –"
    assert assessment_levels_text(None) == ""
    groups = [{16: lv(1, 2, 3)}, {"4": lv(0, 0, 4)}]
    assert assessment_levels_text(groups, 4) == "0 · 0 · 4"
    assert assessment_levels_text(groups, 5) == ""
