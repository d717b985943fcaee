"""The `sdgbot` command, assembled from one module per area.

Each module defines click commands over `bot.programme` (and the channels, for `chat` and
`run`); this package only puts them under one group, so no module imports another's commands.
"""

from bot.cli.admin import audit_log, report, users
from bot.cli.main import main
from bot.cli.outbox import outbox
from bot.cli.places import municipalities, twinnings
from bot.cli.schedule import broadcast, deadlines
from bot.cli.vlr import vlr
from bot.cli.web import web

for _command in (
    users,
    audit_log,
    report,
    deadlines,
    broadcast,
    outbox,
    municipalities,
    twinnings,
    web,
    vlr,
):
    main.add_command(_command)

__all__ = ["main"]
