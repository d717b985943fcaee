"""Broadcasts as the web console composes and follows them: texts, arrival, deliveries.

`bot.programme.broadcasts` creates, retries and cancels. This module adds what a form needs:
texts given per language become the broadcast's ``texts`` with the first one given also under
``*``, so the sender (`bot.scheduling.compose.broadcast_text`) gives everyone their own
language or else the first given; a preview of who it reaches and when, since quiet hours hold
a message until morning in each person's own zone; and the delivery of each recipient.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.flow.catalogue import Catalogue
from bot.i18n import LANGUAGES
from bot.programme import broadcasts
from bot.programme.actors import Actor, NotFound
from bot.programme.broadcasts import add_text
from bot.scheduling.audience import Term, resolve, user_timezone
from bot.scheduling.compose import user_language
from bot.scheduling.timing import QuietHours, next_allowed, zone
from bot.storage.models import Broadcast
from bot.storage.tx import Tx
from bot.storage.web import Delivery

DELIVERY_STATUSES = ("sent", "failed", "blocked", "unknown", "pending", "sending", "dropped")


def texts_from_form(fields: Mapping[str, str]) -> dict[str, str]:
    """``text_fr`` … ``text_en`` as a broadcast's texts; the first given also stands for ``*``.

    Raises:
        ValueError: no text at all, or one too long.
    """
    texts: dict[str, str] = {}
    for lang in LANGUAGES:
        value = fields.get(f"text_{lang}", "")
        if value.strip():
            add_text(texts, lang, value)
    if not texts:
        raise ValueError("write the message in at least one language")
    texts["*"] = next(iter(texts.values()))
    return texts


@dataclass(frozen=True)
class Arrival:
    """Who a broadcast reaches and when, as a preview shows it."""

    recipients: int
    languages: dict[str, int]
    """How many get each language's text (their own, or the first given)."""
    held: int
    """How many get it later than `at`, held by their quiet hours."""
    first: datetime | None
    last: datetime | None


async def arrival(
    tx: Tx,
    actor: Actor,
    terms: Sequence[Term],
    texts: Mapping[str, str],
    at: datetime,
    *,
    catalogue: Catalogue,
    quiet: QuietHours,
    ignore_quiet: bool,
    default_language: str,
) -> Arrival:
    """Who `terms` reach now, in which language, and when the message reaches them."""
    actor.require("coordinator")
    users = await resolve(tx, terms)
    first_given = next((lang for lang in texts if lang != "*"), "*")
    languages: Counter[str] = Counter()
    held, times = 0, []
    for user in users:
        lang = user_language(user, default_language)
        languages[lang if lang in texts else first_given] += 1
        due = at if ignore_quiet else next_allowed(at, zone(user_timezone(user, catalogue)), quiet)
        held += due > at
        times.append(due)
    return Arrival(
        len(users), dict(languages), held, min(times, default=None), max(times, default=None)
    )


async def recent(tx: Tx, actor: Actor) -> list[broadcasts.Status]:
    """The latest broadcasts with their counts (coordinators only)."""
    actor.require("coordinator")
    return await broadcasts.status(tx)


async def reach(tx: Tx, actor: Actor, terms: Sequence[Term]) -> int:
    """How many people an audience reaches now (coordinators only)."""
    actor.require("coordinator")
    return await broadcasts.count_recipients(tx, terms)


async def deliveries(
    tx: Tx, actor: Actor, broadcast_id: int, *, status: str | None = None
) -> tuple[Broadcast, Sequence[Delivery]]:
    """A broadcast and its recipients' deliveries (failed first), coordinators only.

    Raises:
        NotFound: no such broadcast (drafts included: they are someone's work in progress).
    """
    actor.require("coordinator")
    found = await tx.broadcast(broadcast_id)
    if found is None or found.status == "draft":
        raise NotFound(f"no broadcast #{broadcast_id}")
    rows = await tx.broadcast_deliveries(
        broadcast_id, status=status if status in DELIVERY_STATUSES else None
    )
    return found, rows


__all__ = [
    "DELIVERY_STATUSES",
    "Arrival",
    "arrival",
    "deliveries",
    "reach",
    "recent",
    "texts_from_form",
]
