"""`Tx`: the unit of work handed out by `Store.transaction`, one per handled input.

Its methods are grouped by concept in sibling modules (`users`, `runs`, `catalogue`, `export`);
`Tx` only puts them together. Later tables (outbox, deadlines, audit) add their own part here.
Everything a `Tx` does is committed together when the ``async with`` block ends, or rolled back
if it raises.
"""

from __future__ import annotations

from bot.storage.audit import AuditPart, LabelledExportPart
from bot.storage.catalogue import CataloguePart
from bot.storage.erasure import ErasurePart
from bot.storage.flow_versions import FlowVersionsPart
from bot.storage.inbox import InboxPart
from bot.storage.places import PlacesPart
from bot.storage.records import ExportPart
from bot.storage.runs import RunsPart
from bot.storage.schedule import SchedulePart
from bot.storage.users import UsersPart
from bot.storage.web import WebPart


class Tx(
    UsersPart,
    RunsPart,
    CataloguePart,
    ExportPart,
    FlowVersionsPart,
    AuditPart,
    LabelledExportPart,
    SchedulePart,
    InboxPart,
    ErasurePart,
    PlacesPart,
    WebPart,
):
    """One open database transaction with the bot's queries (see the parts for each method)."""
