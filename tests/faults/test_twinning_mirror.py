"""Issue #15, driven as people would: a coordinator adds a twinning by CLI, both sides check in,
and the bot dies right after the second side's last answer — both still get their mirror once.

The sender is held back (its lease row locked from outside) while the last answer is handled,
so at the SIGKILL both mirrors are surely committed and not yet sent; after the restart the new
process takes the lease and sends each exactly once, in each reader's language.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings
from bot.conversation.conversations import Conversations
from bot.flow.events import QuestionAsked
from bot.messages import Command, ConversationKey, Reply
from bot.storage import db
from tests.conversation.autopilot import answer, run_to_end
from tests.conversation.conftest import Talker
from tests.conversation.test_partners import onboard
from tests.fakes.bot_api import FakeBotApi
from tests.faults.bots import ROOT, BotProcess

LAST = "report_stage"
"""The check-in's last question."""


async def up_to_the_last_question(talker: Talker, reply: Reply) -> None:
    for _ in range(60):
        questions = [e for e in reply.events if isinstance(e, QuestionAsked)]
        assert len(questions) == 1, reply.events
        question = questions[0]
        if question.step_id == LAST:
            return
        reply = await answer(talker, reply, question, score=2)
    raise AssertionError("the check-in never reached its last question")


async def sdgbot(database_url: str, *args: str) -> str:
    """Run the `sdgbot` command in a process of its own, as a coordinator would; its output."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SDGBOT_DATABASE_URL": database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    assert process.returncode == 0, out.decode()
    return out.decode()


@pytest.mark.slow
async def test_both_sides_get_their_mirror_once_though_the_bot_dies_after_the_last_answer(
    api: FakeBotApi, postgres_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(api, postgres_url, tmp_path)
    bot.env["SDGBOT_QUIET_HOURS"] = "0-0"  # none: the mirrors may go out at any hour of the test
    await bot.start()  # migrates, seeds the Flemish municipalities and the shipped twinnings
    await sdgbot(
        postgres_url, "municipalities", "add", "Bohicon", "--country", "BJ", "--region", "Zou"
    )
    await sdgbot(postgres_url, "twinnings", "add", "Kalmthout", "Bohicon", "--since", "2026")

    # Both have started the bot on Telegram (the Bot API refuses messages to anyone else).
    api.user(9101, first_name="Wim", language_code="nl")
    sena_on_telegram = api.user(9102, first_name="Sèna", language_code="fr")
    service = await Conversations.open(Settings(database_url=postgres_url), seed=False)
    engine = create_async_engine(db.normalize_url(postgres_url))
    try:
        wim = Talker(service, ConversationKey("telegram", "9101"), language_code="nl")
        sena = Talker(service, ConversationKey("telegram", "9102"), language_code="fr")
        await onboard(wim, "Wim", "België", "Kalmthout")
        await onboard(sena, "Sèna", "Bénin", "Bohicon")
        await run_to_end(wim, await wim.send(Command("checkin")), score=4)
        await up_to_the_last_question(sena, await sena.send(Command("checkin")))

        async with engine.connect() as blocker:  # no sending while this transaction lives
            await blocker.execute(text("SELECT name FROM leases WHERE name = 'sender' FOR UPDATE"))
            api.push_text(sena_on_telegram, "1")
            await api.wait_for(
                lambda m: m.chat_id == 9102 and "noté comme fait" in m.plain, timeout=30
            )  # the reply's last message
            await bot.kill()
            await blocker.rollback()
        assert not [m for m in api.sent if "🪞" in m.plain]

        await bot.start()
        await api.wait_for(lambda m: m.chat_id == 9101 and "🪞 Spiegel" in m.plain, timeout=60)
        await api.wait_for(lambda m: m.chat_id == 9102 and "🪞 Miroir" in m.plain, timeout=60)
        await asyncio.sleep(3)  # a second copy would come now
        mirrors = [(m.chat_id, m.plain) for m in api.sent if "🪞" in m.plain]
        assert sorted(chat for chat, _ in mirrors) == [9101, 9102]
        assert "Bohicon" in dict(mirrors)[9101] and "Kalmthout" in dict(mirrors)[9102]
    finally:
        await engine.dispose()
        await service.close()
        assert await bot.stop() == 0, bot.log_tail()

    pending = await sdgbot(postgres_url, "deadlines", "pending", "partnership_checkin")
    lines = {line.split("/")[0]: line for line in pending.splitlines() if "/" in line}
    assert "0 of 2 municipalities not done" in lines["kalmthout-bohicon"], pending
    assert "2 of 2 municipalities not done" in lines["brasschaat-tarija"], pending
