"""`sdgbot deadlines add|list|remove|import|ics|pending` and `sdgbot broadcast … | status | retry`.

Coordinators keep the reporting calendar here without a release, and send broadcasts. Changes
are audited as ``cli:<login>``. `bot.cli` registers these with `register_schedule_commands`;
this module does not import `bot.cli` at load time (the two import each other).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from bot.cli.support import actor as _actor
from bot.cli.support import counted
from bot.cli.support import fail as _fail
from bot.cli.support import load_settings as _settings
from bot.cli.support import run_coroutine as _run
from bot.flow.errors import FlowError
from bot.i18n import LANGUAGES
from bot.programme import broadcasts as bc
from bot.programme import deadlines as dl
from bot.scheduling.audience import describe
from bot.scheduling.deadlines import EVERY, Deadline, Occurrence, load_file, occurrences, parse
from bot.scheduling.ics import calendar
from bot.scheduling.planner import seed_deadlines
from bot.storage.store import Store

OFFICE_ZONE = ZoneInfo("Europe/Brussels")  # a time given without offset is Brussels time


def _now() -> datetime:
    return datetime.now(UTC)


async def _open() -> Store:
    store = await Store.open(_settings().database_url)
    await seed_deadlines(store, _now())
    return store


def _localized_option(values: tuple[str, ...], name: str) -> str | dict[str, str] | None:
    """``--title "fr:Rapport"`` (repeatable) → ``{"fr": "Rapport"}``; a bare text for everyone."""
    if not values:
        return None
    texts: dict[str, str] = {}
    for value in values:
        head, sep, rest = value.partition(":")
        if sep and head.strip().lower() in LANGUAGES:
            texts[head.strip().lower()] = rest.strip()
        elif len(values) == 1:
            return value.strip()
        else:
            _fail(f"--{name} {value!r}: prefix each text with its language, e.g. fr:…")
    return texts


# --- deadlines --------------------------------------------------------------------------------


@click.group()
def deadlines() -> None:
    """The reporting calendar: deadlines and their reminders."""


def _next(
    deadline: Deadline, today: date, partnerships: list[tuple[str, str | None]]
) -> Occurrence | None:
    found = occurrences(deadline, today, today + timedelta(days=3 * 366), partnerships)
    return found[0] if found else None


@deadlines.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also removed deadlines.")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the titles (default: SDGBOT_DEFAULT_LANGUAGE).",
)
def deadlines_list(show_all: bool, lang: str | None) -> None:
    """List deadlines with their title, next due date, reminders and audience."""
    language = lang or _settings().default_language

    async def run() -> list[str]:
        store = await _open()
        try:
            async with store.transaction(readonly=True) as tx:
                found = await dl.listing(tx, _actor(), _now().date(), include_removed=show_all)
        finally:
            await store.close()
        lines = []
        for item in found:
            if item.deadline is None:
                lines.append(f"{item.id}  (unusable: {item.problem})")
                continue
            spec = item.deadline
            due = item.next.due.isoformat() if item.next else "—"
            state = "" if item.active else "  [removed]"
            offsets = ",".join(map(str, spec.offsets)) or "—"
            lines.append(
                f"{item.id:<20} {spec.title.get(language)}{state}\n"
                f"{'':<20} next {due:<10} {spec.every:<11} "
                f"offsets {offsets} at {spec.hour:02d}:00 "
                f"[{describe(spec.audience)}] {item.source}"
            )
        return lines

    for line in _run(run()) or ["no deadlines"]:
        click.echo(line)


@deadlines.command("add")
@click.argument("deadline_id")
@click.option(
    "--title",
    multiple=True,
    required=True,
    help="Title; repeat with a language prefix for each: --title 'fr:…' --title 'nl:…'.",
)
@click.option("--description", multiple=True, help="Optional hint, same form as --title.")
@click.option("--due", required=False, help="Due date (YYYY-MM-DD); the first one if recurring.")
@click.option("--every", type=click.Choice(EVERY), default="once", show_default=True)
@click.option("--until", help="Last possible due date (YYYY-MM-DD).")
@click.option(
    "--offsets",
    default="30,7,1",
    show_default=True,
    help="Days before the due date when reminders go out.",
)
@click.option(
    "--hour",
    type=click.IntRange(0, 23),
    default=9,
    show_default=True,
    help="Local hour of each recipient.",
)
@click.option("--audience", multiple=True, help="all, role:R, country:CC, side:north… (repeat).")
@click.option("--flow", help="Flow opened by the reminder's Start now button.")
@click.option(
    "--timezone", default="Europe/Brussels", show_default=True, help="Where the due date ends."
)
@click.option("--replace", is_flag=True, help="Change an existing deadline.")
def deadlines_add(
    deadline_id: str,
    title: tuple[str, ...],
    description: tuple[str, ...],
    due: str | None,
    every: str,
    until: str | None,
    offsets: str,
    hour: int,
    audience: tuple[str, ...],
    flow: str | None,
    timezone: str,
    replace: bool,
) -> None:
    """Add (or with --replace change) a deadline."""
    try:
        offset_list = [int(part) for part in offsets.split(",") if part.strip()]
    except ValueError:
        _fail(f"--offsets {offsets!r}: whole numbers separated by commas, e.g. 30,7,1")
    spec: dict[str, Any] = {
        "id": deadline_id,
        "title": _localized_option(title, "title"),
        "every": every,
        "offsets": offset_list,
        "hour": hour,
        "audience": list(audience) or ["all"],
        "timezone": timezone,
    }
    for name, value in (
        ("due", due),
        ("until", until),
        ("flow", flow),
        ("description", _localized_option(description, "description")),
    ):
        if value:
            spec[name] = value
    deadline, problems = parse(spec)
    if deadline is None:
        _fail("; ".join(message for _, message in problems))

    async def run() -> None:
        store = await _open()
        try:
            async with store.transaction() as tx:
                await dl.save(tx, _actor(), deadline, _now(), replace=replace)
        finally:
            await store.close()

    _run(run())
    click.echo(f"deadline {deadline.id} saved")


@deadlines.command("remove")
@click.argument("deadline_id")
def deadlines_remove(deadline_id: str) -> None:
    """Remove a deadline (its pending reminders are dropped; a restart does not bring it back)."""

    async def run() -> None:
        store = await _open()
        try:
            async with store.transaction() as tx:
                await dl.remove(tx, _actor(), deadline_id, _now())
        finally:
            await store.close()

    _run(run())
    click.echo(f"deadline {deadline_id} removed")


@deadlines.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def deadlines_import(file: Path) -> None:
    """Add or change every deadline of a YAML file (the format of content/deadlines.yaml)."""
    try:
        found = load_file(file, require_all_languages=False)
    except FlowError as exc:
        _fail(str(exc), 1)

    async def run() -> int:
        store = await _open()
        try:
            async with store.transaction() as tx:
                return await dl.import_all(tx, _actor(), found, file.name, _now())
        finally:
            await store.close()

    count = _run(run())
    click.echo(f"{file}: {counted(count, 'deadline', 'deadlines')} imported")


@deadlines.command("ics")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("sdg-deadlines.ics"),
    show_default=True,
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of the titles (default: SDGBOT_DEFAULT_LANGUAGE).",
)
@click.option("--months", type=click.IntRange(1, 60), default=12, show_default=True)
def deadlines_ics(out: Path, lang: str | None, months: int) -> None:
    """Write an .ics calendar file of every deadline in the coming months."""
    language = lang or _settings().default_language

    async def run() -> bytes:
        store = await _open()
        try:
            async with store.transaction(readonly=True) as tx:
                found = await dl.all_occurrences(tx, _now().date(), months)
                names = await dl.twinning_names(tx)
        finally:
            await store.close()
        return calendar(found, language, _now(), twinnings=names)

    content = _run(run())
    out.write_bytes(content)
    events = content.count(b"BEGIN:VEVENT")
    click.echo(f"{out}: {counted(events, 'event', 'events')}")


@deadlines.command("pending")
@click.argument("deadline_id")
@click.option("--due", help="Which occurrence (YYYY-MM-DD); default: the next one.")
@click.option("--remind", is_flag=True, help="Send them (only them) a reminder now.")
def deadlines_pending(deadline_id: str, due: str | None, remind: bool) -> None:
    """List the municipalities that have not marked a deadline done (and remind only them)."""
    settings = _settings()

    async def run() -> list[str]:
        from bot.content import shipped_catalogue

        day = _date(due, "--due")
        store = await _open()
        try:
            async with store.transaction() as tx:
                deadline, chosen = await dl.find_occurrences(
                    tx, _actor(), deadline_id, day, _now().date()
                )
                lines = []
                for occurrence in chosen:
                    status = await dl.progress(tx, occurrence, _now())
                    places = status.pending_places
                    total = counted(status.total, "municipality", "municipalities")
                    label = f"{occurrence.key}: {len(places)} of {total} not done"
                    lines.append(label + ("" if not places else ": " + ", ".join(places)))
                    if remind:
                        count = await dl.remind(
                            tx,
                            _actor(),
                            deadline,
                            occurrence,
                            _now(),
                            shipped_catalogue(),
                            settings.quiet_hours,
                        )
                        people = counted(count, "person", "people")
                        lines.append(f"  reminder queued for {people}")
                return lines
        finally:
            await store.close()

    for line in _run(run()):
        click.echo(line)


def _date(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} {value!r} is not a date like 2027-03-31")


# --- broadcast --------------------------------------------------------------------------------


def _when(value: str | None, now: datetime) -> datetime:
    if not value:
        return now
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"--at {value!r}: use ISO 8601, e.g. 2027-03-01T09:00 or 2027-03-01T09:00+01:00")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=OFFICE_ZONE)
    return max(moment.astimezone(UTC), now)


@click.group(invoke_without_command=True)
@click.option(
    "--text",
    "texts",
    multiple=True,
    help="The message; repeat with a language prefix for translations: 'nl:…'.",
)
@click.option(
    "--text-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A text file, or YAML {fr: …, nl: …, es: …, en: …}.",
)
@click.option(
    "--audience",
    multiple=True,
    help="all, role:R, country:CC, municipality:NAME, language:xx, partnership:ID, "
    "side:north|south (repeat; same kind: either, different kinds: both).",
)
@click.option("--at", "at", help="When (ISO 8601; without offset: Brussels time). Default: now.")
@click.option("--dry-run", is_flag=True, help="Only count the recipients.")
@click.option(
    "--ignore-quiet-hours",
    is_flag=True,
    help="Send even during recipients' night hours (emergencies only).",
)
@click.pass_context
def broadcast(
    ctx: click.Context,
    texts: tuple[str, ...],
    text_file: Path | None,
    audience: tuple[str, ...],
    at: str | None,
    dry_run: bool,
    ignore_quiet_hours: bool,
) -> None:
    """Send a message to many users; `broadcast status [ID]` shows how it went."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        given = bc.read_text_file(text_file) if text_file else {}
        for lang, text in bc.parse_texts(texts).items():
            bc.add_text(given, lang, text)
    except ValueError as exc:
        _fail(str(exc))
    now = _now()
    when = _when(at, now)

    async def run() -> bc.Planned:
        store = await _open()
        try:
            return await bc.create(
                store,
                _actor(),
                texts=given,
                audience=audience,
                at=when,
                now=now,
                ignore_quiet=ignore_quiet_hours,
                dry_run=dry_run,
            )
        finally:
            await store.close()

    try:
        planned = _run(run())
    except ValueError as exc:
        _fail(str(exc))
    audience_text = describe(planned.audience)
    languages = ", ".join(sorted(planned.texts)).replace("*", "everyone")
    reach = counted(planned.recipients, "recipient", "recipients")
    if planned.broadcast_id is None:
        click.echo(f"dry run: {reach} [{audience_text}], texts: {languages}; nothing sent")
        return
    click.echo(
        f"broadcast #{planned.broadcast_id} scheduled for "
        f"{planned.at.strftime('%Y-%m-%d %H:%M UTC')} to {reach} "
        f"[{audience_text}]; texts: {languages}"
    )


@broadcast.command("status")
@click.argument("broadcast_id", type=int, required=False)
def broadcast_status(broadcast_id: int | None) -> None:
    """Sent / failed / blocked / pending per broadcast (the latest 20, or one)."""

    async def run() -> list[str]:
        store = await Store.open(_settings().database_url)
        try:
            async with store.transaction(readonly=True) as tx:
                return [s.line() for s in await bc.status(tx, broadcast_id)]
        finally:
            await store.close()

    lines = _run(run())
    if not lines:
        _fail("no such broadcast" if broadcast_id is not None else "no broadcasts yet", 1)
    for line in lines:
        click.echo(line)


@broadcast.command("retry")
@click.argument("broadcast_id", type=int)
@click.option(
    "--unknown",
    is_flag=True,
    help="Also re-send the ones interrupted by a crash (may duplicate them).",
)
def broadcast_retry(broadcast_id: int, unknown: bool) -> None:
    """Send the failed messages of a broadcast again."""

    async def run() -> int:
        store = await Store.open(_settings().database_url)
        try:
            async with store.transaction() as tx:
                return await bc.retry(tx, _actor(), broadcast_id, _now(), unknown=unknown)
        finally:
            await store.close()

    count = _run(run())
    click.echo(f"{counted(count, 'message', 'messages')} queued again")


@broadcast.command("cancel")
@click.argument("broadcast_id", type=int)
def broadcast_cancel(broadcast_id: int) -> None:
    """Cancel a broadcast: what has not gone out yet will not."""

    async def run() -> None:
        store = await Store.open(_settings().database_url)
        try:
            async with store.transaction() as tx:
                await bc.cancel(tx, _actor(), broadcast_id)
        finally:
            await store.close()

    _run(run())
    click.echo(f"broadcast #{broadcast_id} cancelled")


__all__ = ["broadcast", "deadlines"]
