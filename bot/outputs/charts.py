"""Every chart sdgbot draws, with matplotlib's object API (no pyplot state) as PNG bytes.

Two users: the coordinators' report (`radar_grid`, `heatmap`, `paired_bars`, `goal_counts`,
`dropoff`: plain, already translated labels and numbers; the HTML embeds each PNG as base64, so
the report stays one self-contained file) and a person's result in the chat (`render_chart`:
the chart data a summary step carries, drawn only when they tap "show the chart").
Numbers on the axes are written by Babel in the reader's language (`lang`): "2,5" in French,
Dutch and Spanish, "2.5" in English.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.formatting import format_number

TODAY_COLOR = "#1f77b4"
AMBITION_COLOR = "#ff7f0e"
NORTH_COLOR = "#2a9d8f"
SOUTH_COLOR = "#e76f51"
STOPPED_COLOR = "#d62828"
WAITING_COLOR = "#f4a261"
GRID_COLUMNS = 4
PALETTE = ("#00689D", "#FD9D24", "#4C9F38", "#C5192D")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _wrap(label: str, width: int = 28, lines: int = 3) -> str:
    return "\n".join(textwrap.wrap(label, width)[:lines]) or "—"


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _numbers_in(axis: Axis, lang: str) -> None:
    """Write the tick labels of `axis` as `lang` writes numbers (matplotlib's own are "2.5")."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: format_number(value, lang)))


def _nan(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def radar_grid(
    titles: Sequence[str],
    axes_labels: Sequence[str],
    today: Sequence[Sequence[float | None]],
    ambition: Sequence[Sequence[float | None]],
    series: tuple[str, str],
    maximum: float = 4,
) -> bytes:
    """Small-multiple radar charts: one per municipality, today and ambition per axis."""
    count = max(len(titles), 1)
    columns = min(GRID_COLUMNS, count)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(3.4 * columns, 3.4 * rows + 0.4), layout="constrained")
    angles = np.linspace(0, 2 * math.pi, len(axes_labels), endpoint=False).tolist()
    closed = [*angles, angles[0]]
    for index, title in enumerate(titles):
        ax = figure.add_subplot(rows, columns, index + 1, projection="polar")
        for values, color, name in (
            (today[index], TODAY_COLOR, series[0]),
            (ambition[index], AMBITION_COLOR, series[1]),
        ):
            points = [0.0 if math.isnan(v) else v for v in _nan(values)]
            ax.plot(closed, [*points, points[0]], color=color, linewidth=1.5, label=name)
            ax.fill(closed, [*points, points[0]], color=color, alpha=0.15)
        ax.set_ylim(0, maximum)
        ax.set_xticks(angles)
        ax.set_xticklabels(axes_labels, fontsize=7)
        ax.set_yticklabels([])
        ax.set_title(_wrap(title, 30), fontsize=9)
        if index == 0:
            ax.legend(loc="upper right", bbox_to_anchor=(1.3, 1.15), fontsize=7)
    return _png(figure)


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    marked: Sequence[Sequence[bool]],
    legend: str,
    maximum: float = 4,
    *,
    lang: str = "en",
) -> bytes:
    """A municipalities × goals heat map; marked cells (priority goals) get a star."""
    grid = np.array([_nan(row) for row in values], dtype=float) if values else np.zeros((1, 17))
    height = 1.2 + 0.35 * max(len(rows), 1)
    figure = Figure(figsize=(10, height), layout="constrained")
    ax = figure.add_subplot()
    masked = np.ma.masked_invalid(grid)
    image = ax.imshow(masked, cmap="YlGn", vmin=0, vmax=maximum, aspect="auto")
    ax.set_xticks(range(len(columns)), labels=list(columns), fontsize=8)
    ax.set_yticks(range(len(rows)), labels=[_wrap(r, 40) for r in rows], fontsize=8)
    for y, row in enumerate(marked):
        for x, star in enumerate(row):
            if star:
                ax.text(x, y, "★", ha="center", va="center", fontsize=9, color="#222222")
    ax.set_facecolor("#eeeeee")
    bar = figure.colorbar(image, ax=ax, label=legend, shrink=0.8)
    _numbers_in(bar.ax.yaxis, lang)
    return _png(figure)


def paired_bars(
    titles: Sequence[str],
    labels: Sequence[str],
    first: Sequence[Sequence[float | None]],
    second: Sequence[Sequence[float | None]],
    names: Sequence[tuple[str, str]],
    maximum: float = 5,
    *,
    lang: str = "en",
) -> bytes:
    """Horizontal bars comparing two sides per question, one panel per partnership."""
    count = max(len(titles), 1)
    columns = min(2, count)
    rows = math.ceil(count / columns)
    figure = Figure(
        figsize=(6.5 * columns, 0.45 * len(labels) * rows + 1.2 * rows), layout="constrained"
    )
    positions = np.arange(len(labels))
    for index, title in enumerate(titles):
        ax = figure.add_subplot(rows, columns, index + 1)
        ax.barh(
            positions - 0.2,
            np.nan_to_num(_nan(first[index])),
            height=0.4,
            color=NORTH_COLOR,
            label=names[index][0],
        )
        ax.barh(
            positions + 0.2,
            np.nan_to_num(_nan(second[index])),
            height=0.4,
            color=SOUTH_COLOR,
            label=names[index][1],
        )
        ax.set_yticks(positions, labels=[_wrap(label, 26) for label in labels], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, maximum)
        _numbers_in(ax.xaxis, lang)
        ax.set_title(_wrap(title, 50), fontsize=10)
        ax.legend(fontsize=7, loc="lower right")
    return _png(figure)


def goal_counts(
    counts: Sequence[int],
    colors: Sequence[str],
    labels: Sequence[str],
    ylabel: str,
    *,
    lang: str = "en",
) -> bytes:
    """A bar per goal (in the goals' own colours), e.g. heroes per SDG."""
    figure = Figure(figsize=(10, 3.6), layout="constrained")
    ax = figure.add_subplot()
    ax.bar(range(len(counts)), counts, color=list(colors))
    ax.set_xticks(range(len(labels)), labels=list(labels), fontsize=8)
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _numbers_in(ax.yaxis, lang)
    return _png(figure)


def dropoff(
    labels: Sequence[str],
    stopped: Sequence[int],
    waiting: Sequence[int],
    names: tuple[str, str],
    title: str,
    *,
    lang: str = "en",
) -> bytes:
    """Stacked horizontal bars: runs that stopped after each question, and runs waiting at it."""
    figure = Figure(figsize=(9, 0.38 * max(len(labels), 1) + 1.4), layout="constrained")
    ax = figure.add_subplot()
    positions = np.arange(len(labels))
    ax.barh(positions, stopped, color=STOPPED_COLOR, label=names[0])
    ax.barh(positions, waiting, left=stopped, color=WAITING_COLOR, label=names[1])
    ax.set_yticks(positions, labels=[_short(label, 60) for label in labels], fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _numbers_in(ax.xaxis, lang)
    ax.set_title(_wrap(title, 80), fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return _png(figure)


# --- a person's result in the chat ----------------------------------------------------------------


def _series(values: Any) -> list[list[float]]:
    """Chart values as a list of series: `[1, 2]` is one series, `[[1, 2], [3, 4]]` two."""
    if not isinstance(values, list) or not values:
        return []
    if all(isinstance(v, list) for v in values):
        return [[float(x or 0) for x in series] for series in values]
    return [[float(x or 0) for x in values]]


def render_chart(chart: dict[str, Any], lang: str = "en") -> bytes | None:
    """Draw a summary step's `chart` (radar or bars) for a reader of `lang`; None if empty."""
    labels = [str(label) for label in chart.get("labels") or []]
    series = [s for s in _series(chart.get("values")) if len(s) == len(labels)]
    if not labels or not series:
        return None
    names = [str(n) for n in chart.get("series_names") or []]
    top = float(chart.get("max") or max(max(s) for s in series) or 1)
    if chart.get("kind") == "radar" and len(labels) >= 3:
        figure = _result_radar(labels, series, names, top)
    else:
        figure = _result_bars(labels, series, names, top)
    for axes in figure.axes:  # the value scale: y on a radar, x on bars
        scale = axes.yaxis if chart.get("kind") == "radar" and len(labels) >= 3 else axes.xaxis
        scale.set_major_formatter(FuncFormatter(lambda value, _: format_number(value, lang)))
    title = str(chart.get("title") or "")
    if title:
        figure.suptitle(title, fontsize=12)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _result_radar(
    labels: list[str], series: list[list[float]], names: list[str], top: float
) -> Figure:
    angles = [2 * math.pi * i / len(labels) for i in range(len(labels))]
    figure = Figure(figsize=(6, 6))
    axes = figure.add_subplot(polar=True)
    for index, values in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        closed = [*values, values[0]]
        axes.plot(
            [*angles, angles[0]],
            closed,
            color=color,
            linewidth=2,
            label=names[index] if index < len(names) else None,
        )
        axes.fill([*angles, angles[0]], closed, color=color, alpha=0.15)
    axes.set_xticks(angles)
    axes.set_xticklabels([_wrap(label, 18, 9) for label in labels], fontsize=9)
    axes.set_ylim(0, top)
    axes.set_yticks([top * i / 4 for i in range(1, 5)])
    if names:
        axes.legend(loc="upper right", bbox_to_anchor=(1.25, 1.1), fontsize=9)
    return figure


def _result_bars(
    labels: list[str], series: list[list[float]], names: list[str], top: float
) -> Figure:
    figure = Figure(figsize=(7, 0.6 * len(labels) + 1.5))
    axes = figure.add_subplot()
    height = 0.8 / len(series)
    for index, values in enumerate(series):
        positions = [i + index * height for i in range(len(labels))]
        axes.barh(
            positions,
            values,
            height=height,
            color=PALETTE[index % len(PALETTE)],
            label=names[index] if index < len(names) else None,
        )
    axes.set_yticks([i + height * (len(series) - 1) / 2 for i in range(len(labels))])
    axes.set_yticklabels([_wrap(label, 28, 9) for label in labels], fontsize=9)
    axes.set_xlim(0, top)
    axes.invert_yaxis()
    if names:
        axes.legend(fontsize=9)
    return figure
