"""The HTTP client the Telegram channel talks to the Bot API with (aiohttp, HTTP/1.1).

python-telegram-bot's default transport is httpx. Measured on the bot's own load, it cost
~0.9 ms of CPU per call, and its connection pool looks at every open connection (is it idle?
has it expired? — a socket poll each) for every request: with the 64 connections a busy bot
keeps open, choosing a connection cost more than sending the request. aiohttp's pool takes an
idle connection off a list, and its HTTP parser is written in C.

This module knows nothing of Telegram: `bot.channels.telegram` adapts it to
python-telegram-bot's `BaseRequest`, turning `HttpTimeout` / `HttpFailure` into its errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp

__all__ = ["HttpClient", "HttpFailure", "HttpTimeout", "Timeouts", "Upload"]


class HttpFailure(Exception):
    """The request failed before an answer came (refused, reset, closed, bad proxy…)."""


class HttpTimeout(HttpFailure):
    """No connection, or no answer, within the allowed time."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds allowed for each phase of a request (None: no limit).

    Attributes:
        connect: to open a connection.
        read: between two reads of the answer (long polls pass their own, longer).
        write: to send the request (bounds the whole call together with the others).
        pool: to wait for a free connection when all are busy.
    """

    connect: float | None = 10.0
    read: float | None = 10.0
    write: float | None = 10.0
    pool: float | None = 10.0

    def client_timeout(self) -> aiohttp.ClientTimeout:
        """The same limits in aiohttp's terms: a total bound over all phases as well."""
        phases = (self.pool, self.connect, self.write, self.read)
        total = None if any(p is None for p in phases) else sum(p for p in phases if p)
        connect = (None if self.pool is None or self.connect is None
                   else self.pool + self.connect)  # fmt: skip
        return aiohttp.ClientTimeout(total=total, connect=connect,
                                     sock_connect=self.connect, sock_read=self.read)  # fmt: skip


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content: bytes | IO[bytes]
    content_type: str


class HttpClient:
    """A pool of keep-alive connections that POSTs requests and returns status and body.

    Args:
        connections: the most connections open at once (further requests wait, see
            `Timeouts.pool`).
        timeouts: the default limits of each request.
        user_agent: the User-Agent header.
    """

    def __init__(self, *, connections: int, timeouts: Timeouts, user_agent: str) -> None:
        self.connections = connections
        self.timeouts = timeouts
        self.user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    @property
    def running(self) -> bool:
        """Whether `start` was called and `close` not since."""
        return self._session is not None and not self._session.closed

    async def start(self) -> None:
        """Create the connection pool (again, after `close`)."""
        if self.running:
            return
        connector = aiohttp.TCPConnector(limit=self.connections,
                                         limit_per_host=self.connections,
                                         ttl_dns_cache=300)  # fmt: skip
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=self.timeouts.client_timeout(),
            headers={"User-Agent": self.user_agent}, cookie_jar=aiohttp.DummyCookieJar(),
        )  # fmt: skip
        self._proxies.clear()

    async def close(self) -> None:
        """Close every connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(self, method: str, url: str, *, json_body: bytes | None = None,
                      fields: Mapping[str, str] | None = None,
                      files: Mapping[str, Upload] | None = None,
                      timeouts: Timeouts | None = None) -> tuple[int, bytes]:  # fmt: skip
        """Send a JSON body, or `fields` and `files` as multipart; returns (status, body).

        Raises:
            HttpTimeout: no connection or no complete answer in time.
            HttpFailure: any other failure to get an answer.
            RuntimeError: the client is not started.
        """
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("the HTTP client is not started")
        data: aiohttp.FormData | bytes | None = json_body
        headers = _JSON if json_body is not None else None
        if files:
            form = aiohttp.FormData(quote_fields=False)
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, upload in files.items():
                form.add_field(name, upload.content, filename=upload.filename,
                               content_type=upload.content_type)  # fmt: skip
            data, headers = form, None
        options: dict[str, Any] = {}
        if timeouts is not None and timeouts != self.timeouts:
            # Otherwise the session's own, built once: most calls pass the defaults.
            options["timeout"] = timeouts.client_timeout()
        try:
            proxy = self._proxy_for(url)
            async with session.request(method, url, data=data, headers=headers, proxy=proxy,
                                       **options) as answer:  # fmt: skip
                return answer.status, await answer.read()
        except TimeoutError as error:  # aiohttp's own timeouts are TimeoutErrors too
            raise HttpTimeout(str(error) or "timed out") from error
        except (aiohttp.ClientError, OSError) as error:
            raise HttpFailure(f"{type(error).__name__}: {error}") from error

    def _proxy_for(self, url: str) -> str | None:
        """The proxy for `url` from HTTP(S)_PROXY / NO_PROXY, as httpx read them.

        Some partners can only go out through a proxy. aiohttp's own ``trust_env`` reads
        the environment and ~/.netrc again on every request (in a thread); the answer is the
        same for every request to one host, so it is looked up once per URL.
        """
        known = self._proxies.get(url, _UNKNOWN)
        if known is not _UNKNOWN:
            return known
        parts = urlsplit(url)
        host = parts.hostname or ""
        proxy = None if host and proxy_bypass(host) else getproxies().get(parts.scheme)
        if len(self._proxies) < _PROXY_CACHE:  # the bot calls a few dozen methods
            self._proxies[url] = proxy
        return proxy


_JSON = {"Content-Type": "application/json"}
_UNKNOWN = "unknown"
_PROXY_CACHE = 256
