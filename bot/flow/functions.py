"""Registries of the functions flow expressions may call.

The engine knows no domain: the `Catalogue` it is handed carries the registry flows are loaded and
run with. The engine's own built-ins (`len`, `sum`, `mean`, dates…) are
`bot.flow.builtins.BUILTINS`; the functions of the shipped missions live in `bot.missions`, which
builds a registry from the built-ins plus its own, and `bot.content` puts that registry in the
catalogue. A flow that calls a function its catalogue's registry lacks fails to load
(`file:line: unknown function …`). Expressions can call nothing else: there is no `eval`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class FunctionRegistry(Mapping[str, Callable[..., Any]]):
    """Functions callable from expressions, by name; a name may be registered once."""

    def __init__(self, *bases: Mapping[str, Callable[..., Any]]) -> None:
        self._functions: dict[str, Callable[..., Any]] = {}
        for base in bases:
            for name, fn in base.items():
                self.add(name, fn)

    def add(self, name: str, fn: Callable[..., Any]) -> None:
        """Register `fn` under `name` (registering the same function again is harmless)."""
        if name in self._functions and self._functions[name] is not fn:
            raise ValueError(f"flow function {name!r} is registered twice")
        self._functions[name] = fn

    def register(self, name: str) -> Callable[[F], F]:
        """Decorator registering a function under `name`."""

        def decorate(fn: F) -> F:
            self.add(name, fn)
            return fn

        return decorate

    def __getitem__(self, name: str) -> Callable[..., Any]:
        return self._functions[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._functions)

    def __len__(self) -> int:
        return len(self._functions)
