"""``sdgbot run --web-port``: the console runs in the bot's own process and event loop."""

from __future__ import annotations

import asyncio
import socket

import aiohttp

from bot.channels.telegram import serve
from bot.cli.main import _web_console
from bot.config import Settings
from tests.fakes.bot_api import FakeBotApi


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_the_bot_serves_the_console_until_it_stops(sqlite_url: str) -> None:
    port = free_port()
    async with FakeBotApi() as api:
        settings = Settings(
            database_url=sqlite_url,
            telegram_token=api.token,
            telegram_api_url=api.base_url,
            web_url=f"http://127.0.0.1:{port}",
        )
        stop = asyncio.Event()
        running = asyncio.create_task(
            serve(settings, stop=stop, also=_web_console("127.0.0.1", port))
        )
        status = None
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/") as response:
                        status = response.status
                        text = await response.text()
                        break
                except aiohttp.ClientConnectionError:
                    assert not running.done(), running.result()
                    await asyncio.sleep(0.1)
        assert status == 401 and "/web" in text
        stop.set()
        assert await asyncio.wait_for(running, 30) == 0
    async with aiohttp.ClientSession() as session:
        try:
            async with session.get(f"http://127.0.0.1:{port}/") as response:
                closed = False
        except aiohttp.ClientConnectionError:
            closed = True
    assert closed, "the console stops with the bot"
