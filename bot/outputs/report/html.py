"""The report as one self-contained HTML page: sections of text, tables and embedded PNG charts.

Every value that came from people (names, municipality names, hero stories) is HTML-escaped; the
charts are ``data:image/png;base64`` images, so the file can be mailed or archived on its own.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot.flow.catalogue import Catalogue
from bot.missions.checkin import MIRROR_QUESTIONS
from bot.outputs import charts
from bot.outputs.report.data import GOALS, ReportData
from bot.outputs.report.labels import Labels

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#222;line-height:1.45;padding:0 1rem}
h1{font-size:1.6rem}h2{margin-top:2.5rem;border-bottom:2px solid #2a9d8f;padding-bottom:.2rem}
h3{margin-bottom:.3rem}table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right}img{max-width:100%;height:auto}
.muted{color:#666}.note{background:#fff8e1;padding:.5rem .8rem;border-left:4px solid #f4a261}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _img(png: bytes, alt: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{encoded}" alt="{_e(alt)}">'


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
           numeric: Callable[[int], bool] = lambda _: False) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{_e(c)}</td>' if numeric(i) else f"<td>{_e(c)}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _date(moment: datetime | None) -> str:
    return moment.strftime("%d/%m/%Y") if moment else "—"


def render(data: ReportData, labels: Labels, catalogue: Catalogue) -> str:
    """The whole report page in `labels`' language."""
    t = labels.t
    made = data.generated_at.strftime("%d/%m/%Y %H:%M UTC")
    parts = [
        f'<!DOCTYPE html><html lang="{_e(labels.lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(t('report_title'))}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(t('report_title'))}</h1>",
        f'<p class="muted">{_e(t("report_generated", date=made))}'
        + (f" · {_e(t('report_since', date=_date(data.since)))}" if data.since else "") + "</p>",
        f"<p>{_e(t('report_summary', users=data.users, municipalities=data.municipalities))}</p>",
    ]
    parts += _profiles(data, labels, catalogue)
    parts += _heatmap(data, labels)
    parts += _health(data, labels)
    parts += _heroes(data, labels, catalogue)
    parts += _reminders(data, labels)
    parts += _dropoff(data, labels)
    parts.append("</body></html>")
    return "\n".join(parts)


def _section(title: str, intro: str) -> list[str]:
    return [f"<h2>{_e(title)}</h2>", f"<p>{_e(intro)}</p>"]


def _profiles(data: ReportData, labels: Labels, catalogue: Catalogue) -> list[str]:
    t = labels.t
    out = _section(t("report_profiles_title"), t("report_profiles_intro"))
    if not data.profiles:
        return [*out, f'<p class="muted">{_e(t("report_empty"))}</p>']
    pillars = [p.names.get(labels.lang) or p.id for p in catalogue.sdgs.pillars]
    ids = [p.id for p in catalogue.sdgs.pillars]
    png = charts.radar_grid(
        [f"{p.municipality} ({p.country})" for p in data.profiles], pillars,
        [[p.p_today.get(i) for i in ids] for p in data.profiles],
        [[p.p_ambition.get(i) for i in ids] for p in data.profiles],
        (t("report_today"), t("report_ambition")))
    out.append(_img(png, t("report_profiles_title")))
    headers = [t("report_col_municipality"), t("report_col_path"), t("report_col_date"),
               *pillars]
    rows = [[f"{p.municipality} ({p.country})", t(f"report_path_{p.path or 'quick'}"),
             _date(p.completed_at),
             *(f"{_score(p.p_today.get(i))} → {_score(p.p_ambition.get(i))}" for i in ids)]
            for p in data.profiles]
    out.append(_table(headers, rows))
    return out


def _heatmap(data: ReportData, labels: Labels) -> list[str]:
    t = labels.t
    out = _section(t("report_heatmap_title"), t("report_heatmap_intro"))
    if not data.profiles:
        return [*out, f'<p class="muted">{_e(t("report_empty"))}</p>']
    png = charts.heatmap(
        [f"{p.municipality} ({p.country})" for p in data.profiles], [str(g) for g in GOALS],
        [[p.ambition_by_goal.get(g) for g in GOALS] for p in data.profiles],
        [[g in p.focus_goals for g in GOALS] for p in data.profiles],
        t("report_heatmap_legend"))
    out.append(_img(png, t("report_heatmap_title")))
    return out


def _health(data: ReportData, labels: Labels) -> list[str]:
    t = labels.t
    out = _section(t("report_health_title"), t("report_health_intro"))
    if not data.partnerships:
        return [*out, f'<p class="muted">{_e(t("report_empty"))}</p>']
    names = [labels.checkin_name(q) for q in MIRROR_QUESTIONS]
    png = charts.paired_bars(
        [f"{h.partnership} · {h.period}" for h in data.partnerships], names,
        [[h.north_scores[q] for q in MIRROR_QUESTIONS] for h in data.partnerships],
        [[h.south_scores[q] for q in MIRROR_QUESTIONS] for h in data.partnerships],
        [(h.north, h.south) for h in data.partnerships])
    out.append(_img(png, t("report_health_title")))
    rows = []
    for h in data.partnerships:
        answered = (any(v is not None for v in h.north_scores.values())
                    and any(v is not None for v in h.south_scores.values()))
        if not answered:
            divergences = t("report_one_side")
        elif h.differences:
            divergences = "; ".join(
                f"{labels.checkin_name(d['id'])}: {h.north} {d['mine']} / {h.south} {d['theirs']}"
                for d in h.differences)
        else:
            divergences = t("report_no_divergence")
        rows.append([h.partnership, h.period, _mean(h.north_scores.values()),
                     _mean(h.south_scores.values()), divergences])
    out.append(_table([t("report_col_partnership"), t("report_col_period"),
                       t("report_col_north"), t("report_col_south"),
                       t("report_col_divergences")], rows, lambda i: i in (2, 3)))
    return out


def _mean(values: Any) -> str:
    numbers = [v for v in values if v is not None]
    return _score(sum(numbers) / len(numbers)) if numbers else "—"


def _heroes(data: ReportData, labels: Labels, catalogue: Catalogue) -> list[str]:
    t = labels.t
    out = _section(t("report_heroes_title"), t("report_heroes_intro"))
    if not data.heroes:
        return [*out, f'<p class="muted">{_e(t("report_empty"))}</p>']
    counts = [sum(1 for h in data.heroes if g in h.goals) for g in GOALS]
    colors = [catalogue.sdgs.goal(g).color or "#888888" for g in GOALS]
    out.append(_img(charts.goal_counts(counts, colors, [str(g) for g in GOALS],
                                       t("report_heroes_axis")), t("report_heroes_title")))
    for goal in GOALS:
        heroes = [h for h in data.heroes if goal in h.goals]
        if not heroes:
            continue
        out.append(f"<h3>{goal}. {_e(catalogue.sdgs.name(goal, labels.lang))}</h3>")
        out.append(_table(
            [t("report_col_hero"), t("report_col_kind"), t("report_col_municipality"),
             t("report_col_edition"), t("report_col_story")],
            [[h.name, labels.hero_kind(h.kind), f"{h.municipality} ({h.country})", h.edition,
              h.what] for h in heroes]))
    return out


def _reminders(data: ReportData, labels: Labels) -> list[str]:
    t = labels.t
    reminders = data.reminders
    if reminders is None or reminders.source == "nudges":
        out = _section(t("report_reminders_title"), t("report_reminders_nudges_intro"))
        nudges = reminders.rows if reminders else ()
        if not nudges:
            return [*out, f'<p class="muted">{_e(t("report_empty"))}</p>']
        return [*out, _table([t("report_col_flow"), t("report_col_waiting"),
                              t("report_col_reminded")],
                             [(labels.flow_title(r[0]), *r[1:]) for r in nudges], lambda i: i > 0)]
    out = _section(t("report_reminders_title"), t("report_reminders_deadlines_intro"))
    if not reminders.rows:
        return [*out, f'<p class="muted">{_e(t("report_empty"))}</p>']
    headers = [t("report_col_deadline"), t("report_col_due"), t("report_col_done"),
               *(t(f"outbox_{s}") for s in reminders.columns[3:])]
    rows = [(labels.pick(r[0]), r[1], *r[2:]) for r in reminders.rows]
    return [*out, _table(headers, rows, lambda i: i > 1)]


def _dropoff(data: ReportData, labels: Labels) -> list[str]:
    t = labels.t
    out = _section(t("report_dropoff_title"), t("report_dropoff_intro"))
    if not data.dropoffs:
        return [*out, f'<p class="muted">{_e(t("report_empty"))}</p>']
    for flow_id, entry in sorted(data.dropoffs.items()):
        rate = round(100 * entry.completed / entry.started) if entry.started else 0
        out.append(f"<h3>{_e(labels.flow_title(flow_id))}</h3>")
        summary = t("report_dropoff_summary", started=entry.started, completed=entry.completed,
                    rate=rate)
        out.append(f"<p>{_e(summary)}</p>")
        steps = labels.ordered_steps(flow_id, set(entry.stopped_after) | set(entry.waiting_at))
        if not steps:
            continue
        names = [labels.question(flow_id, s) if s else t("report_no_answer") for s in steps]
        stopped = [entry.stopped_after.get(s, 0) for s in steps]
        waiting = [entry.waiting_at.get(s, 0) for s in steps]
        out.append(_img(charts.dropoff(names, stopped, waiting,
                                       (t("report_stopped"), t("report_waiting")),
                                       labels.flow_title(flow_id)), labels.flow_title(flow_id)))
        out.append(_table([t("report_col_question"), t("report_stopped"), t("report_waiting")],
                          list(zip(names, stopped, waiting, strict=True)), lambda i: i > 0))
    return out
