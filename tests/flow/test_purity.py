"""`bot/flow/` stays pure: no Telegram, no database, no scheduler, no clock (time comes in).

Nor does it know the missions: their functions reach it through the catalogue's registry, so an
import of `bot.missions` anywhere in the engine (even under TYPE_CHECKING) fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
FLOW = BOT / "flow"
SHARED = (BOT / "text.py", BOT / "formatting.py", BOT / "i18n.py")
"""Modules outside `bot/flow/` that the engine imports: they must be just as pure."""
FORBIDDEN_IMPORTS = (
    "telegram",
    "sqlalchemy",
    "apscheduler",
    "aiosqlite",
    "asyncpg",
    "bot.storage",
    "bot.conversation",
    "bot.programme",
    "bot.outputs",
    "bot.channels",
    "bot.scheduling",
    "bot.cli",
    "bot.missions",
    "bot.content",
)
CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("date", "today"),
    ("time", "time"),
    ("time", "monotonic"),
}


def impurities(source: str) -> list[str]:
    """What in `source` breaks the engine's purity: forbidden imports and clock reads."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            # `from bot import missions` names the package in the alias, not in the module.
            names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        else:
            names = []
        found += [f"imports {name}" for name in names if name.startswith(FORBIDDEN_IMPORTS)]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and (owner.id, node.func.attr) in CLOCK_CALLS:
                found.append(f"line {node.lineno} reads the clock")
    return found


@pytest.mark.parametrize("path", [*sorted(FLOW.rglob("*.py")), *SHARED], ids=lambda p: p.name)
def test_the_engine_imports_no_io_and_reads_no_clock(path: Path) -> None:
    assert impurities(path.read_text(encoding="utf-8")) == [], path.name


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("from bot.missions import FUNCTIONS", "imports bot.missions"),
        ("from bot import missions", "imports bot.missions"),
        ("import bot.missions.checkin", "imports bot.missions.checkin"),
        (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from bot.missions.week import x",
            "imports bot.missions.week",
        ),
        ("from bot.content import load_catalogue", "imports bot.content"),
        ("import sqlalchemy", "imports sqlalchemy"),
        ("from datetime import datetime\nnow = datetime.now()", "line 2 reads the clock"),
    ],
)
def test_the_check_catches_each_kind_of_impurity(source: str, problem: str) -> None:
    assert problem in impurities(source)


def test_the_check_lets_engine_imports_through() -> None:
    assert impurities("from bot.flow import steps\nfrom bot.i18n import LANGUAGES") == []
