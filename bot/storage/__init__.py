"""Storage: the database is the source of truth for users, runs and answers.

Public surface::

    from bot.storage import Store, Tx, ExportRecord
    store = await Store.open("sqlite:///data/sdgbot.db")        # or postgresql://…
    async with store.transaction() as tx: ...                    # one input, one transaction
    await store.run_in_transaction(fn)                           # same, re-run on contention

Errors are one-line `StorageError` subclasses: `ConfigError` (bad URL, also a ValueError),
`DatabaseUnavailable`, `DatabaseBusy`, `SchemaOutdated`.
"""

from bot.storage.db import normalize_url, upgrade
from bot.storage.errors import (
    ConfigError,
    DatabaseBusy,
    DatabaseUnavailable,
    SchemaOutdated,
    StorageError,
)
from bot.storage.models import Answer, FlowRun, Municipality, Partnership, ProcessedUpdate, User
from bot.storage.records import ExportRecord
from bot.storage.store import Store
from bot.storage.tx import Tx

__all__ = [
    "Answer",
    "ConfigError",
    "DatabaseBusy",
    "DatabaseUnavailable",
    "ExportRecord",
    "FlowRun",
    "Municipality",
    "Partnership",
    "ProcessedUpdate",
    "SchemaOutdated",
    "StorageError",
    "Store",
    "Tx",
    "User",
    "normalize_url",
    "upgrade",
]
