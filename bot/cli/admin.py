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

from bot.cli.support import actor as _actor
from bot.cli.support import fail as _fail
from bot.cli.support import load_settings as _settings
from bot.cli.support import run_coroutine as _run
from bot.config import Settings
from bot.programme import records, roles
from bot.programme.actors import Actor
from bot.storage.models import ROLES, User
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


# --- users ---------------------------------------------------------------------------------------


@click.group("users")
def users() -> None:
    """List users and manage roles (user, coordinator, admin)."""


@users.command("list")
@click.option("--role", type=click.Choice(ROLES), help="Only users with this role.")
@click.option(
    "--requests",
    "requests_only",
    is_flag=True,
    help="Only users waiting for a role they asked for.",
)
def users_list(role: str | None, requests_only: bool) -> None:
    """List users: id, name, role (and requested role), municipality, last seen."""

    async def listing() -> list[roles.Person]:
        store = await Store.open(_settings().database_url)
        async with store, store.transaction(readonly=True) as tx:
            return await roles.people(tx, _actor(), role=role, requests_only=requests_only)

    found = _run(listing())
    if not found:
        click.echo("no users")
        return
    click.echo(
        f"{'#':>4}  {'user':<24} {'name':<24} {'role':<12} {'asks':<12} "
        f"{'municipality':<22} last seen"
    )
    for person in found:
        user = person.user
        seen = user.last_seen_at.strftime("%Y-%m-%d") if user.last_seen_at else "—"
        asks = person.waiting_for or ""
        click.echo(
            f"{user.id:>4}  {user.key:<24} {(user.name or '—')[:24]:<24} {user.role:<12} "
            f"{asks:<12} {(person.municipality or '—')[:22]:<22} {seen}"
        )


async def change_role(settings: Settings, who: str, role: str, actor: Actor) -> tuple[User, str]:
    """Set a user's role (audited); returns the user and the role they had before."""
    async with await Store.open(settings.database_url) as store:

        async def change(tx: Tx) -> tuple[User, str]:
            user = await roles.find_user(tx, who)
            return user, await roles.change_role(tx, actor, user, role, via="cli")

        return await store.run_in_transaction(change)


@users.command("promote")
@click.argument("who")
@click.option(
    "--role", type=click.Choice(["coordinator", "admin"]), default="coordinator", show_default=True
)
def users_promote(who: str, role: str) -> None:
    """Give WHO (channel:id, a Telegram id, or #db-id) the coordinator or admin role."""
    user, before = _run(change_role(_settings(), who, role, _actor()))
    if before == role:
        click.echo(f"{user.key} ({user.name or '—'}) is already {role}")
    else:
        click.echo(f"{user.key} ({user.name or '—'}): {before} → {role}")


@users.command("demote")
@click.argument("who")
def users_demote(who: str) -> None:
    """Make WHO a plain user again."""
    current = _settings()
    user, before = _run(change_role(current, who, "user", _actor()))
    click.echo(f"{user.key} ({user.name or '—'}): {before} → user")
    if user.external_id in current.coordinators:
        click.echo(
            f"warning: {user.external_id} is listed in SDGBOT_COORDINATORS and becomes a "
            "coordinator again when the bot starts; remove it there too",
            err=True,
        )


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
            lines = await records.audit_log(tx, _actor(), since=start, action=action, limit=limit)
            return [
                {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "details": e.details}
                for e in lines
            ]

    for entry in _run(read()):
        if as_json:
            click.echo(json.dumps(entry, ensure_ascii=False))
        else:
            details = json.dumps(entry["details"], ensure_ascii=False, sort_keys=True)
            click.echo(
                f"{entry['at'][:19].replace('T', ' ')}  {entry['actor']:<24} "
                f"{entry['action']:<20} {details}"
            )


# --- report --------------------------------------------------------------------------------------


@click.command("report")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write report.html into (created if missing).",
)
@click.option(
    "--lang",
    type=click.Choice(["fr", "nl", "es", "en"]),
    help="Report language (default: SDGBOT_DEFAULT_LANGUAGE).",
)
@click.option("--since", help="Only runs updated on or after this date (YYYY-MM-DD).")
def report(out_dir: Path, lang: str | None, since: str | None) -> None:
    """Write the coordinators' HTML report with its charts (one self-contained file)."""
    from bot.content import shipped_catalogue
    from bot.flow_library import FlowLibrary

    current = _settings()
    start = _day(since, "--since")
    catalogue = shipped_catalogue()
    library = FlowLibrary.load(catalogue, current.flows_dir)
    now = datetime.now(UTC)

    async def make() -> Path:
        async with await Store.open(current.database_url) as store:
            return await records.write_report(
                store,
                _actor(),
                catalogue,
                library,
                out_dir,
                lang=lang or current.default_language,
                now=now,
                since=start,
            )

    click.echo(f"wrote {_run(make())}")
