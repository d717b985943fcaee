"""Domain functions for flow expressions, one module per topic; importing registers them all."""

from bot.flow.library import (
    assessment,  # noqa: F401
    checkin,  # noqa: F401
    core,  # noqa: F401
    post2030,  # noqa: F401
    week,  # noqa: F401
)
