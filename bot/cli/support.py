"""What every `sdgbot` subcommand shares: one-line failures, settings, running a coroutine.

Kept apart from `bot.cli` so the command modules (`cli_admin`, `cli_schedule`) can use it
without importing the command group that registers them.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import click

from bot.config import Settings, SettingsError
from bot.flow.errors import FlowError
from bot.formatting import plural
from bot.programme.actors import Actor, ProgrammeError

T = TypeVar("T")


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line on stderr and exit with `code`."""
    click.echo(f"sdgbot: {message}", err=True)
    sys.exit(code)


def load_settings() -> Settings:
    """Settings from the environment, or exit with the reason in one line."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        fail(str(exc))


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; database and flow problems become one line, no traceback."""
    from bot.storage.errors import StorageError

    try:
        return asyncio.run(coroutine)
    except StorageError as exc:
        fail(str(exc))
    except FlowError as exc:
        fail(str(exc), 1)
    except ProgrammeError as exc:
        fail(str(exc), 1)
    except KeyboardInterrupt:
        sys.exit(130)


def counted(count: int, one: str, other: str) -> str:
    """``1 deadline``, ``3 deadlines``: the command's English output, plural by Babel's rules."""
    return plural(count, "en", f"# {one}", f"# {other}")


def actor() -> Actor:
    """Who runs the command: the person at the server's terminal, an admin (``cli:<login>``)."""
    return Actor.terminal(getpass.getuser())
