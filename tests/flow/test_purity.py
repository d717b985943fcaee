"""`bot/flow/` stays pure: no Telegram, no database, no scheduler, no clock (time comes in)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[2] / "bot"
FLOW = BOT / "flow"
SHARED = (BOT / "text.py", BOT / "formatting.py", BOT / "i18n.py")
"""Modules outside `bot/flow/` that the engine imports: they must be just as pure."""
FORBIDDEN_IMPORTS = ("telegram", "sqlalchemy", "apscheduler", "aiosqlite", "asyncpg",
                     "bot.storage", "bot.service", "bot.channels", "bot.scheduling")
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time"),
               ("time", "monotonic")}


@pytest.mark.parametrize("path", [*sorted(FLOW.rglob("*.py")), *SHARED], ids=lambda p: p.name)
def test_the_engine_imports_no_io_and_reads_no_clock(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            names = []
        for name in names:
            assert not name.startswith(FORBIDDEN_IMPORTS), f"{path.name} imports {name}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name):
                assert (owner.id, node.func.attr) not in CLOCK_CALLS, (
                    f"{path.name}:{node.lineno} reads the clock")
