"""The `sdgbot` command: chat in the console, run the Telegram bot, check flows, export answers.

Every failure a person can cause (a bad setting, an unreachable database, a broken flow) ends
with one readable line and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.cli.support import counted, fail, load_settings, run_coroutine
from bot.config import Settings
from bot.flow.errors import FlowError

T = TypeVar("T")


def settings() -> Settings:
    """Settings from the environment, or exit with the reason."""
    return load_settings()


def run_async(fn: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., T]:
    """Run an async command; storage and flow problems become one line."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return run_coroutine(fn(*args, **kwargs))

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log what the bot does.")
def main(verbose: bool) -> None:
    """Sdgbot — an SDG localisation assistant for local governments."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.option("--lang", type=click.Choice(["fr", "nl", "es", "en"]), help="Conversation language.")
@click.option("--flow", "flow_id", help="Start this flow at once (e.g. sdg_assessment).")
@click.option("--user", default=None, help="Talk as this console user (default: your login).")
@run_async
async def chat(lang: str | None, flow_id: str | None, user: str | None) -> int:
    """Talk to the bot in the terminal (one answer per line; works with piped input)."""
    from bot.channels.console import ConsoleChannel
    from bot.conversation.conversations import Conversations
    from bot.messages import Tap

    service = await Conversations.open(settings())
    try:
        if flow_id and service.flows.get(flow_id) is None:
            fail(f"no flow {flow_id!r} (see `sdgbot flows list`)", 1)
        console = ConsoleChannel(service, sys.stdin, sys.stdout, user=user, language=lang)
        start = [Tap(f"f:{flow_id}")] if flow_id else []
        return await console.run(start=start)
    finally:
        await service.close()


@main.command()
@click.option("--webhook", "webhook_url", help="Receive updates on this public HTTPS URL.")
@click.option("--listen", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=8443, show_default=True, help="Port to listen on.")
@click.option("--secret", default=None, help="Secret token Telegram sends with each webhook call.")
@click.option(
    "--web-port",
    type=int,
    default=None,
    help="Also serve the coordinators' web console on this port (same process).",
)
@click.option(
    "--web-listen",
    default="127.0.0.1",
    show_default=True,
    help="Address the web console listens on.",
)
def run(
    webhook_url: str | None,
    listen: str,
    port: int,
    secret: str | None,
    web_port: int | None,
    web_listen: str,
) -> None:
    """Run the bot on Telegram (long polling, or a webhook behind a reverse proxy)."""
    from bot.channels.telegram import run_bot

    also = _web_console(web_listen, web_port) if web_port is not None else None
    sys.exit(
        run_bot(
            settings(), webhook_url=webhook_url, listen=listen, port=port, secret=secret, also=also
        )
    )


def _web_console(listen: str, port: int) -> Callable[[Any], Coroutine[Any, Any, Any]]:
    """What starts the web console on the bot's own service and loop (``run --web-port``)."""

    async def start_console(service: Any) -> Callable[[], Coroutine[Any, Any, None]]:
        from bot.web.app import start

        runner = await start(service, listen, port)
        return runner.cleanup

    return start_console


@main.group()
def flows() -> None:
    """Check and inspect conversation flows."""


@flows.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def flows_validate(paths: tuple[Path, ...]) -> None:
    """Check flow files (default: the shipped flows and SDGBOT_FLOWS_DIR) and the content."""
    from bot.flow.glossary import glossary_issues
    from bot.flow.loader import flow_files, load_flow_file
    from bot.flow.translations import stale_translations
    from bot.paths import data_dir

    catalogue = _catalogue()
    targets = list(paths)
    if not targets:
        targets = [data_dir("flows")]
        if settings().flows_dir:
            targets.append(settings().flows_dir)  # type: ignore[arg-type]
    problems: list[str] = []
    files = flow_files(targets)
    missing = [p for p in targets if not p.exists()]
    problems += [f"{p}:1: no such file or folder" for p in missing]
    ok = 0
    for path in files:
        if not path.exists():
            continue
        try:
            flow = load_flow_file(path, catalogue)
        except FlowError as exc:
            problems += [str(issue) for issue in exc.issues]
            continue
        found = [*stale_translations(flow), *glossary_issues(flow, catalogue.glossary)]
        problems += [str(issue) for issue in found]
        if not found:
            ok += 1
    for line in problems:
        click.echo(line)
    click.echo(f"{counted(ok, 'flow', 'flows')} valid, {len(files) - ok} with problems.", err=True)
    sys.exit(1 if problems else 0)


def _catalogue() -> Any:
    from bot.content import shipped_catalogue

    try:
        return shipped_catalogue()
    except FlowError as exc:
        fail(f"the content is broken:\n{exc}", 1)


def _library() -> Any:
    from bot.flow_library import FlowLibrary

    return FlowLibrary.load(_catalogue(), settings().flows_dir)


@flows.command("lock")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def flows_lock(paths: tuple[Path, ...]) -> None:
    """Mark the current translations as up to date (after reviewing them)."""
    from bot.flow.loader import flow_files, load_flow_file
    from bot.flow.translations import write_lock
    from bot.paths import data_dir

    catalogue = _catalogue()
    flows_ = []
    for path in flow_files(list(paths) or [data_dir("flows")]):
        try:
            flows_.append(load_flow_file(path, catalogue))
        except FlowError as exc:
            fail(str(exc), 1)
    for written in write_lock(flows_):
        click.echo(f"wrote {written}")


@flows.command("list")
def flows_list() -> None:
    """List the flows the bot serves."""
    library = _library()
    for flow in library.flows.values():
        command = f"/{flow.command}" if flow.command else ""
        click.echo(
            f"{flow.id:<22} v{flow.version:<4} {command:<10} {flow.title.source.get('en')}"
            f"  ({len(flow.steps)} steps, {'/'.join(flow.languages)})"
        )
    for issue in library.issues:
        click.echo(f"not served: {issue}", err=True)


@flows.command("schema")
def flows_schema() -> None:
    """Print the JSON Schema of the flow format (for editors with the YAML language server)."""
    from bot.flow.schema import flow_schema

    click.echo(json.dumps(flow_schema(), indent=2, ensure_ascii=False))


@flows.command("graph")
@click.argument("flow_id")
def flows_graph(flow_id: str) -> None:
    """Print a Mermaid flowchart of a flow's steps and branches."""
    from bot.flow.graph import mermaid

    flow = _library().get(flow_id)
    if flow is None:
        fail(f"no flow {flow_id!r} (see `sdgbot flows list`)", 1)
    click.echo(mermaid(flow))


@main.command("export")
@click.argument("flow_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "xlsx"]),
    default="json",
    show_default=True,
    help="xlsx: a runs sheet, one sheet per repeated block, a questions sheet.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write to this file (a CSV's repeated blocks go to OUT.<block>.csv).",
)
@click.option(
    "--codebook",
    type=click.Path(path_type=Path),
    help="CSV only: write each column's question, type and options to this file.",
)
@click.option("--since", help="Only runs started on or after this date (YYYY-MM-DD).")
@click.option("--municipality", help="Only this municipality.")
@click.option("--country", help="Only this country (ISO code, e.g. BE).")
@click.option(
    "--lang",
    type=click.Choice(["fr", "nl", "es", "en"]),
    help="Language of the questions and labels (default: SDGBOT_DEFAULT_LANGUAGE).",
)
@run_async
async def export(
    flow_id: str,
    fmt: str,
    out: Path | None,
    codebook: Path | None,
    since: str | None,
    municipality: str | None,
    country: str | None,
    lang: str | None,
) -> None:
    """Export the runs of a flow, one record per run (JSON to standard output by default)."""
    from bot.cli.support import actor
    from bot.programme.exports import ExportError, export_runs

    try:
        await export_runs(
            settings(),
            actor(),
            flow_id,
            fmt=fmt,
            out=out,
            since=since,
            municipality=municipality,
            country=country,
            lang=lang,
            codebook=codebook,
        )
    except ExportError as exc:
        fail(str(exc))


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@run_async
async def db_upgrade() -> None:
    """Apply the database migrations."""
    from bot.storage.db import display_url, upgrade

    url = settings().database_url
    revision = await upgrade(url)
    click.echo(f"{display_url(url)} is at revision {revision}")
