"""Results: `/results` again, and the mirror report of a partnership check-in.

A completed check-in sends both sides their mirror report once the partner has answered too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.flow import engine
from bot.flow.definition import Flow
from bot.flow.events import MessageCreated
from bot.flow.functions import FUNCTIONS
from bot.flow.state import RunState
from bot.formatting import format_date, format_list
from bot.service.contexts import (
    CHECKIN_FLOW,
    checkin_of,
    previous_checkin,
    run_summary,
    twinning_of,
)
from bot.service.messages import ChartOffered, ConversationKey, Outgoing

if TYPE_CHECKING:
    from bot.service.conversation import Turn
    from bot.storage.models import FlowRun

RESULT_FLOWS = ("sdg_assessment", "post2030", "partnership_checkin", "municipality_week")


async def show_results(turn: Turn) -> None:
    """The latest result of the user's municipality, with who answered and when."""
    tx, user = turn.tx, turn.user
    shown = False
    for flow_id in RESULT_FLOWS:
        if user.municipality_id is None:
            break
        runs = await tx.completed_runs(flow_id, municipality_id=user.municipality_id)
        if not runs:
            continue
        latest = runs[-1]
        flow = await turn.service.flow_of(tx, latest)
        state = RunState.model_validate(latest.state)
        step_id = state.vars.get("__result_step")
        if flow is None or not step_id:
            continue
        state.lang = turn.lang
        text = engine.render_step(flow, turn.service.catalogue, state, str(step_id), now=turn.now)
        who = []
        for run in runs[-5:]:
            author = await tx.user(run.user_id)
            when = format_date(run.completed_at, turn.lang) if run.completed_at else ""
            who.append(f"{author.name if author and author.name else '—'} ({when})")
        turn.say(
            "results_header", flow=flow.title.plain(turn.lang), who=format_list(who, turn.lang)
        )
        turn.reply.events.append(MessageCreated(text, step_id=str(step_id), is_result=True))
        if state.vars.get("__chart") and not user.lite:
            turn.reply.events.append(ChartOffered(latest.id, turn.msg("chart_button")))
        shown = True
        break
    if not shown:
        turn.say("results_none")


async def send_chart(turn: Turn, run_id: int) -> None:
    """Draw the chart of a result the user may see (their own, or their municipality's)."""
    from bot.charts import render_chart
    from bot.service.messages import ImageOffered

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
    questions = FUNCTIONS["checkin_mirror_questions"]()
    my_name = partnership.get("my_municipality", "")

    def render(
        lang: str,
        reader: dict[str, Any],
        other: dict[str, Any],
        prev_reader: Any,
        prev_other: Any,
        other_name: str,
    ) -> str:
        report = FUNCTIONS["mirror_report"](reader, other, prev_reader, prev_other, questions)
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
    if state.context.get("partner_answers") is None:  # the flow's own result said "not yet"
        turn.reply.events.append(
            MessageCreated(
                render(turn.lang, mine, theirs, prev_mine, prev_theirs, partner_name),
                is_result=True,
            )
        )
    await _to_partner(
        turn, partner_id, lambda lang: render(lang, theirs, mine, prev_theirs, prev_mine, my_name)
    )


async def _to_partner(turn: Turn, partner_id: int, text_in: Callable[[str], str]) -> None:
    """Queue a message for every reachable official of the partner municipality."""
    for partner_user in await turn.tx.users(municipality_id=partner_id):
        if partner_user.opted_out or partner_user.blocked:
            continue
        lang = partner_user.language or turn.service.settings.default_language
        turn.reply.others.append(
            Outgoing(
                ConversationKey(partner_user.channel, partner_user.external_id),
                (MessageCreated(text_in(lang), is_result=True),),
                lang,
                bool(partner_user.lite),
            )
        )


async def notify_partner(turn: Turn, flow: Flow, state: RunState) -> None:
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

    await _to_partner(turn, twinning[1], text_in)
