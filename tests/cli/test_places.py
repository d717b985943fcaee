"""`sdgbot municipalities`, `sdgbot twinnings` and `sdgbot web link` (bot/cli/places.py, web.py)."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.storage import Store


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SDGBOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("SDGBOT_WEB_URL", "https://console.example")

    async def create() -> None:
        async with await Store.open(sqlite_url) as store, store.transaction() as tx:
            await tx.add_municipality("Herent", "BE", "seeded")
            coordinator = await tx.get_or_create_user("telegram", "42", name="Ana")
            await tx.update_user(coordinator, role="coordinator")
            await tx.get_or_create_user("telegram", "43", name="Bo")

    asyncio.run(create())
    return CliRunner()


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args))


def test_municipalities_add_list_rename_merge(cli: CliRunner) -> None:
    added = run(cli, "municipalities", "add", "Bohicon", "--country", "BJ", "--region", "Zou")
    assert added.exit_code == 0, added.output
    assert "Bohicon (BJ)" in added.output
    assert run(cli, "municipalities", "add", "Bohikon", "--country", "bj").exit_code == 0
    listing = run(cli, "municipalities", "list", "--country", "BJ")
    assert "Bohicon" in listing.output and "Herent" not in listing.output
    renamed = run(cli, "municipalities", "rename", "Bohikon", "Bohikon Centre")
    assert renamed.exit_code == 0 and "Bohikon Centre" in renamed.output
    merged = run(cli, "municipalities", "merge", "Bohikon Centre", "Bohicon")
    assert merged.exit_code == 0 and "0 people" in merged.output
    bad = run(cli, "municipalities", "add", "X", "--country", "ZZ")
    assert bad.exit_code == 1 and "unknown country" in bad.output


def test_twinnings_add_list_end(cli: CliRunner) -> None:
    run(cli, "municipalities", "add", "Bohicon", "--country", "BJ")
    added = run(
        cli, "twinnings", "add", "Herent", "Bohicon", "--since", "2015", "--checkin", "half-yearly"
    )
    assert added.exit_code == 0, added.output
    assert "Herent–Bohicon" in added.output
    listing = run(cli, "twinnings", "list")
    assert "half-yearly" in listing.output
    twinning_id = listing.output.split()[0]
    ended = run(cli, "twinnings", "end", twinning_id)
    assert ended.exit_code == 0 and "ended" in ended.output
    assert run(cli, "twinnings", "end", twinning_id).exit_code == 1
    assert run(cli, "twinnings", "add", "Herent", "Bohicon", "--checkin", "weekly").exit_code == 2


def test_web_link_for_coordinators_only(cli: CliRunner) -> None:
    made = run(cli, "web", "link", "--user", "42")
    assert made.exit_code == 0, made.output
    assert made.output.startswith("https://console.example/login/")
    refused = run(cli, "web", "link", "--user", "43")
    assert refused.exit_code == 1 and "not a coordinator" in refused.output
