"""Domain functions for flow expressions, one module per topic; importing this registers them all."""

from bot.flow.library import core  # noqa: F401
from bot.flow.library import checkin  # noqa: F401
from bot.flow.library import post2030  # noqa: F401
from bot.flow.library import week  # noqa: F401
from bot.flow.library import assessment  # noqa: F401
