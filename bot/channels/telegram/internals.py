"""The one module touching python-telegram-bot's private internals, and why.

python-telegram-bot offers no public hook for three things the channel needs, so `TolerantBot`
(an `ExtBot`) reaches into two underscored members, here and nowhere else:

* `_post` — the raw answer of a Bot API call before PTB turns it into objects. Needed to keep
  a fetched `getUpdates` batch exactly as Telegram sent it (the inbox, `updates`), to clean
  or skip an update PTB cannot parse (one bad update otherwise fails the whole batch, fetched
  again forever), and to send replies without parsing Telegram's answer (about a sixth of a
  send's cost, for an answer nobody reads).
* `_unfrozen` — PTB freezes its objects once built; our attributes are set inside it.

Pin python-telegram-bot's minor version when upgrading and re-run `tests/channels`: these
are the places a new release may break.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import ExtBot

from bot.channels.telegram.common import Recent
from bot.channels.telegram.updates import clean_update

log = logging.getLogger("bot.channels.telegram")


class TokenRefused(NetworkError):
    """Telegram answered 401 to getUpdates; for PTB's poller a network error, so it retries.

    python-telegram-bot aborts its polling loop for good on `InvalidToken` ("Invalid token.
    Aborting retry loop"): the process would stay up and deaf after a token spell (revoked,
    then restored). As a `NetworkError` the poller keeps trying, backing off up to 30 s, and
    resumes by itself once Telegram accepts the token again.
    """


class TolerantBot(ExtBot[Any]):
    """An `ExtBot` whose getUpdates survives unreadable updates and 401 spells.

    Each raw update is cleaned first (`updates.clean_update`: wrong field types, NUL bytes).
    When a batch still fails to parse, it is fetched again (Telegram hands the same batch back
    until it is confirmed) and each unreadable update becomes a bare `Update` with only its
    id — skipped by the handlers, but confirmed, so polling moves on.
    """

    _sifting = False

    def __init__(self, *args: Any,
                 on_fetched: Callable[[list[dict[str, Any]]], Awaitable[None]] | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        with self._unfrozen():  # PTB freezes its objects once built
            self.fetched_at: Recent[datetime] = Recent()
            """When each recent update arrived, by update id (its sender wrote it before)."""
            self.on_fetched = on_fetched
            """Called with each batch as Telegram sent it (cleaned), before python-telegram-bot
            confirms it (its next getUpdates): where the channel keeps the batch until handled."""
            self.refused_since: datetime | None = None
            """Since when getUpdates has been answered 401 (None: the token is accepted)."""
            self._batch: list[dict[str, Any]] = []

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """`Bot.get_updates`, tolerant of unreadable updates and of 401 (see the class)."""
        try:
            updates = await self._fetch(*args, **kwargs)
        except InvalidToken as error:
            if self.refused_since is None:
                with self._unfrozen():
                    self.refused_since = datetime.now(UTC)
                log.error("Telegram refuses the bot token (401); still polling, with backoff, "
                          "until it is accepted again")  # fmt: skip
            raise TokenRefused(f"401 Unauthorized: {error.message}") from error
        if self.refused_since is not None:
            log.warning("Telegram accepts the bot token again (refused since %s)",
                        self.refused_since.isoformat(timespec="seconds"))  # fmt: skip
            with self._unfrozen():
                self.refused_since = None
        arrived = datetime.now(UTC)
        for update in updates:
            self.fetched_at.set(update.update_id, arrived)
        if updates and self.on_fetched is not None:
            await self.on_fetched(list(self._batch))
        return updates

    async def _fetch(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        try:
            return await super().get_updates(*args, **kwargs)
        except TelegramError:
            raise
        except Exception:  # a parsing failure somewhere in the batch
            self._sifting = True
            try:
                return await super().get_updates(*args, **kwargs)
            finally:
                self._sifting = False

    async def call(self, endpoint: str, data: dict[str, Any]) -> Any:
        """Call a Bot API method and return its answer as plain JSON, not parsed into objects.

        python-telegram-bot turns every answer into objects (a sent `Message` with its chat,
        sender and keyboard); for a reply's sends and edits that parsing is about a sixth of
        each call's cost, for nothing. Pacing, retries and errors are as for any call.
        """
        return await self._post(endpoint, data)

    async def _post(self, endpoint: str, data: dict[str, Any] | None = None,
                    *args: Any, **kwargs: Any) -> Any:  # fmt: skip
        result = await super()._post(endpoint, data, *args, **kwargs)
        if endpoint != "getUpdates" or not isinstance(result, list):
            return result
        readable = []
        for item in result:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if not isinstance(update_id, int):
                continue
            item = clean_update(item)
            if self._sifting:
                try:
                    Update.de_json(item, self)
                except Exception:  # any parsing failure: keep the id, drop the rest
                    log.warning("skipping unreadable update %s", update_id)
                    item = {"update_id": update_id}
            readable.append(item)
        self._batch[:] = readable
        return readable


__all__ = ["TokenRefused", "TolerantBot"]
