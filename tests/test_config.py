"""Settings: every `SDGBOT_*` variable, `.env`, defaults, and one readable line per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_API_URL, Settings, SettingsError

NO_DOTENV = Path("/nonexistent/.env")


def read(dotenv: Path = NO_DOTENV, **variables: str) -> Settings:
    return Settings.from_env({f"SDGBOT_{name}": value for name, value in variables.items()}, dotenv)


def test_defaults_without_any_variable() -> None:
    settings = read()
    assert settings == Settings()
    assert settings.database_url == "sqlite:///sdgbot.db"
    assert settings.flows_dir is None
    assert settings.default_language == "fr"
    assert settings.telegram_token is None
    assert settings.telegram_api_url == DEFAULT_API_URL
    assert settings.send_rate == 25.0
    assert settings.coordinators == frozenset()
    assert settings.quiet_hours == (21, 8)
    assert settings.retention_days == 180


def test_every_variable_is_read(tmp_path: Path) -> None:
    settings = read(
        DATABASE_URL="postgresql://sdgbot@db/sdgbot",
        FLOWS_DIR=str(tmp_path),
        DEFAULT_LANGUAGE=" NL ",
        TELEGRAM_TOKEN="123456:ABC-def_9",
        TELEGRAM_API_URL="http://127.0.0.1:8081/bot",
        SEND_RATE="0",
        COORDINATORS="200, -3,",
        QUIET_HOURS="22:00-7",
        RETENTION_DAYS="30",
    )
    assert settings.database_url == "postgresql://sdgbot@db/sdgbot"
    assert settings.flows_dir == tmp_path
    assert settings.default_language == "nl"
    assert settings.telegram_token == "123456:ABC-def_9"
    assert settings.telegram_api_url == "http://127.0.0.1:8081/bot"
    assert settings.send_rate == 0
    assert settings.coordinators == frozenset({"200", "-3"})
    assert settings.quiet_hours == (22, 7)
    assert settings.retention_days == 30


def test_empty_variables_and_other_names_are_ignored() -> None:
    settings = Settings.from_env(
        {"SDGBOT_SEND_RATE": "", "SDGBOT_REQUIRE_POSTGRES": "1", "HOME": "/root"}, NO_DOTENV
    )
    assert settings.send_rate == 25.0


def test_the_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# local settings\nexport SDGBOT_SEND_RATE='5'\n"
        'SDGBOT_DEFAULT_LANGUAGE="es"\nOTHER_TOOL=1\n',
        encoding="utf-8",
    )
    settings = read(dotenv, DEFAULT_LANGUAGE="en")
    assert (settings.send_rate, settings.default_language) == (5.0, "en")


def test_the_process_environment_is_read_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDGBOT_QUIET_HOURS", "20-9")
    assert Settings.from_env(dotenv=NO_DOTENV).quiet_hours == (20, 9)


def test_settings_built_in_code_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDGBOT_SEND_RATE", "3")
    assert Settings(database_url="sqlite:///x.db").send_rate == 25.0


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        (
            "SEND_RATE",
            "fast",
            "SDGBOT_SEND_RATE: must be a number ≥ 0 (messages per second; 0 = no limit), "
            "got 'fast'",
        ),
        ("SEND_RATE", "-1", "SDGBOT_SEND_RATE: must be a number ≥ 0"),
        (
            "DEFAULT_LANGUAGE",
            "de",
            "SDGBOT_DEFAULT_LANGUAGE: must be one of fr, nl, es, en, got 'de'",
        ),
        (
            "QUIET_HOURS",
            "late",
            "SDGBOT_QUIET_HOURS: must look like 21-8 (from 21:00 to 08:00), got 'late'",
        ),
        ("QUIET_HOURS", "25-8", "SDGBOT_QUIET_HOURS: must be two hours from 0 to 23"),
        (
            "COORDINATORS",
            "200,bob",
            "SDGBOT_COORDINATORS: must be Telegram user ids (numbers) separated by commas",
        ),
        (
            "RETENTION_DAYS",
            "0",
            "SDGBOT_RETENTION_DAYS: must be a whole number of days ≥ 1, got '0'",
        ),
        ("RETENTION_DAYS", "a year", "SDGBOT_RETENTION_DAYS: must be a whole number of days"),
        (
            "TELEGRAM_API_URL",
            "api.example.org",
            "SDGBOT_TELEGRAM_API_URL: must start with http:// or https://, got 'api.example.org'",
        ),
        (
            "FLOWS_DIR",
            "/nonexistent/flows",
            "SDGBOT_FLOWS_DIR: must be a folder of flows, got '/nonexistent/flows'",
        ),
        (
            "TELEGRAM_TOKEN",
            "my secret token",
            "SDGBOT_TELEGRAM_TOKEN: must be the token BotFather gave, like 123456:ABC-DEF1234",
        ),
        (
            "DATABASE_URL",
            "mysql://admin:hunter2@db/sdg",
            "SDGBOT_DATABASE_URL: must be sqlite:///path.db or postgresql://user@host/db",
        ),
    ],
)
def test_a_bad_value_is_one_readable_line(name: str, value: str, line: str) -> None:
    with pytest.raises(SettingsError) as caught:
        read(**{name: value})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(line)
    if name in {"TELEGRAM_TOKEN", "DATABASE_URL"}:
        assert value not in message  # a secret is never repeated


def test_several_bad_values_share_the_line() -> None:
    with pytest.raises(SettingsError) as caught:
        read(SEND_RATE="fast", DEFAULT_LANGUAGE="de")
    message = str(caught.value)
    assert "\n" not in message
    assert "SDGBOT_SEND_RATE:" in message and "SDGBOT_DEFAULT_LANGUAGE:" in message


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.send_rate = 1  # type: ignore[misc]
