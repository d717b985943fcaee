"""The Voluntary Local Review starter as a use case: whose answers, who may, the audit entry.

A coordinator asks for a municipality's VLR starter in a language; this gathers that
municipality's latest self-assessment (the full SDG circle if there is one), post-2030 run,
Week registration (heroes with consent only), twinning and who took part, and hands the
figures to `bot.outputs.vlr`, which writes the DOCX or HTML document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from bot.config import Settings
from bot.content import shipped_catalogue
from bot.flow import engine
from bot.flow.catalogue import Catalogue
from bot.flow.definition import Flow
from bot.flow.state import RunState
from bot.flow_library import FlowLibrary
from bot.formatting import format_date
from bot.i18n import LANGUAGES, html_to_plain
from bot.outputs.consent import consented_heroes
from bot.outputs.questions import QuestionBook
from bot.outputs.vlr import Hero, ToolUse, VlrReport, write_docx, write_html
from bot.paths import data_dir
from bot.programme.actors import Actor, NotFound
from bot.storage.audit import audit
from bot.storage.models import FlowRun, Municipality
from bot.storage.store import Store
from bot.storage.tx import Tx

ACTION_VLR = "vlr"
FORMATS = (".docx", ".html")
PILLARS = ("people", "planet", "prosperity", "peace", "partnership")
LEVELS = ("internal", "local", "global")


class VlrError(ValueError):
    """A VLR starter that cannot be made as asked (unknown format or language)."""


def vlr_texts(lang: str) -> dict[str, str]:
    """The starter's texts (``content/vlr.yaml``) in `lang`."""
    with (data_dir("content") / "vlr.yaml").open(encoding="utf-8") as handle:
        raw: Mapping[str, Mapping[str, str]] = yaml.safe_load(handle)
    return {key: str(value[lang]) for key, value in raw.items()}


async def write_vlr(
    settings: Settings,
    actor: Actor,
    municipality: str,
    *,
    lang: str,
    out: Path,
    country: str | None = None,
    now: datetime | None = None,
) -> VlrReport:
    """Write the VLR starter of `municipality` to `out` (.docx or .html); coordinators only.

    Raises:
        NotAllowed: the actor is not a coordinator.
        NotFound: no such municipality (or the name is ambiguous without `country`).
        VlrError: `out` is neither .docx nor .html, or `lang` is not a language of the bot.
    """
    actor.require("coordinator")
    if out.suffix.lower() not in FORMATS:
        raise VlrError(f"{out.name}: the starter is written as .docx or .html")
    if lang not in LANGUAGES:
        raise VlrError(f"--lang {lang!r}: use one of {', '.join(LANGUAGES)}")
    moment = now or datetime.now(UTC)
    catalogue = shipped_catalogue()
    library = FlowLibrary.load(catalogue, settings.flows_dir)
    store = await Store.open(settings.database_url)
    try:
        async with store.transaction(readonly=True) as tx:
            place = await _municipality(tx, municipality, country)
            report = await gather(tx, catalogue, library, place, lang, moment)
        if out.suffix.lower() == ".docx":
            write_docx(report, out)
        else:
            write_html(report, lang, out)
        async with store.transaction() as tx:
            await audit(
                tx,
                actor.audit_name,
                ACTION_VLR,
                {
                    "municipality": place.name,
                    "country": place.country,
                    "lang": lang,
                    "format": out.suffix.lower().lstrip("."),
                    "heroes": len(report.heroes),
                },
            )
        return report
    finally:
        await store.close()


async def _municipality(tx: Tx, name: str, country: str | None) -> Municipality:
    statement = select(Municipality).where(
        func.lower(Municipality.name) == " ".join(name.split()).lower()
    )
    if country:
        statement = statement.where(Municipality.country == country.strip().upper())
    found = (await tx.session.execute(statement)).scalars().all()
    if not found:
        raise NotFound(f"no municipality named {name!r}")
    if len(found) > 1:
        raise NotFound(
            f"{name!r} is in several countries "
            f"({', '.join(sorted(m.country for m in found))}): give --country"
        )
    return found[0]


async def gather(
    tx: Tx,
    catalogue: Catalogue,
    library: FlowLibrary,
    place: Municipality,
    lang: str,
    now: datetime,
) -> VlrReport:
    """The municipality's figures for the starter, in `lang`."""
    texts = vlr_texts(lang)

    def day(run: FlowRun) -> str:
        moment = run.completed_at or run.started_at
        return format_date(moment.date(), lang)

    runs: dict[str, Sequence[FlowRun]] = {}
    tools: list[ToolUse] = []
    for flow in library.flows.values():
        if not any(
            step.kind == "summary" and getattr(step, "result", False)
            for step in flow.steps.values()
        ):
            continue
        done = await tx.completed_runs(flow.id, municipality_id=place.id)
        if not done:
            continue
        runs[flow.id] = done
        people = []
        for run in done:
            author = await tx.user(run.user_id)
            people.append(author.name if author and author.name else "—")
        tools.append(
            ToolUse(
                flow.title.plain(lang), len(done), day(done[-1]), ", ".join(dict.fromkeys(people))
            )
        )
    country = catalogue.country(place.country)
    fields: dict[str, Any] = {
        "texts": texts,
        "municipality": place.name,
        "country": country.names.get(lang) if country else place.country,
        "prepared": format_date(now.date(), lang),
        "tools": tools,
    }

    assessments = runs.get("sdg_assessment", ())
    full = [r for r in assessments if _snapshot(r).get("path") == "full"]
    chosen = (full or list(assessments))[-1:] if assessments else []
    if chosen:
        run, assessment = chosen[0], library.get("sdg_assessment")
        snapshot = _snapshot(run)
        path = texts["path_full" if snapshot.get("path") == "full" else "path_quick"]
        goals = snapshot.get("goals") or {}
        fields.update(
            assessment=(day(run), path),
            goals=[
                (int(n), catalogue.sdgs.name(int(n), lang), g.get("today"), g.get("ambition"))
                for n, g in sorted(goals.items(), key=lambda item: int(item[0]))
            ],
            by_p=[
                (
                    texts[f"p_{p}"],
                    (snapshot.get("p_today") or {}).get(p),
                    (snapshot.get("p_ambition") or {}).get(p),
                )
                for p in PILLARS
            ],
            by_level=[
                (
                    texts[f"level_{lv}"],
                    (snapshot.get("level_today") or {}).get(lv),
                    (snapshot.get("level_ambition") or {}).get(lv),
                )
                for lv in LEVELS
            ],
            priorities=[
                f"{g}. {catalogue.sdgs.name(int(g), lang)}"
                for g in snapshot.get("focus_goals") or []
            ],
            next_steps=_next_steps(run, assessment, catalogue, lang, now) if assessment else [],
        )
    council = _council(runs, library, catalogue, lang)
    if council:
        fields["council"] = council
    if runs.get("post2030"):
        run = runs["post2030"][-1]
        levels = (run.state or {}).get("vars", {}).get("levels") or {}
        fields.update(
            post2030=day(run),
            levels=[(texts.get(f"dim_{d}", d), int(v)) for d, v in levels.items()],
            answers=_answers(run, library.get("post2030"), catalogue, lang),
        )
    twinning = await _twinning(tx, place, catalogue, lang)
    if twinning:
        fields["twinning"] = twinning
    if runs.get("municipality_week"):
        run = runs["municipality_week"][-1]
        values = (run.state or {}).get("vars", {})
        book = _book(library.get("municipality_week"), catalogue, lang)
        fields.update(
            edition=str(values.get("edition", "")),
            heroes=[
                Hero(
                    str(h.get("hero_name", "")),
                    (book.label(run.flow_version, "hero_kind", h.get("hero_kind"), None) or "")
                    if book
                    else str(h.get("hero_kind") or ""),
                    str(h.get("hero_what") or ""),
                    ", ".join(str(g) for g in h.get("hero_sdgs") or []),
                )
                for h in consented_heroes(values.get("heroes"))
            ],
        )
    return VlrReport(**fields)


def _snapshot(run: FlowRun) -> dict[str, Any]:
    return dict((run.state or {}).get("vars", {}).get("snapshot") or {})


def _book(flow: Flow | None, catalogue: Catalogue, lang: str) -> QuestionBook | None:
    return QuestionBook(flow.id, lang, catalogue, flow, []) if flow else None


def _answers(
    run: FlowRun, flow: Flow | None, catalogue: Catalogue, lang: str
) -> list[tuple[str, str]]:
    """The run's answers as ``(question, answer label)``, in the flow's order."""
    book = _book(flow, catalogue, lang)
    if book is None or flow is None:
        return []
    state = RunState.model_validate(run.state)
    shown = []
    for step_id in flow.order:
        if step_id in state.answers and state.answers[step_id] is not None:
            label = book.label(
                run.flow_version, step_id, state.answers[step_id], state.displays.get(step_id)
            )
            shown.append(
                (book.header(run.flow_version, step_id), label or str(state.answers[step_id]))
            )
    return shown


def _council(
    runs: Mapping[str, Sequence[FlowRun]], library: FlowLibrary, catalogue: Catalogue, lang: str
) -> str | None:
    """The latest answer about a council decision (self-assessment or post-2030), as a label."""
    latest: tuple[datetime, str] | None = None
    for flow_id in ("sdg_assessment", "post2030"):
        flow = library.get(flow_id)
        book = _book(flow, catalogue, lang)
        for run in runs.get(flow_id, ()):
            value = ((run.state or {}).get("answers") or {}).get("council")
            moment = run.completed_at or run.started_at
            if value is None or book is None or (latest and latest[0] > moment):
                continue
            latest = (moment, book.label(run.flow_version, "council", value, None) or str(value))
    return latest[1] if latest else None


def _next_steps(
    run: FlowRun, flow: Flow, catalogue: Catalogue, lang: str, now: datetime
) -> list[str]:
    """The self-assessment's proposed next steps, as the flow words them (``step_<id>``)."""
    state = RunState.model_validate(run.state)
    state.lang = lang
    shown = []
    for step in state.vars.get("next_steps") or []:
        name = f"step_{step}"
        if name in flow.texts:
            shown.append(html_to_plain(engine.render_text(flow, catalogue, state, name, now=now)))
    return shown


async def _twinning(
    tx: Tx, place: Municipality, catalogue: Catalogue, lang: str
) -> tuple[str, str] | None:
    for partnership in await tx.partnerships(active_only=True):
        sides = (partnership.north_municipality_id, partnership.south_municipality_id)
        if place.id in sides:
            other = await tx.municipality(sides[1] if sides[0] == place.id else sides[0])
            if other is not None:
                country = catalogue.country(other.country)
                return other.name, country.names.get(lang) if country else other.country
    return None


__all__ = ["ACTION_VLR", "VlrError", "gather", "vlr_texts", "write_vlr"]
