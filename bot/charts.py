"""Result charts as PNG images (matplotlib), drawn only when a user asks for one.

A summary step may carry chart data (`chart:` in the flow: labels, one or two series of values);
the engine keeps it in the run's vars and the channel offers a button. Drawing happens here,
outside the pure engine, with the non-interactive Agg backend. The scale's numbers are written
as the reader's language does ("2,5" in French, Dutch and Spanish; "2.5" in English).
"""

from __future__ import annotations

import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from bot.formatting import format_number

PALETTE = ("#00689D", "#FD9D24", "#4C9F38", "#C5192D")


def _series(values: Any) -> list[list[float]]:
    """Chart values as a list of series: `[1, 2]` is one series, `[[1, 2], [3, 4]]` two."""
    if not isinstance(values, list) or not values:
        return []
    if all(isinstance(v, list) for v in values):
        return [[float(x or 0) for x in series] for series in values]
    return [[float(x or 0) for x in values]]


def render_chart(chart: dict[str, Any], lang: str = "en") -> bytes | None:
    """Draw `chart` (kind radar or bars) for a reader of `lang`; None when nothing to draw."""
    labels = [str(label) for label in chart.get("labels") or []]
    series = [s for s in _series(chart.get("values")) if len(s) == len(labels)]
    if not labels or not series:
        return None
    names = [str(n) for n in chart.get("series_names") or []]
    top = float(chart.get("max") or max(max(s) for s in series) or 1)
    if chart.get("kind") == "radar" and len(labels) >= 3:
        figure = _radar(labels, series, names, top)
    else:
        figure = _bars(labels, series, names, top)
    for axes in figure.axes:  # the value scale: y on a radar, x on bars
        scale = axes.yaxis if chart.get("kind") == "radar" and len(labels) >= 3 else axes.xaxis
        scale.set_major_formatter(FuncFormatter(lambda value, _: format_number(value, lang)))
    title = str(chart.get("title") or "")
    if title:
        figure.suptitle(title, fontsize=12)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _radar(labels: list[str], series: list[list[float]], names: list[str], top: float) -> Any:
    angles = [2 * math.pi * i / len(labels) for i in range(len(labels))]
    figure, axes = plt.subplots(figsize=(6, 6), subplot_kw={"polar": True})
    for index, values in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        closed = [*values, values[0]]
        axes.plot([*angles, angles[0]], closed, color=color, linewidth=2,
                  label=names[index] if index < len(names) else None)
        axes.fill([*angles, angles[0]], closed, color=color, alpha=0.15)
    axes.set_xticks(angles)
    axes.set_xticklabels([_wrap(label) for label in labels], fontsize=9)
    axes.set_ylim(0, top)
    axes.set_yticks([top * i / 4 for i in range(1, 5)])
    if names:
        axes.legend(loc="upper right", bbox_to_anchor=(1.25, 1.1), fontsize=9)
    return figure


def _bars(labels: list[str], series: list[list[float]], names: list[str], top: float) -> Any:
    figure, axes = plt.subplots(figsize=(7, 0.6 * len(labels) + 1.5))
    height = 0.8 / len(series)
    for index, values in enumerate(series):
        positions = [i + index * height for i in range(len(labels))]
        axes.barh(positions, values, height=height, color=PALETTE[index % len(PALETTE)],
                  label=names[index] if index < len(names) else None)
    axes.set_yticks([i + height * (len(series) - 1) / 2 for i in range(len(labels))])
    axes.set_yticklabels([_wrap(label, 28) for label in labels], fontsize=9)
    axes.set_xlim(0, top)
    axes.invert_yaxis()
    if names:
        axes.legend(fontsize=9)
    return figure


def _wrap(text: str, width: int = 18) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)
