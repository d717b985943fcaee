"""The report as one self-contained HTML page: sections of text, tables and embedded PNG charts.

This module decides *what* the page says (sections, their charts and tables, in the report's
language); the Jinja2 templates in ``bot/report/templates/`` decide how it is laid out. The
environment autoescapes, so every value that came from people (names, municipality names, hero
stories) is HTML-escaped. Numbers and dates are written by Babel (`bot.formatting`) as the
report's language does: "2,5" and "30 juin 2027" in French, "2.5" and "30 June 2027" in English.
The charts are ``data:image/png;base64`` images, so the file can be mailed or archived on its own.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.flow.catalogue import Catalogue
from bot.formatting import format_date, format_number
from bot.missions.checkin import MIRROR_QUESTIONS
from bot.outputs import charts
from bot.outputs.report.data import GOALS, ReportData
from bot.outputs.report.labels import Labels

_ENV = Environment(
    loader=PackageLoader("bot.outputs.report", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a misspelt name fails the report's tests, not a reader
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Item:
    """One piece of a section, in page order: a heading, a paragraph, a chart or a table."""

    kind: str
    text: str = ""
    muted: bool = False
    encoded: str = ""
    alt: str = ""
    headers: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = ()
    numeric: frozenset[int] = frozenset()


@dataclass
class Section:
    """An ``<h2>`` with its introduction and items."""

    title: str
    intro: str
    items: list[Item] = field(default_factory=list)


class _Page:
    """Builds the items of the page in one language (numbers and dates through Babel)."""

    def __init__(self, labels: Labels) -> None:
        self.labels = labels
        self.lang = labels.lang
        self.t = labels.t

    def cell(self, value: Any) -> str:
        """A table cell: numbers and dates as the language writes them, "—" for nothing."""
        if value is None:
            return "—"
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int | float | Decimal):
            return format_number(value, self.lang)
        if isinstance(value, datetime | date):
            return format_date(value, self.lang)
        if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:  # an ISO date kept as text (a reminder's due date)
                return format_date(date.fromisoformat(value), self.lang)
            except ValueError:
                return value
        return str(value)

    def score(self, value: float | None) -> str:
        """A score with one decimal always ("2,0"), so columns of scores line up."""
        return "—" if value is None else format_number(value, self.lang, fixed=True)

    def mean(self, values: Iterable[float | None]) -> str:
        """The mean score of the values given, "—" when none."""
        numbers = [v for v in values if v is not None]
        return self.score(sum(numbers) / len(numbers)) if numbers else "—"

    def section(self, title_key: str, intro_key: str) -> Section:
        """A section titled and introduced by report texts."""
        return Section(self.t(title_key), self.t(intro_key))

    def empty(self) -> Item:
        """The "no data yet" paragraph."""
        return Item("paragraph", self.t("report_empty"), muted=True)

    @staticmethod
    def chart(png: bytes, alt: str) -> Item:
        """A chart embedded as a data URI."""
        return Item("chart", encoded=base64.b64encode(png).decode("ascii"), alt=alt)

    def table(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        numeric: Callable[[int], bool] = lambda _: False,
    ) -> Item:
        """A table; cells are formatted, columns for which `numeric` holds are right-aligned."""
        shown = [[self.cell(value) for value in row] for row in rows]
        width = max((len(row) for row in shown), default=len(headers))
        return Item(
            "table",
            headers=list(headers),
            rows=shown,
            numeric=frozenset(i for i in range(max(width, len(headers))) if numeric(i)),
        )


def render(data: ReportData, labels: Labels, catalogue: Catalogue) -> str:
    """The whole report page in `labels`' language."""
    page = _Page(labels)
    t = labels.t
    made = data.generated_at
    stamp = f"{format_date(made, labels.lang)} {made:%H:%M} UTC"
    sections = [
        _profiles(data, page, catalogue),
        _heatmap(data, page),
        _health(data, page),
        _heroes(data, page, catalogue),
        _reminders(data, page),
        _dropoff(data, page),
    ]
    return _ENV.get_template("report.html").render(
        lang=labels.lang,
        title=t("report_title"),
        generated=t("report_generated", date=stamp),
        since=t("report_since", date=format_date(data.since, labels.lang)) if data.since else "",
        summary=t("report_summary", users=data.users, municipalities=data.municipalities),
        sections=sections,
    )


def _profiles(data: ReportData, page: _Page, catalogue: Catalogue) -> Section:
    t, lang = page.t, page.lang
    out = page.section("report_profiles_title", "report_profiles_intro")
    if not data.profiles:
        out.items.append(page.empty())
        return out
    pillars = [p.names.get(lang) or p.id for p in catalogue.sdgs.pillars]
    ids = [p.id for p in catalogue.sdgs.pillars]
    png = charts.radar_grid(
        [f"{p.municipality} ({p.country})" for p in data.profiles],
        pillars,
        [[p.p_today.get(i) for i in ids] for p in data.profiles],
        [[p.p_ambition.get(i) for i in ids] for p in data.profiles],
        (t("report_today"), t("report_ambition")),
    )
    out.items.append(page.chart(png, t("report_profiles_title")))
    headers = [t("report_col_municipality"), t("report_col_path"), t("report_col_date"), *pillars]
    rows = [
        [
            f"{p.municipality} ({p.country})",
            t(f"report_path_{p.path or 'quick'}"),
            p.completed_at,
            *(f"{page.score(p.p_today.get(i))} → {page.score(p.p_ambition.get(i))}" for i in ids),
        ]
        for p in data.profiles
    ]
    out.items.append(page.table(headers, rows))
    return out


def _heatmap(data: ReportData, page: _Page) -> Section:
    t = page.t
    out = page.section("report_heatmap_title", "report_heatmap_intro")
    if not data.profiles:
        out.items.append(page.empty())
        return out
    png = charts.heatmap(
        [f"{p.municipality} ({p.country})" for p in data.profiles],
        [str(g) for g in GOALS],
        [[p.ambition_by_goal.get(g) for g in GOALS] for p in data.profiles],
        [[g in p.focus_goals for g in GOALS] for p in data.profiles],
        t("report_heatmap_legend"),
        lang=page.lang,
    )
    out.items.append(page.chart(png, t("report_heatmap_title")))
    return out


def _health(data: ReportData, page: _Page) -> Section:
    t, labels = page.t, page.labels
    out = page.section("report_health_title", "report_health_intro")
    if not data.partnerships:
        out.items.append(page.empty())
        return out
    names = [labels.checkin_name(q) for q in MIRROR_QUESTIONS]
    png = charts.paired_bars(
        [f"{h.partnership} · {h.period}" for h in data.partnerships],
        names,
        [[h.north_scores[q] for q in MIRROR_QUESTIONS] for h in data.partnerships],
        [[h.south_scores[q] for q in MIRROR_QUESTIONS] for h in data.partnerships],
        [(h.north, h.south) for h in data.partnerships],
        lang=page.lang,
    )
    out.items.append(page.chart(png, t("report_health_title")))
    rows = []
    for h in data.partnerships:
        answered = any(v is not None for v in h.north_scores.values()) and any(
            v is not None for v in h.south_scores.values()
        )
        if not answered:
            divergences = t("report_one_side")
        elif h.differences:
            divergences = "; ".join(
                f"{labels.checkin_name(d['id'])}: {h.north} {page.cell(d['mine'])}"
                f" / {h.south} {page.cell(d['theirs'])}"
                for d in h.differences
            )
        else:
            divergences = t("report_no_divergence")
        rows.append(
            [
                h.partnership,
                h.period,
                page.mean(h.north_scores.values()),
                page.mean(h.south_scores.values()),
                divergences,
            ]
        )
    out.items.append(
        page.table(
            [
                t("report_col_partnership"),
                t("report_col_period"),
                t("report_col_north"),
                t("report_col_south"),
                t("report_col_divergences"),
            ],
            rows,
            lambda i: i in (2, 3),
        )
    )
    return out


def _heroes(data: ReportData, page: _Page, catalogue: Catalogue) -> Section:
    t, labels = page.t, page.labels
    out = page.section("report_heroes_title", "report_heroes_intro")
    if not data.heroes:
        out.items.append(page.empty())
        return out
    counts = [sum(1 for h in data.heroes if g in h.goals) for g in GOALS]
    colors = [catalogue.sdgs.goal(g).color or "#888888" for g in GOALS]
    out.items.append(
        page.chart(
            charts.goal_counts(
                counts, colors, [str(g) for g in GOALS], t("report_heroes_axis"), lang=page.lang
            ),
            t("report_heroes_title"),
        )
    )
    for goal in GOALS:
        heroes = [h for h in data.heroes if goal in h.goals]
        if not heroes:
            continue
        out.items.append(Item("heading", f"{goal}. {catalogue.sdgs.name(goal, page.lang)}"))
        out.items.append(
            page.table(
                [
                    t("report_col_hero"),
                    t("report_col_kind"),
                    t("report_col_municipality"),
                    t("report_col_edition"),
                    t("report_col_story"),
                ],
                [
                    [
                        h.name,
                        labels.hero_kind(h.kind),
                        f"{h.municipality} ({h.country})",
                        h.edition,
                        h.what,
                    ]
                    for h in heroes
                ],
            )
        )
    return out


def _reminders(data: ReportData, page: _Page) -> Section:
    t, labels = page.t, page.labels
    reminders = data.reminders
    if reminders is None or reminders.source == "nudges":
        out = page.section("report_reminders_title", "report_reminders_nudges_intro")
        nudges = reminders.rows if reminders else ()
        if not nudges:
            out.items.append(page.empty())
            return out
        out.items.append(
            page.table(
                [t("report_col_flow"), t("report_col_waiting"), t("report_col_reminded")],
                [(labels.flow_title(r[0]), *r[1:]) for r in nudges],
                lambda i: i > 0,
            )
        )
        return out
    out = page.section("report_reminders_title", "report_reminders_deadlines_intro")
    if not reminders.rows:
        out.items.append(page.empty())
        return out
    headers = [
        t("report_col_deadline"),
        t("report_col_due"),
        t("report_col_done"),
        *(t(f"outbox_{s}") for s in reminders.columns[3:]),
    ]
    rows = [(labels.pick(r[0]), r[1], *r[2:]) for r in reminders.rows]
    out.items.append(page.table(headers, rows, lambda i: i > 1))
    return out


def _dropoff(data: ReportData, page: _Page) -> Section:
    t, labels = page.t, page.labels
    out = page.section("report_dropoff_title", "report_dropoff_intro")
    if not data.dropoffs:
        out.items.append(page.empty())
        return out
    for flow_id, entry in sorted(data.dropoffs.items()):
        rate = round(100 * entry.completed / entry.started) if entry.started else 0
        out.items.append(Item("heading", labels.flow_title(flow_id)))
        out.items.append(
            Item(
                "paragraph",
                t(
                    "report_dropoff_summary",
                    started=entry.started,
                    completed=entry.completed,
                    rate=rate,
                ),
            )
        )
        steps = labels.ordered_steps(flow_id, set(entry.stopped_after) | set(entry.waiting_at))
        if not steps:
            continue
        names = [labels.question(flow_id, s) if s else t("report_no_answer") for s in steps]
        stopped = [entry.stopped_after.get(s, 0) for s in steps]
        waiting = [entry.waiting_at.get(s, 0) for s in steps]
        out.items.append(
            page.chart(
                charts.dropoff(
                    names,
                    stopped,
                    waiting,
                    (t("report_stopped"), t("report_waiting")),
                    labels.flow_title(flow_id),
                    lang=page.lang,
                ),
                labels.flow_title(flow_id),
            )
        )
        out.items.append(
            page.table(
                [t("report_col_question"), t("report_stopped"), t("report_waiting")],
                list(zip(names, stopped, waiting, strict=True)),
                lambda i: i > 0,
            )
        )
    return out


__all__ = ["Item", "Section", "render"]
