"""The programme's missions: domain functions of the shipped flows, one module per topic.

The flow engine (`bot.flow`) knows none of them. `FUNCTIONS` (the engine's built-ins plus every
mission function) is the registry `bot.content.load_catalogue` puts in the catalogue, which flows
are validated and run with: a flow calling a function that is not there fails to load.
"""

from __future__ import annotations

from bot.flow.builtins import BUILTINS
from bot.flow.functions import FunctionRegistry
from bot.missions import (  # noqa: F401  (importing a topic registers its functions)
    assessment,
    assessment_advice,
    assessment_text,
    checkin,
    post2030,
    week,
)
from bot.missions.registry import MISSION_FUNCTIONS

FUNCTIONS = FunctionRegistry(BUILTINS, MISSION_FUNCTIONS)
"""Every function the shipped flows may call, by name."""
