"""What a municipality has already done: milestones read from its completed flows.

`content/milestones.yaml` names each milestone and how to recognise it (a completed run of a
flow, a condition on its answers, how recent; or an active twinning). New runs get the names
that hold as ``context.done``, so flows do not suggest what the municipality has done already.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.paths import data_dir
from bot.scheduling.deadlines import ClosedBy
from bot.storage.tx import Tx


@dataclass(frozen=True)
class Milestone:
    """One milestone and how to recognise it (see `content/milestones.yaml`)."""

    name: str
    run: ClosedBy | None = None
    within: timedelta | None = None
    twinning: bool = False


def parse(data: Mapping[str, Any]) -> list[Milestone]:
    """Read the ``milestones:`` mapping.

    Raises:
        ValueError: a milestone that says neither a flow nor ``twinning: true``, or a bad field.
    """
    found = []
    for name, spec in (data.get("milestones") or {}).items():
        if not isinstance(spec, Mapping):
            raise ValueError(f"milestone {name!r}: give flow/when/within or twinning: true")
        unknown = sorted(set(spec) - {"flow", "when", "within", "twinning"})
        if unknown:
            raise ValueError(f"milestone {name!r}: unknown field {unknown[0]!r}")
        within = spec.get("within")
        if within is not None and (not isinstance(within, int) or within <= 0):
            raise ValueError(f"milestone {name!r}: within is a number of days")
        if spec.get("twinning") is True:
            found.append(Milestone(str(name), twinning=True))
        elif spec.get("flow"):
            found.append(
                Milestone(
                    str(name),
                    ClosedBy(str(spec["flow"]), spec.get("when")),
                    timedelta(days=within) if within else None,
                )
            )
        else:
            raise ValueError(f"milestone {name!r}: give a flow or twinning: true")
    return found


@cache
def shipped(path: Path | None = None) -> tuple[Milestone, ...]:
    """The milestones of `content/milestones.yaml` (read once)."""
    source = path or data_dir("content") / "milestones.yaml"
    return tuple(parse(yaml.safe_load(source.read_text(encoding="utf-8")) or {}))


async def reached(
    tx: Tx,
    municipality_id: int | None,
    now: datetime,
    milestones: tuple[Milestone, ...] | None = None,
) -> list[str]:
    """The names of the milestones the municipality has reached, in the file's order."""
    if municipality_id is None:
        return []
    names = []
    twinned = any(
        municipality_id in (p.north_municipality_id, p.south_municipality_id)
        for p in await tx.partnerships(active_only=True)
    )
    runs: dict[str, list[Any]] = {}
    for milestone in milestones if milestones is not None else shipped():
        if milestone.twinning:
            if twinned:
                names.append(milestone.name)
            continue
        assert milestone.run is not None
        flow = milestone.run.flow
        if flow not in runs:
            runs[flow] = list(await tx.completed_runs(flow, municipality_id=municipality_id))
        since = now - milestone.within if milestone.within else None
        if any(
            (since is None or (run.completed_at and run.completed_at >= since))
            and milestone.run.holds(
                (run.state or {}).get("answers") or {}, (run.state or {}).get("vars") or {}
            )
            for run in runs[flow]
        ):
            names.append(milestone.name)
    return names


__all__ = ["Milestone", "parse", "reached", "shipped"]
