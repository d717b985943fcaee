"""Deadlines, reminders, nudges and broadcasts, delivered through a database outbox.

Public surface::

    from bot.scheduling import start_scheduler, wake, Transport
    handle = await start_scheduler(service, transport, settings)   # in `sdgbot run`
    wake()                                                         # new outbox rows: look now
    await handle.stop()

Modules: `timing` (pure date arithmetic: local hours, quiet hours, DST), `deadlines` (the
calendar as data), `audience` (who), `planner` (deadlines → outbox rows), `sender` (outbox →
transport, leader lease, delivery semantics), `rate` (pacing), `transport` (the channel seam),
`compose` (texts), `broadcasts`, `ics`, `runner` (APScheduler).
"""

from bot.scheduling.runner import SchedulerHandle, start_scheduler, wake
from bot.scheduling.transport import (
    Busy,
    Buttons,
    SendBlocked,
    SendError,
    SendFailed,
    SendRateLimited,
    SendRejected,
    Transport,
)

__all__ = [
    "Busy",
    "Buttons",
    "SchedulerHandle",
    "SendBlocked",
    "SendError",
    "SendFailed",
    "SendRateLimited",
    "SendRejected",
    "Transport",
    "start_scheduler",
    "wake",
]
