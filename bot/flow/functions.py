"""The registry of functions flow expressions may call.

Built-in functions live here; domain functions (`bot/flow/library/*.py`) register themselves with
`@flow_function("name")`. Expressions can call nothing else: there is no `eval`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

FUNCTIONS: dict[str, Callable[..., Any]] = {}
"""Every function callable from an expression, by name."""


def flow_function(name: str) -> Callable[[F], F]:
    """Register `fn` under `name` for flow expressions (a name may be registered once)."""

    def register(fn: F) -> F:
        if name in FUNCTIONS and FUNCTIONS[name] is not fn:
            raise ValueError(f"flow function {name!r} is registered twice")
        FUNCTIONS[name] = fn
        return fn

    return register
