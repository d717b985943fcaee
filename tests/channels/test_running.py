"""`run_bot` as a process: clear failures at start, and `kill -9` mid-flow loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.channels.telegram import run_bot, serve
from bot.config import Settings
from tests.channels.harness import FLOWS
from tests.fakes.bot_api import FakeBotApi, RateLimits, SentMessage

ROOT = Path(__file__).resolve().parents[2]
RUN = (
    "import sys; from bot.channels.telegram import run_bot; from bot.config import Settings; "
    "sys.exit(run_bot(Settings.from_env()))"
)


async def start_bot(api_url: str, token: str, database: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SDGBOT_TELEGRAM_TOKEN": token,
        "SDGBOT_TELEGRAM_API_URL": api_url,
        "SDGBOT_DATABASE_URL": f"sqlite:///{database}",
        "SDGBOT_FLOWS_DIR": str(FLOWS),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUN, cwd=str(database.parent), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def finished(process: asyncio.subprocess.Process) -> tuple[int, list[str]]:
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, stderr.decode().strip().splitlines()


async def first_message(process: asyncio.subprocess.Process, api: FakeBotApi, text: str
                        ) -> SentMessage:  # fmt: skip
    """Wait for the bot's message containing `text`, failing early if the bot died."""
    waiting = asyncio.ensure_future(api.wait_for(lambda m: text in m.plain, timeout=30))
    exited = asyncio.ensure_future(process.wait())
    await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
    if not waiting.done():
        waiting.cancel()
        _, lines = await finished(process)
        pytest.fail(f"the bot exited: {lines[-3:]}")
    exited.cancel()
    return waiting.result()


def test_missing_token_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_bot(Settings(telegram_token=None)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "SDGBOT_TELEGRAM_TOKEN" in err[0]


@pytest.mark.slow
async def test_rejected_token_is_one_line_and_exit_2(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        process = await start_bot(api.base_url, "999:WRONG-TOKEN", tmp_path / "a.db")
        code, lines = await finished(process)
    assert code == 2 and len(lines) == 1, lines  # no traceback, no log noise
    assert "rejected the bot token" in lines[0] and "WRONG-TOKEN" not in lines[0]


async def test_unreachable_api_is_one_line_and_exit_2(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(database_url=sqlite_url, telegram_token="999:SECRET",
                        telegram_api_url="http://127.0.0.1:9/bot")  # fmt: skip
    assert await serve(settings) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot reach the Telegram Bot API at http://127.0.0.1:9/bot" in err[0]
    assert "SECRET" not in err[0]


@pytest.mark.slow
async def test_kill_9_mid_flow_resumes_at_the_same_question(tmp_path: Path) -> None:
    async with FakeBotApi(rate_limits=RateLimits(private_enabled=False)) as api:
        ama = api.user(1101, first_name="Ama", language_code="fr")
        database = tmp_path / "bot.db"
        process = await start_bot(api.base_url, api.token, database)
        try:
            api.push_command(ama, "/start")
            language = await first_message(process, api, "1. Français")
            api.push_callback(ama, language, language.data_for("Français"))
            await api.wait_for(lambda m: "Comment vous appelez-vous" in m.plain, timeout=10)
            process.send_signal(signal.SIGKILL)
            await process.wait()
            api.push_text(ama, "Ama Mensah")  # typed while the bot is down
            process = await start_bot(api.base_url, api.token, database)
            role = await first_message(process, api, "Merci, Ama Mensah")
            api.push_callback(ama, role, role.data_for("Élu·e"))
            await api.wait_for(lambda m: "Dans quel pays" in m.plain, timeout=10)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code, lines = await finished(process)
        questions = [m.plain for m in api.messages_to(ama)]
        assert sum("Comment vous appelez-vous" in q for q in questions) == 1  # never asked twice
        assert sum("Merci, Ama Mensah" in q for q in questions) == 1
        assert code == 0, lines
        assert not [line for line in lines if api.token in line]
