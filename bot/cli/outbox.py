"""`sdgbot outbox`: the delivery records of every message the bot sent on its own."""

from __future__ import annotations

import click

from bot.cli.support import actor, load_settings, run_coroutine
from bot.programme.outbox import KINDS, Delivery, deliveries
from bot.storage.models import OUTBOX_STATUSES
from bot.storage.store import Store


@click.command("outbox")
@click.option("--kind", type=click.Choice(KINDS), help="Only this kind of message.")
@click.option("--status", type=click.Choice(OUTBOX_STATUSES), help="Only this status.")
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="The latest this many.",
)
def outbox(kind: str | None, status: str | None, limit: int) -> None:
    """Who was sent what and how it went (reminders, broadcasts, partner messages, notices)."""

    async def read() -> list[Delivery]:
        store = await Store.open(load_settings().database_url)
        async with store, store.transaction(readonly=True) as tx:
            return await deliveries(tx, actor(), kind=kind, status=status, limit=limit)

    found = run_coroutine(read())
    if not found:
        click.echo("nothing in the outbox" + (f" of kind {kind}" if kind else ""))
        return
    for delivery in found:
        item, user = delivery.item, delivery.user
        who = f"{user.key} ({user.name or '—'})" if user is not None else f"#{item.user_id}"
        when = item.due_at.strftime("%Y-%m-%d %H:%M UTC")
        why = f" — {item.last_error}" if item.last_error else ""
        click.echo(f"#{item.id:<6} {item.kind:<9} {item.status:<8} {when}  {who}{why}")


__all__ = ["outbox"]
