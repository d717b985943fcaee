"""Answers of the SDG self-assessment, as the flow records them, for the mission tests."""

from __future__ import annotations

from typing import Any


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
