"""The reporting calendar as data: deadline definitions, their occurrences and reminder times.

A deadline is what `content/deadlines.yaml` (or ``sdgbot deadlines add|import``) defines::

    - id: financial_report
      title: {fr: …, nl: …, es: …, en: …}
      description: {fr: …, …}          # optional
      due: 2027-06-30                  # the (first) due date
      every: yearly                    # once | monthly | quarterly | half-yearly | yearly |
                                       # partnership (each twinning's own check-in rhythm)
      until: 2031-06-30                # optional: last possible occurrence
      offsets: [30, 7, 1]              # days before the due date, reminders go out…
      hour: 9                          # …at this local hour of each recipient
      audience: [side:north]           # see bot.scheduling.audience
      flow: partnership_checkin        # optional: the "Start now" button
      closed_by:                       # optional: completing a flow closes it (default: `flow`)
        flow: partnership_checkin
        when: register or already_registered   # …if the run's answers say so (an expression)
        both_sides: true               # a twinning's occurrence: once both sides completed it
      timezone: Europe/Brussels        # where the due date ends (default)

Everything here is pure (no database, no clock): `occurrences` expands a deadline into dated
occurrences, `reminder_plan` gives each offset's send time and expiry for one recipient.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.flow.errors import FlowError, FlowIssue
from bot.flow.expressions import EvalError, ExpressionError, evaluate, parse_expression, truthy
from bot.flow.yamlsrc import LineDict, LineList, load_yaml
from bot.i18n import LANGUAGES, Localized
from bot.scheduling.audience import Term, parse_audience
from bot.scheduling.timing import (
    STEP_MONTHS,
    QuietHours,
    add_months,
    end_of_day,
    is_zone,
    period_ends,
    send_time,
    zone,
)

EVERY = ("once", *STEP_MONTHS, "partnership")
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,23}")
DEFAULT_OFFSETS = (30, 7, 1)
DEFAULT_HOUR = 9
FIELDS = frozenset(
    {
        "id",
        "title",
        "description",
        "due",
        "every",
        "until",
        "offsets",
        "hour",
        "closed_by",
        "audience",
        "flow",
        "timezone",
    }
)


@dataclass(frozen=True)
class ClosedBy:
    """What closes an occurrence without anyone tapping Done: completing a flow in its period.

    Attributes:
        flow: the flow whose completed run closes it.
        when: an expression over the run's answers and computed values that must hold
            (``register or already_registered``); None: any completed run.
        both_sides: for a twinning's occurrence, done only once both municipalities of the
            twinning completed the flow in the period (each side's check-in).
    """

    flow: str
    when: str | None = None
    both_sides: bool = False

    def holds(self, answers: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
        """Whether a completed run with these answers and computed values closes it."""
        if self.when is None:
            return True
        scope = _RunScope({**values, **answers})
        try:
            return truthy(evaluate(parse_expression(self.when), scope))
        except (EvalError, ExpressionError):
            return False

    def to_spec(self) -> dict[str, Any]:
        """As stored and read back by `parse`."""
        spec: dict[str, Any] = {"flow": self.flow}
        if self.when:
            spec["when"] = self.when
        if self.both_sides:
            spec["both_sides"] = True
        return spec


class _RunScope:
    """Names of a finished run for `ClosedBy.when`: its answers and computed values."""

    def __init__(self, names: Mapping[str, Any]) -> None:
        self.names = names

    def lookup(self, name: str) -> Any:
        return self.names.get(name)

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "len" and len(args) == 1:
            return len(args[0] or ())
        raise EvalError(f"unknown function {name}()")


@dataclass(frozen=True)
class Deadline:
    """One deadline definition (see the module docstring for the fields)."""

    id: str
    title: Localized
    due: date | None
    every: str = "once"
    until: date | None = None
    offsets: tuple[int, ...] = DEFAULT_OFFSETS
    hour: int = DEFAULT_HOUR
    audience: tuple[Term, ...] = (Term("all"),)
    flow: str | None = None
    timezone: str = "Europe/Brussels"
    description: Localized | None = None
    closed_by: ClosedBy | None = None

    @property
    def closing(self) -> ClosedBy | None:
        """What closes it: `closed_by`, else completing its `flow`, else nothing but Done."""
        if self.closed_by is not None:
            return self.closed_by
        return ClosedBy(self.flow) if self.flow else None

    def to_spec(self) -> dict[str, Any]:
        """The definition as JSON-ready data (what the database stores, what `parse` reads)."""
        spec: dict[str, Any] = {
            "id": self.id,
            "title": dict(self.title.texts) if self.title.neutral is None else self.title.neutral,
            "every": self.every,
            "offsets": list(self.offsets),
            "hour": self.hour,
            "audience": [str(t) for t in self.audience],
            "timezone": self.timezone,
        }
        if self.due is not None:
            spec["due"] = self.due.isoformat()
        if self.until is not None:
            spec["until"] = self.until.isoformat()
        if self.flow:
            spec["flow"] = self.flow
        if self.closed_by is not None:
            spec["closed_by"] = self.closed_by.to_spec()
        if self.description is not None:
            described = self.description
            spec["description"] = (
                dict(described.texts) if described.neutral is None else described.neutral
            )
        return spec


@dataclass(frozen=True)
class Occurrence:
    """One dated occurrence of a deadline (for ``every: partnership``, of one twinning).

    Attributes:
        deadline: the definition.
        due: the due date.
        key: stable id within the deadline (``2027-06-30``, ``brasschaat-tarija/2026-12-31``).
        partnership: the twinning's slug for per-partnership deadlines.
        since: the previous occurrence's due date (a flow completed after it counts as done).
    """

    deadline: Deadline
    due: date
    key: str
    partnership: str | None = None
    since: date | None = None

    def ends_at(self) -> datetime:
        """The instant the due date is over, in the deadline's time zone (UTC)."""
        return end_of_day(self.due, zone(self.deadline.timezone))


@dataclass(frozen=True)
class PlannedReminder:
    """When one offset's reminder goes out to one recipient, and until when it is useful."""

    offset: int
    send_at: datetime
    expires_at: datetime


# --- reading definitions --------------------------------------------------------------------


def _localized(
    value: Any, name: str, problems: list[tuple[str, str]], require_all: bool
) -> Localized | None:
    if isinstance(value, str) and value.strip():
        return Localized(neutral=value.strip())
    if isinstance(value, Mapping):
        texts = {str(k): str(v).strip() for k, v in value.items() if v and str(v).strip()}
        unknown = set(texts) - set(LANGUAGES)
        if unknown:
            problems.append((name, f"{name}: unknown languages: {', '.join(sorted(unknown))}"))
        localized = Localized(texts=texts)
        missing = localized.missing(LANGUAGES)
        if require_all and missing:
            problems.append((name, f"{name}: missing translation in {', '.join(missing)}"))
        if texts:
            return localized
    problems.append((name, f"{name}: give a text, or a map of fr, nl, es, en texts"))
    return None


def _date(value: Any, name: str, problems: list[tuple[str, str]]) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append((name, f"{name}: {value!r} is not a date like 2027-06-30"))
        return None


def parse(
    data: Mapping[str, Any], *, require_all_languages: bool = False
) -> tuple[Deadline | None, list[tuple[str, str]]]:
    """Read one deadline definition.

    Args:
        data: the mapping from YAML, JSON or the CLI.
        require_all_languages: titles must exist in fr, nl, es and en (shipped content).

    Returns:
        The deadline (None when unusable) and the problems as ``(field, message)`` pairs.
    """
    problems: list[tuple[str, str]] = []
    for name in sorted(set(data) - FIELDS):
        problems.append((name, f"unknown field {name!r}; known: {', '.join(sorted(FIELDS))}"))
    deadline_id = str(data.get("id") or "").strip()
    if not ID_PATTERN.fullmatch(deadline_id):
        problems.append(("id", f"id {deadline_id!r}: use 1–24 lowercase letters, digits, - or _"))
    title = _localized(data.get("title"), "title", problems, require_all_languages)
    description = (
        _localized(data["description"], "description", problems, require_all_languages)
        if data.get("description")
        else None
    )
    every = str(data.get("every") or "once").strip().lower()
    if every not in EVERY:
        problems.append(("every", f"every: {every!r} must be one of {', '.join(EVERY)}"))
    due = _date(data.get("due"), "due", problems)
    if due is None and every != "partnership" and not any(f == "due" for f, _ in problems):
        problems.append(("due", "due: a date such as 2027-06-30 is required"))
    until = _date(data.get("until"), "until", problems)
    offsets_raw = data.get("offsets", list(DEFAULT_OFFSETS))
    offsets: tuple[int, ...] = ()
    if (
        not isinstance(offsets_raw, Sequence)
        or isinstance(offsets_raw, str)
        or not all(
            isinstance(o, int) and not isinstance(o, bool) and 0 <= o <= 366 for o in offsets_raw
        )
    ):
        problems.append(("offsets", "offsets: a list of days before the due date, 0 to 366"))
    else:
        offsets = tuple(sorted(set(offsets_raw), reverse=True))
    hour = data.get("hour", DEFAULT_HOUR)
    if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
        problems.append(("hour", f"hour: {hour!r} must be a whole hour from 0 to 23"))
        hour = DEFAULT_HOUR
    audience_raw = data.get("audience") or ["all"]
    if isinstance(audience_raw, str):
        audience_raw = [audience_raw]
    try:
        audience = parse_audience(str(a) for a in audience_raw)
    except ValueError as exc:
        problems.append(("audience", str(exc)))
        audience = (Term("all"),)
    timezone = str(data.get("timezone") or "Europe/Brussels")
    if not is_zone(timezone):
        problems.append(("timezone", f"timezone: {timezone!r} is not an IANA time zone"))
    flow = str(data["flow"]).strip() if data.get("flow") else None
    closed_by = _closed_by(data.get("closed_by"), problems)
    if closed_by is not None and closed_by.both_sides and every != "partnership":
        problems.append(("closed_by", "closed_by.both_sides: only for every: partnership"))
    if problems or title is None:
        return None, problems
    return Deadline(
        id=deadline_id,
        title=title,
        due=due,
        every=every,
        until=until,
        offsets=offsets,
        hour=hour,
        audience=audience,
        flow=flow,
        timezone=timezone,
        description=description,
        closed_by=closed_by,
    ), problems


def _closed_by(value: Any, problems: list[tuple[str, str]]) -> ClosedBy | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = {"flow": value}
    if not isinstance(value, Mapping) or not str(value.get("flow") or "").strip():
        problems.append(("closed_by", "closed_by: a flow id, or {flow: …, when: …, both_sides: …}"))
        return None
    unknown = sorted(set(value) - {"flow", "when", "both_sides"})
    if unknown:
        problems.append(
            ("closed_by", f"closed_by: unknown field {unknown[0]!r}; known: flow, when, both_sides")
        )
    when = str(value["when"]).strip() if value.get("when") else None
    if when is not None:
        try:
            parse_expression(when)
        except ExpressionError as exc:
            problems.append(("closed_by", f"closed_by.when: {exc}"))
    both = value.get("both_sides", False)
    if not isinstance(both, bool):
        problems.append(("closed_by", "closed_by.both_sides: true or false"))
        both = False
    return ClosedBy(str(value["flow"]).strip(), when, both)


def load_file(path: Path, *, require_all_languages: bool = True) -> list[Deadline]:
    """Read a deadlines file (`content/deadlines.yaml` or one given to ``deadlines import``).

    Raises:
        FlowError: every problem found, as ``file:line: message``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowError([FlowIssue(str(path), 1, f"cannot read the file: {exc}")]) from None
    try:
        data = load_yaml(text, str(path))
    except ValueError as exc:  # PyYAML builds dates itself: 2027-02-30 raises, without a line
        raise FlowError([FlowIssue(str(path), 1, f"a value cannot be read: {exc}")]) from None
    items = data.get("deadlines") if isinstance(data, LineDict) else None
    if not isinstance(items, LineList):
        raise FlowError([FlowIssue(str(path), 1, "expected a top-level 'deadlines:' list")])
    found: list[Deadline] = []
    issues: list[FlowIssue] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        line = items.line_of(index)
        if not isinstance(item, LineDict):
            issues.append(FlowIssue(str(path), line, "each deadline is a mapping (id, title, …)"))
            continue
        deadline, problems = parse(item, require_all_languages=require_all_languages)
        for field_name, message in problems:
            issues.append(FlowIssue(str(path), item.line_of(field_name), message))
        if deadline is not None:
            if deadline.id in seen:
                issues.append(
                    FlowIssue(
                        str(path), item.line_of("id"), f"deadline {deadline.id!r} is defined twice"
                    )
                )
            seen.add(deadline.id)
            found.append(deadline)
    if issues:
        raise FlowError(issues)
    return found


def from_spec(spec: Mapping[str, Any]) -> Deadline:
    """Rebuild a stored deadline (its spec was validated when saved).

    Raises:
        ValueError: if the stored spec no longer reads (it was edited by hand).
    """
    deadline, problems = parse(spec)
    if deadline is None:
        raise ValueError("; ".join(message for _, message in problems))
    return deadline


# --- occurrences and reminder times ------------------------------------------------------------


def occurrences(
    deadline: Deadline, start: date, end: date, partnerships: Iterable[tuple[str, str | None]] = ()
) -> list[Occurrence]:
    """The deadline's occurrences due between ``start`` and ``end`` (inclusive), by date.

    Args:
        deadline: the definition.
        start: first due date of interest.
        end: last due date of interest.
        partnerships: ``(slug, rhythm)`` of the active twinnings, for ``every: partnership``
            (a twinning without rhythm follows the programme's default, quarterly).
    """
    if deadline.until is not None:
        end = min(end, deadline.until)
    found: list[Occurrence] = []
    if deadline.every == "partnership":
        for slug, rhythm in partnerships:
            named = rhythm if rhythm in STEP_MONTHS else "quarterly"
            # Ask for one period more on the left, to know each occurrence's `since`.
            first = add_months(start, -STEP_MONTHS[named])
            if deadline.due is not None:
                first = max(first, deadline.due)
            ends = period_ends(named, first, end)
            for previous, due in zip([None, *ends], ends, strict=False):
                if due >= start and (deadline.due is None or due >= deadline.due):
                    found.append(
                        Occurrence(deadline, due, f"{slug}/{due.isoformat()}", slug, previous)
                    )
        return sorted(found, key=lambda o: (o.due, o.key))
    if deadline.due is None:
        return []
    if deadline.every == "once":
        if start <= deadline.due <= end:
            return [Occurrence(deadline, deadline.due, deadline.due.isoformat())]
        return []
    step = STEP_MONTHS[deadline.every]
    index, previous = 0, None
    due = deadline.due
    while due <= end:
        if due >= start:
            found.append(Occurrence(deadline, due, due.isoformat(), None, previous))
        previous = due
        index += 1
        due = add_months(deadline.due, step * index)
    return found


def reminder_plan(
    occurrence: Occurrence, tz_name: str | None, quiet: QuietHours
) -> list[PlannedReminder]:
    """Each offset's send time for a recipient in ``tz_name``, and until when it is useful.

    A reminder stops being useful when the next one goes out (two missed reminders are never
    sent together after a restart: only the latest) or when the deadline is over. An offset
    whose time (pushed out of quiet hours) would fall after the deadline is left out.
    """
    deadline = occurrence.deadline
    tz = zone(tz_name)
    ends = occurrence.ends_at()
    times = [
        (offset, send_time(occurrence.due - timedelta(days=offset), deadline.hour, tz, quiet))
        for offset in deadline.offsets
    ]
    times = [(offset, at) for offset, at in times if at < ends]
    plan: list[PlannedReminder] = []
    for index, (offset, at) in enumerate(times):
        expires = times[index + 1][1] if index + 1 < len(times) else ends
        if expires > at:
            plan.append(PlannedReminder(offset, at, expires))
    return plan


def relevant_window(deadline: Deadline, today: date, horizon_days: int = 2) -> tuple[date, date]:
    """Due dates whose reminders may be useful now: from yesterday to the longest offset ahead."""
    longest = max(deadline.offsets, default=0)
    return today - timedelta(days=1), today + timedelta(days=longest + horizon_days)


__all__ = [
    "DEFAULT_HOUR",
    "DEFAULT_OFFSETS",
    "EVERY",
    "ClosedBy",
    "Deadline",
    "Occurrence",
    "PlannedReminder",
    "from_spec",
    "load_file",
    "occurrences",
    "parse",
    "relevant_window",
    "reminder_plan",
]
