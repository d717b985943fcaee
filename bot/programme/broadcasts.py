"""Coordinators' broadcasts: texts per language, audience, time; drafts, status, retries.

A broadcast is a row in ``broadcasts``; when its time comes the planner writes one outbox row
per recipient (``broadcast:<id>:<user>``), so an interrupted broadcast resumes where it stopped
and nobody gets it twice. Texts are plain text (escaped when sent); one text for everyone is
stored under ``*``, translations under their language code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bot.i18n import LANGUAGES
from bot.programme.actors import Actor, NotFound, ProgrammeError
from bot.scheduling.audience import Term, describe, parse_audience, resolve
from bot.storage.audit import ACTION_BROADCAST, audit
from bot.storage.models import Broadcast
from bot.storage.store import Store
from bot.storage.tx import Tx

MAX_TEXT = 3500  # Telegram's limit is 4096 characters; room for the header and footer
STATUS_ORDER = ("sent", "failed", "blocked", "pending", "sending", "dropped", "unknown")


def parse_texts(items: Iterable[str]) -> dict[str, str]:
    """Read ``--text`` values: ``fr:Bonjour`` is the French text, anything else is for everyone.

    Raises:
        ValueError: for an empty text, one too long, or two texts for one language.
    """
    texts: dict[str, str] = {}
    for item in items:
        head, sep, rest = item.partition(":")
        lang, text = (
            (head.strip().lower(), rest)
            if sep and head.strip().lower() in LANGUAGES
            else ("*", item)
        )
        add_text(texts, lang, text)
    return texts


def add_text(texts: dict[str, str], lang: str, text: str) -> None:
    """Add one language's text, checking it.

    Raises:
        ValueError: empty, too long, or already given.
    """
    text = text.strip()
    if not text:
        raise ValueError("a broadcast text cannot be empty")
    if len(text) > MAX_TEXT:
        raise ValueError(f"a broadcast text has at most {MAX_TEXT} characters ({len(text)} given)")
    if lang in texts:
        raise ValueError(f"two texts given for {'everyone' if lang == '*' else lang}")
    texts[lang] = text


def read_text_file(path: Path) -> dict[str, str]:
    """A text file: YAML ``{fr: …, nl: …}`` gives one text per language, else the whole file.

    Raises:
        ValueError: unreadable file or bad texts.
    """
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError:
        data = None
    texts: dict[str, str] = {}
    if isinstance(data, Mapping) and data and all(str(k).lower() in LANGUAGES for k in data):
        for lang, text in data.items():
            add_text(texts, str(lang).lower(), str(text or ""))
    else:
        add_text(texts, "*", raw)
    return texts


@dataclass(frozen=True)
class Planned:
    """A broadcast about to be created (or only previewed with ``--dry-run``)."""

    texts: dict[str, str]
    audience: tuple[Term, ...]
    at: datetime
    recipients: int
    broadcast_id: int | None = None


async def count_recipients(tx: Tx, audience: Iterable[Term]) -> int:
    """How many reachable users an audience has right now."""
    return len(await resolve(tx, tuple(audience)))


async def create(
    store: Store,
    actor: Actor,
    *,
    texts: dict[str, str],
    audience: Iterable[str],
    at: datetime,
    now: datetime,
    ignore_quiet: bool = False,
    dry_run: bool = False,
) -> Planned:
    """Create a scheduled broadcast (or preview it); coordinators only, audited.

    Args:
        store: the database.
        actor: who sends it.
        texts: from `parse_texts` / `read_text_file`.
        audience: audience terms (see `bot.scheduling.audience`).
        at: when to send (aware); ``now`` for at once.
        now: the present.
        ignore_quiet: send even in recipients' quiet hours (an emergency).
        dry_run: only count the recipients.

    Raises:
        ValueError: no text, or a bad audience term.
    """
    actor.require("coordinator")
    if not texts:
        raise ValueError("give a text (--text or --text-file)")
    terms = parse_audience(audience)

    async def make(tx: Tx) -> Planned:
        recipients = await count_recipients(tx, terms)
        if dry_run:
            return Planned(texts, terms, at, recipients)
        broadcast = await tx.add_broadcast(
            texts=texts,
            audience=[str(t) for t in terms],
            scheduled_at=at,
            ignore_quiet=ignore_quiet,
            status="scheduled",
            created_by=actor.label,
            created_at=now,
        )
        await audit(
            tx,
            actor.audit_name,
            ACTION_BROADCAST,
            {
                "broadcast": broadcast.id,
                "audience": [str(t) for t in terms],
                "recipients": recipients,
                "at": at.isoformat(),
            },
        )
        return Planned(texts, terms, at, recipients, broadcast.id)

    return await store.run_in_transaction(make)


@dataclass(frozen=True)
class Status:
    """Where a broadcast stands."""

    broadcast: Broadcast
    counts: dict[str, int]

    def line(self) -> str:
        """One line for ``sdgbot broadcast status``."""
        b = self.broadcast
        when = b.scheduled_at.strftime("%Y-%m-%d %H:%M UTC") if b.scheduled_at else "—"
        counts = ", ".join(
            f"{self.counts.get(s, 0)} {s}"
            for s in STATUS_ORDER
            if self.counts.get(s) or s in {"sent", "failed", "blocked", "pending"}
        )
        audience = describe(parse_audience(b.audience))
        preview = next(iter(b.texts.values()), "").replace("\n", " ")
        preview = preview if len(preview) <= 40 else preview[:39] + "…"
        return f"#{b.id} {b.status} {when} [{audience}] {counts} — {preview}"


async def status(tx: Tx, broadcast_id: int | None = None) -> list[Status]:
    """The status of one broadcast, or of the latest ones."""
    if broadcast_id is not None:
        found = await tx.broadcast(broadcast_id)
        chosen = [found] if found is not None and found.status != "draft" else []
    else:
        chosen = list(await tx.broadcasts())
    return [Status(b, await tx.broadcast_counts(b.id)) for b in chosen]


def summary(counts: Mapping[str, Any]) -> dict[str, int]:
    """Counts folded into what coordinators ask about: sent, failed, blocked, pending."""
    return {
        "sent": int(counts.get("sent", 0)),
        "failed": int(counts.get("failed", 0)) + int(counts.get("unknown", 0)),
        "blocked": int(counts.get("blocked", 0)),
        "pending": int(counts.get("pending", 0)) + int(counts.get("sending", 0)),
    }


async def retry(
    tx: Tx, actor: Actor, broadcast_id: int, now: datetime, *, unknown: bool = False
) -> int:
    """Queue the failed messages of a broadcast again; returns how many.

    With `unknown`, also those a crash interrupted (they may then arrive twice).
    """
    actor.require("coordinator")
    statuses = ("failed", "unknown") if unknown else ("failed",)
    count = await tx.requeue(broadcast_id, statuses, now)
    await audit(
        tx,
        actor.audit_name,
        ACTION_BROADCAST,
        {"broadcast": broadcast_id, "retry": list(statuses), "rows": count},
    )
    return count


async def cancel(tx: Tx, actor: Actor, broadcast_id: int) -> None:
    """Cancel a broadcast: what has not gone out yet will not.

    Raises:
        NotFound: no such broadcast, or nothing left to cancel.
    """
    actor.require("coordinator")
    found = await tx.broadcast(broadcast_id)
    if found is None or found.status in {"draft", "cancelled"}:
        raise NotFound(f"no broadcast #{broadcast_id} to cancel")
    found.status = "cancelled"
    await audit(
        tx, actor.audit_name, ACTION_BROADCAST, {"broadcast": broadcast_id, "change": "cancel"}
    )


# --- a draft composed step by step (the chat's /broadcast) ---------------------------------------


async def draft_of(tx: Tx, actor: Actor) -> Broadcast | None:
    """The actor's unfinished draft, if any."""
    actor.require("coordinator")
    return await tx.draft_of(actor.user.id) if actor.user is not None else None


async def start_draft(tx: Tx, actor: Actor, now: datetime) -> Broadcast:
    """A new, empty draft for the actor (an unfinished one is dropped)."""
    actor.require("coordinator")
    if actor.user is None:
        raise ProgrammeError("a draft belongs to a person: use `sdgbot broadcast --text …`")
    old = await tx.draft_of(actor.user.id)
    if old is not None:
        old.status = "cancelled"
    return await tx.add_broadcast(
        texts={},
        audience=[],
        status="draft",
        ignore_quiet=False,
        created_by=actor.label,
        draft_user_id=actor.user.id,
        created_at=now,
    )


async def set_draft_text(tx: Tx, draft: Broadcast, text: str) -> None:
    """The draft's one text for everyone (its audience is asked again)."""
    draft.texts = {"*": text.strip()[:MAX_TEXT]}
    draft.audience = []
    await tx.session.flush()


async def set_draft_audience(tx: Tx, draft: Broadcast, raw: str) -> int:
    """The draft's audience, from one typed or tapped term; returns how many it reaches.

    Raises:
        ValueError: a term that means nothing (its message says why).
    """
    terms = parse_audience([raw])
    count = await count_recipients(tx, terms)
    if count:
        draft.audience = [str(t) for t in terms]
        await tx.session.flush()
    return count


async def send_draft(tx: Tx, actor: Actor, draft: Broadcast, now: datetime) -> int:
    """Schedule the draft now (audited); returns how many people it reaches."""
    actor.require("coordinator")
    count = await count_recipients(tx, parse_audience(draft.audience))
    draft.status = "scheduled"
    draft.scheduled_at = now
    draft.draft_user_id = None
    await tx.session.flush()
    await audit(
        tx,
        actor.audit_name,
        ACTION_BROADCAST,
        {"broadcast": draft.id, "audience": draft.audience, "recipients": count},
    )
    return count


async def cancel_draft(tx: Tx, draft: Broadcast) -> None:
    """Drop a draft; nothing is sent."""
    draft.status = "cancelled"
    draft.draft_user_id = None
    await tx.session.flush()


__all__ = [
    "MAX_TEXT",
    "Planned",
    "Status",
    "add_text",
    "cancel",
    "cancel_draft",
    "count_recipients",
    "create",
    "draft_of",
    "parse_texts",
    "read_text_file",
    "retry",
    "send_draft",
    "set_draft_audience",
    "set_draft_text",
    "start_draft",
    "status",
    "summary",
]
