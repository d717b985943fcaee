"""`sdgbot web`: serve the coordinators' web console alone, or make a one-time sign-in link.

``sdgbot web [--listen ADDR] [--port N]`` serves the console on its own (the bot can run
elsewhere on the same database); ``sdgbot run --web-port N`` serves it inside the bot's process
instead. ``sdgbot web link --user TELEGRAM_ID`` prints a link for a coordinator (the terminal
acts as an admin; the link needs ``SDGBOT_WEB_URL``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import UTC, datetime

import click

from bot.cli.support import actor, fail, load_settings, run_coroutine
from bot.programme import console, roles
from bot.storage.store import Store
from bot.storage.tx import Tx

DEFAULT_PORT = 8080


@click.group("web", invoke_without_command=True)
@click.option("--listen", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="Port to listen on.")
@click.pass_context
def web(ctx: click.Context, listen: str, port: int) -> None:
    """Serve the coordinators' web console (or see `sdgbot web link`)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = load_settings()
    if not settings.web_url:
        click.echo("note: SDGBOT_WEB_URL is not set, so /web cannot give sign-in links", err=True)

    async def serve() -> None:
        from bot.conversation.conversations import Conversations
        from bot.web.app import start

        service = await Conversations.open(settings)
        try:
            runner = await start(service, listen, port)
        except OSError as exc:
            await service.close()
            fail(f"cannot listen on {listen}:{port}: {exc.strerror or exc}")
        click.echo(f"web console on http://{listen}:{port} (Ctrl-C to stop)", err=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            await service.close()

    run_coroutine(serve())


@web.command("link")
@click.option(
    "--user",
    "who",
    required=True,
    help="The coordinator's Telegram id (or channel:id, or #database id).",
)
def web_link(who: str) -> None:
    """Print a one-time sign-in link for a coordinator (valid 15 minutes, usable once)."""
    settings = load_settings()

    async def make() -> str:
        async with await Store.open(settings.database_url) as store:

            async def issue(tx: Tx) -> str:
                user = await roles.find_user(tx, who)
                return await console.issue_link(
                    tx, actor(), user, settings.web_url, datetime.now(UTC)
                )

            return await store.run_in_transaction(issue)

    click.echo(run_coroutine(make()))


__all__ = ["web"]
