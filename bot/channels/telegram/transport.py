"""python-telegram-bot's transport (`BaseRequest`) on sdgbot's aiohttp client.

Why not PTB's httpx transport: see `bot.channels.http`. Parameters go as one JSON body
(multipart when there are files); a timeout becomes `TimedOut` and any other failure
`NetworkError`, as with PTB's own transport, so its error handling applies unchanged.
"""

from __future__ import annotations

from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.channels.http import HttpClient, HttpFailure, HttpTimeout, Timeouts, Upload

MEDIA_WRITE_TIMEOUT = 20.0
"""Seconds to upload a file (a chart, an export) when the caller sets no write timeout."""


class BotApiRequest(BaseRequest):
    """python-telegram-bot's transport on `bot.channels.http.HttpClient` (see there why).

    Parameters go as one JSON body (multipart when there are files); a timeout becomes
    `TimedOut` and any other failure `NetworkError`, as with PTB's own transport.
    """

    def __init__(self, *, connections: int, timeouts: Timeouts) -> None:
        self._client = HttpClient(connections=connections, timeouts=timeouts,
                                  user_agent=self.USER_AGENT)  # fmt: skip

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds it to a long poll's own)."""
        return self._client.timeouts.read

    async def initialize(self) -> None:
        """Open the connection pool."""
        await self._client.start()

    async def shutdown(self) -> None:
        """Close every connection."""
        await self._client.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; returns Telegram's status code and body."""
        base = self._client.timeouts
        files = request_data.multipart_data if request_data is not None else None
        timeouts = Timeouts(
            connect=_given(connect_timeout, base.connect),
            read=_given(read_timeout, base.read),
            write=_given(write_timeout, MEDIA_WRITE_TIMEOUT if files else base.write),
            pool=_given(pool_timeout, base.pool),
        )
        try:
            if files and request_data is not None:
                uploads = {name: Upload(*part) for name, part in files.items()}
                return await self._client.request(method, url, fields=request_data.json_parameters,
                                                  files=uploads, timeouts=timeouts)  # fmt: skip
            body = request_data.json_payload if request_data is not None else None
            return await self._client.request(method, url, json_body=body, timeouts=timeouts)
        except HttpTimeout as error:
            raise TimedOut(f"timed out: {error}") from error
        except HttpFailure as error:
            raise NetworkError(str(error)) from error


def _given(value: Any, default: float | None) -> float | None:
    """A timeout PTB passed, or the default when it passed none (its `DefaultValue`)."""
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


__all__ = ["MEDIA_WRITE_TIMEOUT", "BotApiRequest"]
