"""Administration commands: `sdgbot users list|promote|demote`, `sdgbot audit`, `sdgbot report`.

Role changes made here are audited as ``cli:<login>``, like exports. `bot.cli` registers these
commands with `register_admin_commands`; this module does not import `bot.cli` at load time (the
two import each other), it borrows its helpers when a command runs.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from bot.cli_support import actor as _actor
from bot.cli_support import fail as _fail
from bot.cli_support import load_settings as _settings
from bot.cli_support import run_coroutine as _run
from bot.config import Settings
from bot.storage.audit import ACTION_ROLE_CHANGE
from bot.storage.models import ROLES, Municipality, User
from bot.storage.store import Store
from bot.storage.tx import Tx


def _day(value: str | None, option: str) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        _fail(f"{option} {value!r} is not a date like 2026-01-31")
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def find_user(tx: Tx, who: str) -> User:
    """The user named by ``channel:id``, a bare channel id, or ``#<database id>``.

    Raises:
        click.ClickException: when nobody or several users match.
    """
    if who.startswith("#") and who[1:].isdigit():
        found = await tx.user(int(who[1:]))
        if found is None:
            raise click.ClickException(f"no user with database id {who}")
        return found
    channel, sep, external = who.partition(":")
    if sep:
        user = await tx.get_user(channel, external)
        if user is None:
            raise click.ClickException(f"no user {who} (see `sdgbot users list`)")
        return user
    statement = select(User).where(User.external_id == who)
    matches = (await tx.session.execute(statement)).scalars().all()
    if not matches:
        raise click.ClickException(f"no user with id {who} (see `sdgbot users list`)")
    if len(matches) > 1:
        keys = ", ".join(u.key for u in matches)
        raise click.ClickException(f"{who} is ambiguous ({keys}): give channel:id")
    return matches[0]


# --- users ---------------------------------------------------------------------------------------


@click.group("users")
def users() -> None:
    """List users and manage roles (user, coordinator, admin)."""


@users.command("list")
@click.option("--role", type=click.Choice(ROLES), help="Only users with this role.")
@click.option("--requests", "requests_only", is_flag=True,
              help="Only users waiting for a role they asked for.")
def users_list(role: str | None, requests_only: bool) -> None:
    """List users: id, name, role (and requested role), municipality, last seen."""

    async def listing() -> list[tuple[Any, ...]]:
        store = await Store.open(_settings().database_url)
        async with store, store.transaction(readonly=True) as tx:
            statement = (select(User, Municipality.name)
                         .outerjoin(Municipality, Municipality.id == User.municipality_id)
                         .order_by(User.id))
            if role:
                statement = statement.where(User.role == role)
            rows = (await tx.session.execute(statement)).all()
            waiting = {u.id for u in await tx.role_requests()}
            return [(u, place) for u, place in rows if not requests_only or u.id in waiting]

    rows = _run(listing())
    if not rows:
        click.echo("no users")
        return
    click.echo(f"{'#':>4}  {'user':<24} {'name':<24} {'role':<12} {'asks':<12} "
               f"{'municipality':<22} last seen")
    for user, place in rows:
        seen = user.last_seen_at.strftime("%Y-%m-%d") if user.last_seen_at else "—"
        asks = user.requested_role if user.requested_role not in (None, user.role) else ""
        click.echo(f"{user.id:>4}  {user.key:<24} {(user.name or '—')[:24]:<24} {user.role:<12} "
                   f"{asks or '':<12} {(place or '—')[:22]:<22} {seen}")


async def change_role(settings: Settings, who: str, role: str, actor: str) -> tuple[User, str]:
    """Set a user's role (audited); returns the user and the role they had before."""
    async with await Store.open(settings.database_url) as store:

        async def change(tx: Tx) -> tuple[User, str]:
            user = await find_user(tx, who)
            before = user.role
            if before != role:
                requested = None if user.requested_role in (role, "user") or role != "user" \
                    else user.requested_role
                await tx.update_user(user, role=role, requested_role=requested)
                await tx.add_audit(actor, ACTION_ROLE_CHANGE,
                                   {"user": user.key, "from": before, "to": role, "via": "cli"})
            return user, before

        return await store.run_in_transaction(change)


@users.command("promote")
@click.argument("who")
@click.option("--role", type=click.Choice(["coordinator", "admin"]), default="coordinator",
              show_default=True)
def users_promote(who: str, role: str) -> None:
    """Give WHO (channel:id, a Telegram id, or #db-id) the coordinator or admin role."""
    try:
        user, before = _run(change_role(_settings(), who, role, _actor()))
    except click.ClickException as exc:
        _fail(exc.message, 1)
    if before == role:
        click.echo(f"{user.key} ({user.name or '—'}) is already {role}")
    else:
        click.echo(f"{user.key} ({user.name or '—'}): {before} → {role}")


@users.command("demote")
@click.argument("who")
def users_demote(who: str) -> None:
    """Make WHO a plain user again."""
    current = _settings()
    try:
        user, before = _run(change_role(current, who, "user", _actor()))
    except click.ClickException as exc:
        _fail(exc.message, 1)
    click.echo(f"{user.key} ({user.name or '—'}): {before} → user")
    if user.external_id in current.coordinators:
        click.echo(f"warning: {user.external_id} is listed in SDGBOT_COORDINATORS and becomes a "
                   "coordinator again when the bot starts; remove it there too", err=True)


# --- audit ---------------------------------------------------------------------------------------


@click.command("audit")
@click.option("--since", help="Only entries on or after this date (YYYY-MM-DD).")
@click.option("--action", help="Only this action (export, broadcast, role_change…).")
@click.option("--limit", default=100, show_default=True, help="At most this many entries.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit_log(since: str | None, action: str | None, limit: int, as_json: bool) -> None:
    """Show the audit log of privileged actions, newest first."""
    start = _day(since, "--since")

    async def read() -> list[dict[str, Any]]:
        store = await Store.open(_settings().database_url)
        async with store, store.transaction(readonly=True) as tx:
            entries = await tx.audit_entries(since=start, action=action, limit=limit)
            return [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                     "details": e.details or {}} for e in entries]

    for entry in _run(read()):
        if as_json:
            click.echo(json.dumps(entry, ensure_ascii=False))
        else:
            details = json.dumps(entry["details"], ensure_ascii=False, sort_keys=True)
            click.echo(f"{entry['at'][:19].replace('T', ' ')}  {entry['actor']:<24} "
                       f"{entry['action']:<20} {details}")


# --- report --------------------------------------------------------------------------------------


@click.command("report")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder to write report.html into (created if missing).")
@click.option("--lang", type=click.Choice(["fr", "nl", "es", "en"]),
              help="Report language (default: SDGBOT_DEFAULT_LANGUAGE).")
@click.option("--since", help="Only runs updated on or after this date (YYYY-MM-DD).")
def report(out_dir: Path, lang: str | None, since: str | None) -> None:
    """Write the coordinators' HTML report with its charts (one self-contained file)."""
    from bot.content import shipped_catalogue
    from bot.report import build_report
    from bot.service.flows import FlowLibrary

    current = _settings()
    start = _day(since, "--since")
    catalogue = shipped_catalogue()
    library = FlowLibrary.load(catalogue, current.flows_dir)
    now = datetime.now(UTC)

    async def make() -> Path:
        async with await Store.open(current.database_url) as store:
            path = await build_report(store, catalogue, library, out_dir,
                                      lang=lang or current.default_language, now=now, since=start)
            async with store.transaction() as tx:
                await tx.add_audit(_actor(), "report", {"out": str(path), "since": since})
            return path

    click.echo(f"wrote {_run(make())}")


def register_admin_commands(main: click.Group) -> None:
    """Add `users`, `audit` and `report` to the `sdgbot` command group."""
    main.add_command(users)
    main.add_command(audit_log)
    main.add_command(report)
