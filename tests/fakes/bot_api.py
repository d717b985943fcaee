"""A fake Telegram Bot API server on 127.0.0.1 that enforces Telegram's rules.

Tests and benchmarks run the real python-telegram-bot ``Application`` against it::

    async with FakeBotApi() as api:
        app = ApplicationBuilder().token(api.token).base_url(api.base_url).build()
        ama = api.user(1001, first_name="Ama", language_code="fr")
        api.push_command(ama, "/start")
        reply = await api.wait_for(lambda m: m.chat_id == ama.id)

It answers like Telegram (status codes, error descriptions, ``retry_after``), so a bot that
passes against it never sends a request the real Bot API would reject: HTML is parsed with
Telegram's rules, limits are counted after parsing, flood control answers 429, and faults
(429/500/502/400/timeouts) can be injected. Standalone, for tests that drive a bot in another
process: ``python -m tests.fakes.bot_api --port 8081 --token 123456:TEST-TOKEN`` (control API
under ``/_control/``, see ``bot_api_control``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import time
from collections.abc import Callable, Iterable
from email.parser import BytesParser
from email.policy import HTTP
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.bot_api_control import add_control_routes
from tests.fakes.bot_api_limits import Fault, FaultKind, FaultPlan, RateLimiter, RateLimits
from tests.fakes.bot_api_methods import SEND_METHODS, Call, Methods
from tests.fakes.bot_api_model import ChatHandle, RequestRecord, SentMessage, Stats, UserHandle
from tests.fakes.bot_api_rules import ApiError, Params, UploadedFile, bad_request
from tests.fakes.bot_api_world import World

__all__ = [
    "ApiError",
    "ChatHandle",
    "FakeBotApi",
    "RateLimits",
    "RequestRecord",
    "SentMessage",
    "Stats",
    "UserHandle",
]

_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def _decode_body(request: web.Request, body: bytes) -> Params:
    """Decode query string plus a JSON, form-encoded or multipart body, as Telegram accepts."""
    values: dict[str, object] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    kind = request.content_type
    if kind == "application/json" and body:
        try:
            decoded = json.loads(body)
        except ValueError:
            raise bad_request("can't parse JSON encoded request body") from None
        if not isinstance(decoded, dict):
            raise bad_request("JSON object expected as request body")
        values.update(decoded)
    elif kind == "application/x-www-form-urlencoded":
        values.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    elif kind == "multipart/form-data":
        header = b"Content-Type: " + request.headers["Content-Type"].encode("latin-1") + b"\r\n\r\n"
        message = BytesParser(policy=HTTP).parsebytes(header + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            content = part.get_payload(decode=True)
            payload = content if isinstance(content, bytes) else b""
            filename = part.get_filename()
            if filename is None:
                values[name] = payload.decode("utf-8", "replace")
            else:
                files[name] = UploadedFile(name, filename, part.get_content_type(), payload)
    return Params(values, files)


class FakeBotApi(World):
    """The fake Bot API server (see the module docstring).

    Args:
        token: the only token accepted; others get 401 (or 404 when malformed).
        host: interface to listen on (loopback).
        port: TCP port, 0 for a free one (read ``api.port`` after ``start``).
        rate_limits: flood-control thresholds (default: Telegram's).
        timeout_delivers: whether a message whose request hits a "timeout" fault is delivered
            although the bot never gets an answer (the ambiguous case of a real timeout).
        timeout_hold: seconds a "timeout" fault holds the request before dropping it (it is
            also dropped when the server stops); longer than the client's read timeout.
        callback_timeout: seconds during which a callback query can be answered.
        strict_ampersand: reject a bare ``&`` in HTML (the documented rule).
        clock: monotonic clock for rate limits and timings.
        bot_name: the bot's first name.
        bot_username: the bot's username.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: RateLimits | None = None,
        timeout_delivers: bool = False,
        timeout_hold: float = 30.0,
        callback_timeout: float = 15.0,
        strict_ampersand: bool = True,
        clock: Callable[[], float] = time.monotonic,
        bot_name: str = "SDG Test Bot",
        bot_username: str = "sdg_test_bot",
    ) -> None:
        super().__init__(token, bot_name=bot_name, bot_username=bot_username, clock=clock)
        self.host = host
        self.port = port
        self.timeout_delivers = timeout_delivers
        self.timeout_hold = timeout_hold
        self.limiter = RateLimiter(rate_limits or RateLimits(), clock)
        self.methods = Methods(self, self.limiter, strict_ampersand, callback_timeout)
        self.faults = FaultPlan()
        self.requests: list[RequestRecord] = []
        self.stats = Stats()
        self._closing = asyncio.Event()
        self._refused_until = float("-inf")
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's root URL."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to pass as python-telegram-bot's ``base_url`` (it appends token and method)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What to pass as python-telegram-bot's ``base_file_url``."""
        return f"{self.url}/file/bot"

    async def start(self) -> None:
        """Start serving; ``port`` holds the real port afterwards."""
        if self._runner is not None:
            raise RuntimeError("already started")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        # A short shutdown timeout: held requests are released by _closing anyway.
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self.port = int(runner.addresses[0][1])
        self._runner = runner

    async def stop(self) -> None:
        """Release long polls and held requests, then stop serving."""
        self._closing.set()
        self.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- test controls --------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        kind: FaultKind,
        *,
        count: int = 1,
        retry_after: int = 1,
        delivers: bool | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` ("*": any) with a fault.

        Args:
            method: Bot API method name, case-insensitive, or "*".
            kind: "429", "500", "502", "timeout" or "400".
            count: how many calls fail.
            retry_after: ``retry_after`` of a 429.
            delivers: for "timeout", override ``timeout_delivers``.
        """
        self.faults.fail_next(method, Fault(kind, retry_after, delivers), count)

    def fault_rate(
        self,
        p: float,
        kinds: Iterable[FaultKind] = ("429", "500", "timeout"),
        *,
        seed: int | None = None,
    ) -> None:
        """Answer a fraction ``p`` of send/edit requests with faults drawn from ``kinds``."""
        self.faults.set_rate(p, kinds, seed)

    def refuse_token(self, seconds: float) -> None:
        """Answer every call 401 Unauthorized for ``seconds`` (a token revoked, then restored)."""
        self._refused_until = self.clock() + seconds

    def busiest_second(self) -> int:
        """The most message sends that arrived within any one second, as Telegram counts them.

        A sliding window over every send/edit request, whatever it was answered: Telegram's
        "about 30 messages per second" is a count of requests in any one-second window.
        """
        times = sorted(r.time for r in self.requests if r.method.lower() in SEND_METHODS)
        most, start = 0, 0
        for end, at in enumerate(times):
            while times[start] <= at - 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most

    def commands(
        self, *, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The command list set for a scope (default scope) and language ("" = all)."""
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        return list(self.methods.commands.get(key, []))

    # -- HTTP -----------------------------------------------------------------------------

    def _answer(
        self,
        method: str,
        params: Params | None,
        payload: dict[str, Any],
        status: int,
        arrived: float,
        bytes_in: int,
        *,
        fault: str | None = None,
        delivered: bool = False,
    ) -> web.Response:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._record(
            method, params, status, payload, arrived, bytes_in, len(body), fault, delivered
        )
        return web.Response(body=body, status=status, content_type="application/json")

    def _record(
        self,
        method: str,
        params: Params | None,
        status: int,
        payload: dict[str, Any] | None,
        arrived: float,
        bytes_in: int,
        bytes_out: int,
        fault: str | None,
        delivered: bool,
    ) -> None:
        shown: dict[str, Any] = dict(params.values) if params else {}
        for name, upload in (params.files if params else {}).items():
            shown[name] = f"<{upload.filename} ({len(upload.content)} bytes)>"
        self.requests.append(
            RequestRecord(
                method, shown, status, payload, arrived, bytes_in, bytes_out, fault, delivered
            )
        )
        self.stats.calls[method] += 1
        self.stats.statuses[(method, status)] += 1
        self.stats.bytes_in += bytes_in
        self.stats.bytes_out += bytes_out
        if status == 429:
            self.stats.too_many_requests += 1

    async def _not_found(self, request: web.Request) -> web.Response:
        body = {"ok": False, "error_code": 404, "description": "Not Found"}
        return web.json_response(body, status=404)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return await self._not_found(request)
        path = request.match_info["path"]
        for stored_path, content in self.files.values():
            if stored_path == path:
                return web.Response(body=content, content_type="application/octet-stream")
        return await self._not_found(request)

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        arrived = self.clock()
        body = await request.read()
        token, method = request.match_info["token"], request.match_info["method"]
        if token == self.token and self.clock() < self._refused_until:
            token = ""  # refused for now (`refuse_token`): answered as an unknown token
        if token != self.token:
            # Telegram: 401 for a well-formed token it does not know, 404 for garbage.
            error = (
                ApiError(401, "Unauthorized")
                if re.fullmatch(r"\d+:[\w-]+", token) or not token
                else ApiError(404, "Not Found")
            )
            return self._answer(method, None, error.payload(), error.status, arrived, len(body))
        handler = self.methods.lookup(method)
        if handler is None:
            error = ApiError(404, "Not Found")
            return self._answer(method, None, error.payload(), error.status, arrived, len(body))
        try:
            params = _decode_body(request, body)
        except ApiError as error:
            return self._answer(method, None, error.payload(), error.status, arrived, len(body))
        call = Call(params, len(body))
        fault = self.faults.take(method, method.lower() in SEND_METHODS)
        if fault is not None and fault.kind == "timeout":
            return await self._hold_and_drop(request, method, call, fault, arrived)
        if fault is not None:
            return self._inject(method, params, fault, arrived, len(body))
        try:
            result = await handler(call)
        except ApiError as error:
            return self._answer(method, params, error.payload(), error.status, arrived, len(body))
        payload = {"ok": True, "result": result}
        return self._answer(
            method, params, payload, 200, arrived, len(body), delivered=call.delivered
        )

    def _inject(
        self, method: str, params: Params, fault: Fault, arrived: float, size: int
    ) -> web.Response:
        if fault.kind == "502":
            # Telegram's front end answers a gateway error with an nginx HTML page, not JSON.
            self._record(method, params, 502, None, arrived, size, len(_BAD_GATEWAY), "502", False)
            return web.Response(body=_BAD_GATEWAY, status=502, content_type="text/html")
        errors = {
            "429": ApiError(
                429,
                f"Too Many Requests: retry after {fault.retry_after}",
                retry_after=fault.retry_after,
            ),
            "500": ApiError(500, "Internal Server Error"),
            "400": ApiError(400, "Bad Request: fault injected by the test"),
        }
        error = errors[fault.kind]
        return self._answer(
            method, params, error.payload(), error.status, arrived, size, fault=fault.kind
        )

    async def _hold_and_drop(
        self, request: web.Request, method: str, call: Call, fault: Fault, arrived: float
    ) -> web.StreamResponse:
        """A request that never gets an answer: held past the client's timeout, then dropped.

        With ``delivers`` the method runs first, so its message reaches the user although the
        bot sees only a timeout — exactly the ambiguity a real network timeout leaves.
        """
        delivers = self.timeout_delivers if fault.delivers is None else fault.delivers
        handler = self.methods.lookup(method)
        if delivers and handler is not None:
            # A rejected request delivers nothing, and the bot never learns why.
            with contextlib.suppress(ApiError):
                await handler(call)
        self._record(
            method, call.params, 0, None, arrived, call.body_bytes, 0, "timeout", call.delivered
        )
        self.stats.timeouts += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), self.timeout_hold)
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=204)


def main(argv: list[str] | None = None) -> None:
    """Serve the fake Bot API until killed (SIGINT/SIGTERM)."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes.bot_api", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument(
        "--no-private-limit", action="store_true", help="disable the 1 msg/s per private chat limit"
    )
    parser.add_argument(
        "--timeout-delivers", action="store_true", help="timeout faults still deliver the message"
    )
    args = parser.parse_args(argv)

    async def serve() -> None:
        api = FakeBotApi(
            args.token,
            host=args.host,
            port=args.port,
            rate_limits=RateLimits(private_enabled=not args.no_private_limit),
            timeout_delivers=args.timeout_delivers,
        )
        await api.start()
        print(f"fake Bot API listening on {api.url} (base_url {api.base_url})", flush=True)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopped.set)
        await stopped.wait()
        await api.stop()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
