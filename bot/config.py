"""Settings from `SDGBOT_*` environment variables and an optional `.env` file (pydantic-settings).

`Settings.from_env()` reads the process's environment over `.env` in the working directory; a bad
value gives one readable line (`SettingsError`: "SDGBOT_SEND_RATE: must be a number ≥ 0, got
'fast'"), never a traceback. `Settings(...)` built in code takes only the values it is given (the
environment never leaks into a test or a benchmark), checked by the same rules.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import ValidationError, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.i18n import LANGUAGES

DEFAULT_API_URL = "https://api.telegram.org/bot"
PREFIX = "SDGBOT_"


class SettingsError(ValueError):
    """A setting that cannot be used; the message names it and says what is expected."""


def _wrong(expected: str) -> PydanticCustomError:
    return PydanticCustomError("setting", expected)


class Settings(BaseSettings):
    """Everything configurable, read once at start (see the README's table)."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    database_url: str = "sqlite:///sdgbot.db"
    flows_dir: Path | None = None
    default_language: str = "fr"
    telegram_token: str | None = None
    telegram_api_url: str = DEFAULT_API_URL
    send_rate: float = 25.0
    coordinators: Annotated[frozenset[str], NoDecode] = frozenset()
    quiet_hours: Annotated[tuple[int, int], NoDecode] = (21, 8)
    retention_days: int = 180
    web_url: str | None = None
    """Where coordinators reach the web console (``SDGBOT_WEB_URL``), for sign-in links."""

    SECRET: ClassVar[frozenset[str]] = frozenset({"telegram_token", "database_url"})
    """Settings whose value an error message never repeats (a token, a password in a URL)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Built in code, settings take only what they are given; `from_env` adds the rest."""
        return (init_settings,)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = None
    ) -> Settings:
        """Read settings from `environ` (default: the process) over an optional `.env` file.

        Raises:
            SettingsError: one line naming every bad variable and what it must be.
        """
        values: dict[str, Any] = {}
        values.update(DotEnvSettingsSource(cls, env_file=dotenv if dotenv else Path(".env"))())
        values.update(_Environment(cls, os.environ if environ is None else environ)())
        try:
            return cls(**values)
        except ValidationError as exc:
            raise SettingsError(_one_line(exc)) from None

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.startswith(("sqlite", "postgresql")):
            raise _wrong("must be sqlite:///path.db or postgresql://user@host/db")
        return value

    @field_validator("flows_dir", mode="before")
    @classmethod
    def _flows_dir(cls, value: Any) -> Any:
        if value is not None and not Path(value).is_dir():
            raise _wrong("must be a folder of flows")
        return value

    @field_validator("default_language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> Any:
        language = str(value).strip().lower()
        if language not in LANGUAGES:
            raise _wrong(f"must be one of {', '.join(LANGUAGES)}")
        return language

    @field_validator("telegram_token", mode="before")
    @classmethod
    def _token(cls, value: Any) -> Any:
        if value is not None and not re.fullmatch(r"[0-9]+:[A-Za-z0-9_-]+", str(value)):
            raise _wrong("must be the token BotFather gave, like 123456:ABC-DEF1234")
        return value

    @field_validator("telegram_api_url", mode="before")
    @classmethod
    def _api_url(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            raise _wrong("must start with http:// or https://")
        return value

    @field_validator("web_url", mode="before")
    @classmethod
    def _web_url(cls, value: Any) -> Any:
        if value is None:
            return None
        url = str(value).strip().rstrip("/")
        if url and not url.startswith(("http://", "https://")):
            raise _wrong("must start with http:// or https://")
        return url or None

    @field_validator("send_rate", mode="before")
    @classmethod
    def _send_rate(cls, value: Any) -> Any:
        rate = _number(value)
        if rate is None or rate < 0:
            raise _wrong("must be a number ≥ 0 (messages per second; 0 = no limit)")
        return rate

    @field_validator("retention_days", mode="before")
    @classmethod
    def _retention(cls, value: Any) -> Any:
        days = _number(value)
        if days is None or days < 1 or days != int(days):
            raise _wrong("must be a whole number of days ≥ 1")
        return int(days)

    @field_validator("coordinators", mode="before")
    @classmethod
    def _coordinators(cls, value: Any) -> Any:
        parts = value.split(",") if isinstance(value, str) else list(value)
        ids = frozenset(str(part).strip() for part in parts if str(part).strip())
        if not all(re.fullmatch(r"-?[0-9]+", user_id) for user_id in ids):
            raise _wrong("must be Telegram user ids (numbers) separated by commas")
        return ids

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _quiet_hours(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = re.fullmatch(r"\s*(\d{1,2})(?::\d\d)?\s*-\s*(\d{1,2})(?::\d\d)?\s*", value)
            if not match:
                raise _wrong("must look like 21-8 (from 21:00 to 08:00)")
            value = (int(match.group(1)), int(match.group(2)))
        hours = list(value)
        if len(hours) != 2 or not all(isinstance(h, int) and 0 <= h <= 23 for h in hours):
            raise _wrong("must be two hours from 0 to 23, like 21-8")
        return tuple(value)


class _Environment(EnvSettingsSource):
    """The `SDGBOT_*` variables of a given mapping (the process's environment by default)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # Names are matched case-insensitively (the source lower-cases what it looks up), and
        # empty values count as unset, as `env_ignore_empty` says for the process's variables.
        return {name.lower(): value for name, value in self._environ.items() if value != ""}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _one_line(exc: ValidationError) -> str:
    """Every problem of `exc` on one line: "SDGBOT_SEND_RATE: must be …, got 'fast'"."""
    parts = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        message = error["msg"] if error["type"] == "setting" else error["msg"].lower()
        shown = "" if field in Settings.SECRET else f", got {error['input']!r}"
        parts.append(f"{PREFIX}{field.upper()}: {message}{shown}")
    return "; ".join(parts)
