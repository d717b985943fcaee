"""Settings from environment variables (and an optional `.env` file in the working directory).

A bad value gives one readable line (`SettingsError`), never a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bot.i18n import LANGUAGES

DEFAULT_API_URL = "https://api.telegram.org/bot"


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it and says what is expected."""


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a `.env` file: `NAME=value` lines, `#` comments, optional quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        name = name.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def _float(env: dict[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def _hours(env: dict[str, str], name: str, default: str) -> tuple[int, int]:
    raw = env.get(name) or default
    try:
        start, end = (int(part.split(":")[0]) for part in raw.split("-"))
    except ValueError:
        raise SettingsError(f"{name}={raw!r} must look like 21-8 (from 21:00 to 08:00)") from None
    if not (0 <= start <= 23 and 0 <= end <= 23):
        raise SettingsError(f"{name}={raw!r}: hours go from 0 to 23")
    return start, end


@dataclass(frozen=True)
class Settings:
    """Everything configurable, read once at start."""

    database_url: str = "sqlite:///sdgbot.db"
    flows_dir: Path | None = None
    default_language: str = "fr"
    telegram_token: str | None = None
    telegram_api_url: str = DEFAULT_API_URL
    send_rate: float = 25.0
    coordinators: frozenset[str] = field(default_factory=frozenset)
    quiet_hours: tuple[int, int] = (21, 8)
    retention_days: int = 180
    web_url: str | None = None
    """Where coordinators reach the web console (``SDGBOT_WEB_URL``), for sign-in links."""

    @classmethod
    def from_env(
        cls, environ: dict[str, str] | None = None, dotenv: Path | None = None
    ) -> Settings:
        """Read settings from `environ` (default: the process) over an optional `.env` file."""
        env = read_dotenv(dotenv if dotenv is not None else Path(".env"))
        env.update(environ if environ is not None else os.environ)
        language = env.get("SDGBOT_DEFAULT_LANGUAGE", "fr").strip().lower() or "fr"
        if language not in LANGUAGES:
            raise SettingsError(
                f"SDGBOT_DEFAULT_LANGUAGE={language!r} must be one of {', '.join(LANGUAGES)}"
            )
        flows_dir = env.get("SDGBOT_FLOWS_DIR") or None
        if flows_dir and not Path(flows_dir).is_dir():
            raise SettingsError(f"SDGBOT_FLOWS_DIR={flows_dir!r} is not a folder")
        coordinators = frozenset(
            part.strip() for part in env.get("SDGBOT_COORDINATORS", "").split(",") if part.strip()
        )
        for coordinator in coordinators:
            if not coordinator.lstrip("-").isdigit():
                raise SettingsError(
                    f"SDGBOT_COORDINATORS: {coordinator!r} is not a Telegram user id"
                )
        retention = _float(env, "SDGBOT_RETENTION_DAYS", 180, 1)
        api_url = env.get("SDGBOT_TELEGRAM_API_URL") or DEFAULT_API_URL
        if not api_url.startswith(("http://", "https://")):
            raise SettingsError(
                f"SDGBOT_TELEGRAM_API_URL={api_url!r} must start with http:// or https://"
            )
        web_url = (env.get("SDGBOT_WEB_URL") or "").strip().rstrip("/") or None
        if web_url and not web_url.startswith(("http://", "https://")):
            raise SettingsError(
                f"SDGBOT_WEB_URL={web_url!r} must start with http:// or https://"
            )
        return cls(
            web_url=web_url,
            database_url=env.get("SDGBOT_DATABASE_URL") or "sqlite:///sdgbot.db",
            flows_dir=Path(flows_dir) if flows_dir else None,
            default_language=language,
            telegram_token=env.get("SDGBOT_TELEGRAM_TOKEN") or None,
            telegram_api_url=api_url,
            send_rate=_float(env, "SDGBOT_SEND_RATE", 25.0),
            coordinators=coordinators,
            quiet_hours=_hours(env, "SDGBOT_QUIET_HOURS", "21-8"),
            retention_days=int(retention),
        )
