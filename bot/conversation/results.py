"""Results: `/results` again, and the messages between the two sides of a twinning.

A completed check-in sends both sides their mirror report once the partner has answered too;
a flow may name a text for the partner (`vars.notify_partner`, the Week's invitation). Both go
through the outbox, written in the transaction of the answer that triggers them: delivered
exactly once even if the bot dies right after, paced with everything else, and kept as a
delivery record (`sdgbot outbox --kind partner`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.conversation.contexts import (
    CHECKIN_FLOW,
    checkin_of,
    previous_checkin,
    run_summary,
    twinning_of,
)
from bot.flow import engine
from bot.flow.definition import Flow
from bot.flow.events import MessageCreated
from bot.flow.state import RunState
from bot.formatting import format_date, format_list
from bot.messages import ChartOffered
from bot.missions.checkin import checkin_mirror_questions, mirror_report
from bot.programme.roles import can_see_run
from bot.scheduling.sender import PARTNER_KIND

if TYPE_CHECKING:
    from bot.conversation.turn import Turn
    from bot.storage.models import FlowRun, User

PARTNER_KEPT = timedelta(days=14)
"""A message to the other side not delivered by then (the person blocked the bot…) is dropped."""
AUTHORS_SHOWN = 5
"""How many of the latest answers a result's header names (who and when)."""


def result_flows(flows: Iterable[Flow]) -> list[Flow]:
    """The flows that declare a result: a summary step with ``result: true``."""
    return [
        flow
        for flow in flows
        if any(
            step.kind == "summary" and getattr(step, "result", False)
            for step in flow.steps.values()
        )
    ]


async def show_results(turn: Turn) -> None:
    """The latest result of the user's municipality for each flow that has one.

    One message per flow (each well under Telegram's 4096 characters), headed by who answered
    and when; a check-in's mirror report comes again after it. Only runs the user may see
    (`can_see_run`: their municipality's).
    """
    tx, user = turn.tx, turn.user
    shown = 0
    municipality = user.municipality_id
    for flow in result_flows(turn.service.flows.flows.values()) if municipality else []:
        completed = await tx.completed_runs(flow.id, municipality_id=municipality)
        runs = [
            run
            for run in completed
            if can_see_run(user, run) and (run.state or {}).get("vars", {}).get("__result_step")
        ]
        if runs and await show_result(turn, runs):
            shown += 1
    if not shown:
        turn.say("results_none")


async def show_result(turn: Turn, runs: Sequence[FlowRun]) -> bool:
    """Show the result of the latest of `runs` (one flow's), with who answered and when.

    Returns:
        False when that run's flow has no result to show.
    """
    tx, latest = turn.tx, runs[-1]
    flow = await turn.service.flow_of(tx, latest)
    state = RunState.model_validate(latest.state)
    step_id = str(state.vars.get("__result_step"))
    if flow is None or step_id not in flow.steps:
        return False
    state.lang = turn.lang
    text = engine.render_step(flow, turn.service.catalogue, state, step_id, now=turn.now)
    who = []
    for run in runs[-AUTHORS_SHOWN:]:
        author = await tx.user(run.user_id)
        name = author.name if author and author.name else "—"
        when = format_date(run.completed_at, turn.lang) if run.completed_at else ""
        who.append(f"{name} ({when})" if when else name)
    # The same person on the same day twice (a quick then a full assessment) is named once.
    turn.say(
        "results_header",
        flow=flow.title.plain(turn.lang),
        who=format_list(list(dict.fromkeys(who)), turn.lang),
    )
    turn.reply.events.append(MessageCreated(text, step_id=step_id, is_result=True))
    if state.vars.get("report") and "mirror_report" in flow.texts:  # the twinning's mirror
        mirror = engine.render_text(
            flow,
            turn.service.catalogue,
            state,
            "mirror_report",
            now=turn.now,
            period=state.context.get("period"),
        )
        turn.reply.events.append(MessageCreated(mirror, is_result=True))
    if state.vars.get("__chart") and not turn.user.lite:
        turn.reply.events.append(ChartOffered(latest.id, turn.msg("chart_button")))
    return True


async def send_chart(turn: Turn, run_id: int) -> None:
    """Draw the chart of a result the user may see (their own, or their municipality's)."""
    from bot.messages import ImageOffered
    from bot.outputs.charts import render_chart

    run = await turn.tx.run(run_id)
    allowed = run is not None and (
        run.user_id == turn.user.id
        or (run.municipality_id is not None and run.municipality_id == turn.user.municipality_id)
        or turn.user.role in {"coordinator", "admin"}
    )
    chart = (run.state or {}).get("vars", {}).get("__chart") if run is not None else None
    image = render_chart(chart, turn.lang) if allowed and chart else None
    if image is None or not chart:
        turn.say("chart_unavailable")
        return
    turn.reply.events.append(
        ImageOffered(f"chart-{run_id}.png", image, str(chart.get("title", "")))
    )


async def after_checkin(turn: Turn, run: FlowRun, flow: Flow, state: RunState) -> None:
    """When both sides of a twinning have answered for a period, send both the mirror report."""
    if flow.id != CHECKIN_FLOW or run.partnership_id is None or "mirror_report" not in flow.texts:
        return
    partnership = state.context.get("partnership") or {}
    period = str(state.context.get("period") or "")
    tx = turn.tx
    partner_name = partnership.get("partner_municipality", "")
    me = turn.user
    if me.municipality_id is None:
        return
    twinning = await twinning_of(tx, me.municipality_id)
    if twinning is None or twinning[0].id != run.partnership_id:
        return
    own_partnership, partner_id = twinning
    theirs_run = await checkin_of(tx, own_partnership.id, partner_id, period)
    if theirs_run is None:
        return
    mine_prev = await previous_checkin(tx, own_partnership.id, me.municipality_id, period)
    theirs_prev = await previous_checkin(tx, own_partnership.id, partner_id, period)
    mine, theirs = state.answers, run_summary(theirs_run)["answers"]
    questions = checkin_mirror_questions()
    my_name = partnership.get("my_municipality", "")

    def render(
        lang: str,
        reader: dict[str, Any],
        other: dict[str, Any],
        prev_reader: Any,
        prev_other: Any,
        other_name: str,
    ) -> str:
        report = mirror_report(reader, other, prev_reader, prev_other, questions)
        reading_state = state.model_copy(update={"lang": lang})
        return engine.render_text(
            flow,
            turn.service.catalogue,
            reading_state,
            "mirror_report",
            now=turn.now,
            mine=reader,
            theirs=other,
            report=report,
            partner_name=other_name,
            period=period,
        )

    prev_mine = run_summary(mine_prev) if mine_prev else None
    prev_theirs = run_summary(theirs_prev) if theirs_prev else None
    # Each side's mirror is a message of its own, for every official of that side, written with
    # this last answer: neither is lost if the bot dies before this reply goes out.
    occasion = f"mirror:{own_partnership.id}:{period}"
    both = (run.id, theirs_run.id)
    await _queue(
        turn,
        flow,
        occasion,
        await turn.tx.users(municipality_id=me.municipality_id),
        lambda lang: render(lang, mine, theirs, prev_mine, prev_theirs, partner_name),
        both,
    )
    await _queue(
        turn,
        flow,
        occasion,
        await turn.tx.users(municipality_id=partner_id),
        lambda lang: render(lang, theirs, mine, prev_theirs, prev_mine, my_name),
        both,
    )


async def _queue(
    turn: Turn,
    flow: Flow,
    occasion: str,
    people: Sequence[User],
    text_in: Callable[[str], str],
    runs: Sequence[int],
) -> None:
    """Write a message for each of `people` to the outbox, in every language of the flow.

    One row per person and occasion (its key), so the same occasion never reaches anyone twice;
    the sender picks the text in the person's language when it goes out. `runs`: the runs whose
    answers the message shows (erasing one of them erases the message too).
    """
    texts = {lang: text_in(lang) for lang in flow.languages} if people else {}
    rows = [
        {
            "key": f"{PARTNER_KIND}:{occasion}:{person.id}",
            "kind": PARTNER_KIND,
            "user_id": person.id,
            "due_at": turn.now,
            "expires_at": turn.now + PARTNER_KEPT,
            "payload": {"flow": flow.id, "occasion": occasion, "runs": list(runs), "texts": texts},
        }
        for person in people
        if not person.blocked
    ]
    if rows:
        turn.reply.queued += await turn.tx.enqueue(rows, turn.now)


async def notify_partner(turn: Turn, run: FlowRun, flow: Flow, state: RunState) -> None:
    """Send the named text in `vars.notify_partner` to the twinning partner's officials."""
    name = state.vars.get("notify_partner")
    if not name or str(name) not in flow.texts or turn.user.municipality_id is None:
        return
    twinning = await twinning_of(turn.tx, turn.user.municipality_id)
    if twinning is None:
        return

    def text_in(lang: str) -> str:
        reading_state = state.model_copy(update={"lang": lang})
        return engine.render_text(
            flow, turn.service.catalogue, reading_state, str(name), now=turn.now
        )

    partners = await turn.tx.users(municipality_id=twinning[1])
    await _queue(
        turn,
        flow,
        f"{name}:{twinning[0].id}:{state.vars.get('edition', '')}",
        partners,
        text_in,
        (run.id,),
    )
