"""``sdgbot run`` with the channel's own pacing matched to the fake API's flood limits.

The throughput runs switch the fake's flood control off (they measure how fast a bot handles
updates; the baseline does not pace at all). sdgbot's channel paces itself to Telegram's limits
(25 messages/s overall, 1/s per chat after a burst of 4), which would then measure that pacing,
not the bot. This runs exactly what ``sdgbot run`` runs (`bot.channels.telegram.serve`, settings
from the environment, warnings-only logging as without ``-v``), with the pacing off — the same
setting the end-to-end tests use (``tests/channels/harness.py``). With ``--pace telegram`` it is
plain ``sdgbot run``. Stops on SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any

from bot.channels import telegram
from bot.config import Settings, SettingsError
from bot.scheduling.rate import Limits

__all__ = ["UNPACED", "main"]

UNPACED = Limits(per_second=0, group_per_minute=0, private_per_second=0)
"""No pacing at all: the fake answers every request at once in throughput runs."""


class _UnpacedChannel(telegram.TelegramChannel):
    """The Telegram channel with `UNPACED` limits (everything else as shipped)."""

    def __init__(self, service: Any, settings: Settings, **options: Any) -> None:
        options.setdefault("limits", UNPACED)
        super().__init__(service, settings, **options)


def main(argv: list[str] | None = None) -> int:
    """Run the bot until SIGINT/SIGTERM; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bench.sdgbot_proc")
    parser.add_argument("--pace", choices=("off", "telegram"), default="off")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"sdgbot: {error}", file=sys.stderr)
        return 2
    if args.pace == "off":
        # serve() builds `TelegramChannel(service, settings)` by module name: swap the class.
        telegram.running.TelegramChannel = _UnpacedChannel  # type: ignore[misc]
    telegram.configure_logging(settings.telegram_token or "")
    try:
        return asyncio.run(telegram.serve(settings))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
