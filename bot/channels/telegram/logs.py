"""Logging for the Telegram channel: to stderr, and never showing the bot token.

The token is in every Bot API URL; python-telegram-bot and HTTP libraries put URLs in their
log lines and errors. Every handler of the root logger gets a filter replacing it.
"""

from __future__ import annotations

import logging
import sys


class Redact(logging.Filter):
    """Takes the token out of every log line (httpx and PTB put it in URLs and errors)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the token in the record's message and traceback; keep every record."""
        text = record.getMessage()
        if self.secret in text:
            record.msg, record.args = text.replace(self.secret, "<token>"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.secret in record.exc_text:
            record.exc_text = record.exc_text.replace(self.secret, "<token>")
        return True


def configure_logging(token: str) -> None:
    """Log to stderr (unless logging is set up already), never showing the token.

    WARNING until the bot runs, so a failed start prints only its one line; `serve` lowers it
    to INFO once Telegram accepted the token.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # fmt: skip
    protect_token(token)


def protect_token(token: str) -> None:
    """Silence per-request INFO logs (they carry the token in URLs) and redact it everywhere."""
    root = logging.getLogger()
    for name in ("httpx", "httpcore", "telegram.ext.ExtBot", "telegram.Bot"):
        logging.getLogger(name).setLevel(logging.WARNING)
    redact = Redact(token)
    for handler in root.handlers:
        if not any(isinstance(f, Redact) for f in handler.filters):
            handler.addFilter(redact)


__all__ = ["Redact", "configure_logging", "protect_token"]
