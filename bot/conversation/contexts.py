"""What a run knows when it starts: profile, previous result, and for a check-in the twinning.

For a partnership check-in the context also holds the period and the partner's answers.

Built from the database inside the input's transaction and handed to the pure engine as
`context`, so flows can say "since your last assessment…" without the engine doing any I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.flow.definition import Flow
from bot.flow_library import FlowLibrary
from bot.formatting import format_date
from bot.i18n import LANGUAGES
from bot.programme import milestones
from bot.scheduling.timing import period_of
from bot.storage.models import FlowRun, Partnership, User
from bot.storage.tx import Tx

CHECKIN_FLOW = "partnership_checkin"


async def user_context(tx: Tx, user: User) -> dict[str, Any]:
    """The `user` part of a run's context."""
    municipality = await tx.municipality(user.municipality_id) if user.municipality_id else None
    return {
        "name": user.name or "",
        "lang": user.language or "",
        "language": user.language or "",
        "kind": user.kind or "",
        "role": user.role,
        "country": user.country or (municipality.country if municipality else ""),
        "municipality": municipality.name if municipality else "",
        "timezone": user.timezone or "",
    }


def run_summary(run: FlowRun, by: str = "") -> dict[str, Any]:
    """A completed run as a flow sees it in `context.previous`."""
    state = run.state or {}
    return {
        "answers": state.get("answers", {}),
        "vars": {k: v for k, v in (state.get("vars") or {}).items() if not k.startswith("__")},
        "completed_at": run.completed_at.date().isoformat() if run.completed_at else None,
        "version": run.flow_version,
        "by": by,
        "context": {k: v for k, v in (state.get("context") or {}).items() if k != "previous"},
    }


async def previous_run(tx: Tx, flow_id: str, user: User) -> dict[str, Any] | None:
    """The municipality's latest completed run of `flow_id` (the user's own without one)."""
    if user.municipality_id is None:
        return None
    run = await tx.latest_completed_run(flow_id, user.municipality_id)
    if run is None:
        return None
    author = await tx.user(run.user_id)
    return run_summary(run, author.name or "" if author else "")


async def partnership_context(tx: Tx, user: User, now: datetime) -> dict[str, Any]:
    """For the check-in: the user's twinning, the period and the partner's answers."""
    context: dict[str, Any] = {
        "partnership": None,
        "period": period_of(now, user.timezone),
        "partner_answers": None,
        "previous": None,
        "partner_previous": None,
    }
    if user.municipality_id is None:
        return context
    for partnership in await tx.partnerships(active_only=True):
        if user.municipality_id not in (
            partnership.north_municipality_id,
            partnership.south_municipality_id,
        ):
            continue
        north = user.municipality_id == partnership.north_municipality_id
        partner_id = (
            partnership.south_municipality_id if north else partnership.north_municipality_id
        )
        mine = await tx.municipality(user.municipality_id)
        partner = await tx.municipality(partner_id)
        context["partnership"] = {
            "id": partnership.slug,
            "db_id": partnership.id,
            "name": partnership.name,
            "side": "north" if north else "south",
            "my_municipality": mine.name if mine else "",
            "partner_municipality": partner.name if partner else "",
        }
        theirs = await checkin_of(tx, partnership.id, partner_id, context["period"])
        if theirs is not None:
            context["partner_answers"] = run_summary(theirs)["answers"]
        mine_previous = await previous_checkin(
            tx, partnership.id, user.municipality_id, context["period"]
        )
        if mine_previous is not None:
            context["previous"] = run_summary(mine_previous)
        theirs_previous = await previous_checkin(tx, partnership.id, partner_id, context["period"])
        context["partner_previous"] = run_summary(theirs_previous) if theirs_previous else None
        break
    return context


async def twinning_of(tx: Tx, municipality_id: int) -> tuple[Partnership, int] | None:
    """The active partnership of a municipality and the partner municipality's id."""
    for partnership in await tx.partnerships(active_only=True):
        if municipality_id == partnership.north_municipality_id:
            return partnership, partnership.south_municipality_id
        if municipality_id == partnership.south_municipality_id:
            return partnership, partnership.north_municipality_id
    return None


async def checkin_of(
    tx: Tx, partnership_id: int, municipality_id: int, period: str
) -> FlowRun | None:
    """The latest completed check-in of one side of a partnership for `period`."""
    runs = await tx.completed_runs(CHECKIN_FLOW, municipality_id=municipality_id)
    matching = [
        r
        for r in runs
        if r.partnership_id == partnership_id
        and (r.state or {}).get("context", {}).get("period") == period
    ]
    return max(matching, key=lambda r: r.completed_at or r.started_at, default=None)


async def previous_checkin(
    tx: Tx, partnership_id: int, municipality_id: int, period: str
) -> FlowRun | None:
    """This side's latest completed check-in of an earlier period."""
    runs = await tx.completed_runs(CHECKIN_FLOW, municipality_id=municipality_id)
    earlier = [
        r
        for r in runs
        if r.partnership_id == partnership_id
        and str((r.state or {}).get("context", {}).get("period", "")) < period
    ]
    return max(earlier, key=lambda r: r.completed_at or r.started_at, default=None)


async def start_context(
    tx: Tx, flow: Flow, user: User, now: datetime, library: FlowLibrary
) -> dict[str, Any]:
    """Everything a new run of `flow` for `user` starts with."""
    flow_id = flow.id
    context: dict[str, Any] = {
        "user": await user_context(tx, user),
        "done": await milestones.reached(tx, user.municipality_id, now),
    }
    known = await known_answers(tx, flow, user, library)
    if known:
        context["known"] = known
    if any(step.kind == "lookup" for step in flow.steps.values()):
        context["places"] = await tx.added_places()
    if flow_id == CHECKIN_FLOW:
        context.update(await partnership_context(tx, user, now))
    else:
        context["previous"] = await previous_run(tx, flow_id, user)
    return context


async def known_answers(
    tx: Tx, flow: Flow, user: User, library: FlowLibrary
) -> dict[str, dict[str, Any]]:
    """The municipality's latest answers to the questions `flow` shares with others (`known:`).

    By step id: the value as this flow's answer, who gave it, when (in each language) and in
    which flow (its title in each language), for the engine to offer a one-tap confirmation.
    """
    if user.municipality_id is None:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for step in flow.steps.values():
        known = step.base.known
        other = library.get(known.flow) if known is not None else None
        if known is None or other is None:
            continue
        runs = await tx.completed_runs(known.flow, municipality_id=user.municipality_id)
        for run in reversed(runs):
            answers = (run.state or {}).get("answers") or {}
            value = known.value_for(answers.get(known.step))
            if value is None or run.completed_at is None:
                continue
            author = await tx.user(run.user_id)
            day = run.completed_at.date()
            found[step.id] = {
                "value": value,
                "by": author.name if author is not None and author.name else "—",
                "when": {lang: format_date(day, lang) for lang in LANGUAGES},
                "source": {lang: other.title.plain(lang) for lang in LANGUAGES},
            }
            break
    return found
