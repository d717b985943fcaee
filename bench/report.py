"""Results: percentiles, rows with goals, the printed table and ``bench/results.json``."""

from __future__ import annotations

import json
import math
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["Row", "percentile", "render_table", "write_results"]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Row:
    """One line of the table.

    Attributes:
        metric: what is measured, with its unit.
        sdgbot: sdgbot's figure (None: not measured, see ``note``).
        baseline: the baseline's figure in the same run, if there is one.
        goal: the goal as text ("≥ 0.7 × baseline", "≤ 150 MB"); empty for context rows.
        passed: whether the goal is met (None: no goal or not measured).
        ratio: sdgbot / baseline, when both exist.
        note: how it was measured, or why it was not.
    """

    metric: str
    sdgbot: float | None
    baseline: float | None = None
    goal: str = ""
    passed: bool | None = None
    ratio: float | None = None
    note: str = ""

    @classmethod
    def versus(
        cls,
        metric: str,
        sdgbot: float,
        baseline: float,
        *,
        goal: str = "",
        at_least: float | None = None,
        at_most: float | None = None,
        note: str = "",
    ) -> Row:
        """A row compared with the baseline; the goal bounds the ratio sdgbot / baseline."""
        ratio = sdgbot / baseline if baseline else math.inf
        passed: bool | None = None
        if at_least is not None:
            passed = ratio >= at_least
        elif at_most is not None:
            passed = ratio <= at_most
        return cls(metric, sdgbot, baseline, goal, passed, ratio, note)

    @classmethod
    def alone(
        cls,
        metric: str,
        value: float | None,
        *,
        goal: str = "",
        at_least: float | None = None,
        at_most: float | None = None,
        baseline: float | None = None,
        note: str = "",
    ) -> Row:
        """A row with an absolute goal (or none); ``baseline`` is shown for context only."""
        passed: bool | None = None
        if value is not None and at_least is not None:
            passed = value >= at_least
        elif value is not None and at_most is not None:
            passed = value <= at_most
        return cls(metric, value, baseline, goal, passed, None, note)


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 0.1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def render_table(rows: Sequence[Row]) -> str:
    """The rows as an aligned text table, notes below it."""
    header = ("metric", "sdgbot", "baseline", "ratio", "goal", "result")
    lines: list[tuple[str, ...]] = [header]
    notes: list[str] = []
    for row in rows:
        result = {True: "pass", False: "FAIL", None: ""}[row.passed]
        if row.sdgbot is None:
            result = "not measured"
        lines.append((row.metric, _number(row.sdgbot), _number(row.baseline),
                      "" if row.ratio is None else f"{row.ratio:.2f}", row.goal,
                      result))  # fmt: skip
        if row.note:
            notes.append(f"- {row.metric}: {row.note}")
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        cells = [
            cell.ljust(widths[i]) if i in (0, 4, 5) else cell.rjust(widths[i])
            for i, cell in enumerate(line)
        ]
        out.append("  ".join(cells).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join([*out, *(["", *notes] if notes else [])])


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: write null instead."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def write_results(path: Path, rows: Sequence[Row], details: dict[str, Any]) -> None:
    """Write the rows, the raw figures and the machine to ``path`` as JSON."""
    document = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": _cpus(),
        },
        "rows": [asdict(row) for row in rows],
        "details": details,
    }
    path.write_text(json.dumps(_clean(document), indent=2, ensure_ascii=False) + "\n")


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))
