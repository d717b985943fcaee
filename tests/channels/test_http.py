"""The Bot API's HTTP client (bot/channels/http.py) against a small local server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.channels.http import HttpClient, HttpFailure, HttpTimeout, Timeouts, Upload

FAST = Timeouts(connect=1.0, read=0.3, write=1.0, pool=0.3)


Server = tuple[str, list[web.Request], list[dict[str, object]]]
"""The server's base URL, the requests it saw and their decoded bodies."""


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    seen: list[web.Request] = []
    bodies: list[dict[str, object]] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append(request)
        if request.content_type == "multipart/form-data":
            form = await request.post()
            bodies.append({k: (v if isinstance(v, str) else (v.filename, v.file.read(),
                                                             v.content_type))
                           for k, v in form.items()})  # fmt: skip
        else:
            bodies.append(json.loads(await request.read() or b"{}"))
        return web.json_response({"ok": True}, status=int(request.query.get("status", 200)))

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("for", "5")))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/slow", slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen, bodies
    finally:
        await runner.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[HttpClient]:
    http = HttpClient(connections=4, timeouts=FAST, user_agent="sdgbot-test")
    await http.start()
    try:
        yield http
    finally:
        await http.close()


async def test_json_body_status_and_answer(server: Server, client: HttpClient) -> None:
    base, seen, bodies = server
    status, body = await client.request(
        "POST", f"{base}/echo?status=429", json_body=b'{"chat_id": 7, "text": "\\u00e9t\\u00e9"}'
    )
    assert status == 429 and json.loads(body) == {"ok": True}
    assert bodies == [{"chat_id": 7, "text": "été"}]
    assert seen[0].headers["User-Agent"] == "sdgbot-test"
    assert seen[0].content_type == "application/json"


async def test_files_go_as_multipart_with_the_fields(server: Server, client: HttpClient) -> None:
    base, _, bodies = server
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    status, _ = await client.request(
        "POST", f"{base}/echo", fields={"chat_id": "7", "caption": "Résultats & ODD"},
        files={"photo": Upload("radar.png", png, "image/png")},
    )  # fmt: skip
    assert status == 200
    assert bodies == [{"chat_id": "7", "caption": "Résultats & ODD",
                       "photo": ("radar.png", png, "image/png")}]  # fmt: skip


async def test_connections_are_kept_and_reused(server: Server, client: HttpClient) -> None:
    base, seen, _ = server
    await asyncio.gather(*(client.request("POST", f"{base}/echo", json_body=b"{}")
                           for _ in range(40)))  # fmt: skip
    peers = {request.transport.get_extra_info("peername") for request in seen
             if request.transport is not None}  # fmt: skip
    assert len(seen) == 40 and 1 <= len(peers) <= 4  # at most `connections` sockets


async def test_no_answer_in_time_is_a_timeout(server: Server, client: HttpClient) -> None:
    base, _, _ = server
    with pytest.raises(HttpTimeout):
        await client.request("POST", f"{base}/slow?for=2", json_body=b"{}")
    # A caller's own, longer read timeout (a long poll) is honoured.
    longer = Timeouts(connect=1.0, read=1.0, write=1.0, pool=1.0)
    status, _ = await client.request("POST", f"{base}/slow?for=0.5", json_body=b"{}",
                                     timeouts=longer)  # fmt: skip
    assert status == 200


async def test_nobody_listening_is_a_failure(client: HttpClient) -> None:
    with pytest.raises(HttpFailure) as caught:
        await client.request("POST", "http://127.0.0.1:9/bot/getMe", json_body=b"{}")
    assert not isinstance(caught.value, HttpTimeout)


async def test_not_started_says_so() -> None:
    http = HttpClient(connections=1, timeouts=FAST, user_agent="x")
    with pytest.raises(RuntimeError, match="not started"):
        await http.request("POST", "http://127.0.0.1:9/", json_body=b"{}")


async def test_proxy_comes_from_the_environment_once_per_url(
    monkeypatch: pytest.MonkeyPatch, client: HttpClient
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    await client.close()
    await client.start()  # the environment is read again at start
    assert client._proxy_for("https://api.telegram.org/bot1:x/getMe") == "http://proxy.example:3128"
    assert client._proxy_for("http://127.0.0.1:8081/bot1:x/getMe") is None
    monkeypatch.delenv("HTTPS_PROXY")
    # Looked up once per URL: the same answer until the next start.
    assert client._proxy_for("https://api.telegram.org/bot1:x/getMe") == "http://proxy.example:3128"
    assert client._proxy_for("https://api.telegram.org/bot1:x/sendMessage") is None
