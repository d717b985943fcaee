"""The layers stay honest: every import in `bot/` is one ARCHITECTURE.md's table allows.

The table in ARCHITECTURE.md ("Packages") names each unit of `bot/` (a top-level module or
package) and the units it may import. Imports are read from the source (module level, inside
functions and under ``TYPE_CHECKING`` alike: a type-only import still ties two modules). A unit
missing from the table, an import the table does not allow, and an import circle between any
two modules fail here, with the file and line to look at.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
ROW = re.compile(r"^\|\s*`(bot\.[\w.]+)`\s*\|.*\|\s*([^|]*)\|\s*$")
NAME = re.compile(r"`(bot\.[\w.]+)`")


def allowed_imports() -> dict[str, set[str]]:
    """Unit → the units it may import, from ARCHITECTURE.md's package table."""
    table: dict[str, set[str]] = {}
    for line in (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8").splitlines():
        found = ROW.match(line)
        if found:
            table[found.group(1)] = set(NAME.findall(found.group(2)))
    return table


def module_name(path: Path) -> str:
    """``bot/flow/engine.py`` → ``bot.flow.engine``."""
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def unit_of(module: str) -> str:
    """The table's unit of a module: ``bot.flow.engine`` → ``bot.flow``."""
    return ".".join(module.split(".")[:2])


def sources() -> Iterator[Path]:
    """Every module of `bot/` but the generated migration scripts."""
    for path in sorted(BOT.rglob("*.py")):
        if "migrations" not in path.relative_to(BOT).parts:
            yield path


def imports_of(path: Path, modules: set[str]) -> Iterator[tuple[int, str]]:
    """(line, module) for each `bot` module `path` imports, resolved to a known module."""
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            named = [f"{base}.{alias.name}" for alias in node.names]
            targets = [t for t in named if t in modules] or [base]
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target.startswith("bot.") and target != own:
                yield node.lineno, target


def test_every_unit_of_bot_is_in_the_table() -> None:
    table = allowed_imports()
    assert table, "ARCHITECTURE.md has no package table"
    units = {unit_of(module_name(path)) for path in sources()} - {"bot", "bot.__main__"}
    assert sorted(units - set(table)) == [], "add these to ARCHITECTURE.md's package table"
    for unit, allowed in table.items():
        assert unit not in allowed, f"{unit} lists itself"
        assert allowed <= set(table), f"{unit} may import unknown units {allowed - set(table)}"


def test_every_import_is_allowed_by_the_table() -> None:
    table = allowed_imports()
    modules = {module_name(path) for path in sources()}
    wrong = []
    for path in sources():
        unit = unit_of(module_name(path))
        for line, target in imports_of(path, modules):
            other = unit_of(target)
            if other != unit and unit in table and other not in table[unit]:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {unit} imports {target}")
    assert wrong == []


def test_no_import_circle() -> None:
    modules = {module_name(path) for path in sources()}
    graph = {module_name(path): {t for _, t in imports_of(path, modules)} for path in sources()}
    circles = strongly_connected(graph)
    assert circles == [], "import circles: " + "; ".join(" ↔ ".join(c) for c in circles)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of `graph` (Tarjan's strongly connected components of size > 1)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_circle_finder_finds_circles() -> None:
    assert strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []
    assert ROW.match("| `bot.flow` | the engine | `bot.i18n`, `bot.text` |")
