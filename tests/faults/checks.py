"""What the database holds after a fault test, compared with what each person was told."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.storage import Store
from bot.storage.models import Answer, FlowRun, User
from tests.faults.people import FLOWS, Script


@dataclass
class Stored:
    """One user's runs and answers, as the database has them."""

    runs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """Run statuses per flow id."""
    answers: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    """Displays of the answer rows per (flow, step), over all runs of that flow."""


async def stored_by_user(database_url: str, channel: str = "telegram") -> dict[str, Stored]:
    """Every user's runs and answers on `channel`, keyed by external id."""
    store = await Store.open(database_url)
    try:
        async with store.engine.connect() as connection:
            runs = await connection.execute(
                select(User.external_id, FlowRun.id, FlowRun.flow_id, FlowRun.status)
                .join(FlowRun, FlowRun.user_id == User.id)
                .where(User.channel == channel)
            )
            stored: dict[str, Stored] = defaultdict(Stored)
            flow_of: dict[int, tuple[str, str]] = {}
            for external_id, run_id, flow_id, status in runs:
                stored[external_id].runs[flow_id].append(status)
                flow_of[run_id] = (external_id, flow_id)
            rows = await connection.execute(
                select(Answer.run_id, Answer.step_id, Answer.display).where(
                    Answer.run_id.in_(list(flow_of) or [0])
                )
            )
            for run_id, step_id, display in rows:
                external_id, flow_id = flow_of[run_id]
                stored[external_id].answers[(flow_id, step_id)].append(display or "")
        return dict(stored)
    finally:
        await store.close()


def problems(people: Sequence[Script], stored: dict[str, Stored], *,
             nudges_need_notice: bool = False) -> list[str]:  # fmt: skip
    """Every broken promise, one line each (an empty list when all is well).

    Checked per person: they finished both flows; each flow has exactly one completed run;
    every acknowledged answer is in the database exactly once, as the person gave it; no
    question was shown again after its answer was acknowledged, nor twice in a row without a
    nudge. With `nudges_need_notice`, a person may only have had to nudge if the bot told
    them a message could not be shown.
    """
    found: list[str] = []
    shown: list[str] = []  # people whose history is already in `found`
    for person in people:
        who = f"user {person.external_id}"
        ledger = person.ledger
        mine = stored.get(person.external_id, Stored())
        if not person.done:
            found.append(f"{who} did not finish (phase {person.phase}, saw {ledger.shown[-3:]})")
        for flow in FLOWS:
            if person.done and mine.runs.get(flow) != ["completed"]:
                found.append(f"{who}: runs of {flow}: {mine.runs.get(flow)}")
        for flow, step, display in ledger.acknowledged:
            rows = mine.answers.get((flow, step), [])
            if rows != [display]:
                found.append(f"{who}: {flow}.{step} acknowledged as {display!r}, stored {rows}")
        found += [f"{who}: {f}.{s} asked again after its answer was acknowledged"
                  for f, s in ledger.repeats]  # fmt: skip
        found += [f"{who}: {f}.{s} sent twice in a row" for f, s in ledger.duplicates]
        if nudges_need_notice and ledger.nudges > ledger.told_to_retry:
            found.append(f"{who} had to nudge {ledger.nudges}× but was told only "
                         f"{ledger.told_to_retry}× that a message failed")  # fmt: skip
        if found and found[-1].startswith(who) and (not shown or shown[-1] != who):
            shown.append(who)
            found.append(f"    {who} history: {' → '.join(ledger.history)}")
    return found
