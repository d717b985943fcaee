"""The registry the missions' functions join with `@flow_function("name")`.

Kept apart from `bot.missions.__init__` so each mission module can register its functions without
importing the package that imports it.
"""

from __future__ import annotations

from bot.flow.functions import FunctionRegistry

MISSION_FUNCTIONS = FunctionRegistry()
"""The functions of the shipped missions, without the engine's built-ins."""

flow_function = MISSION_FUNCTIONS.register
