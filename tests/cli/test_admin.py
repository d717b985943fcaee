"""`sdgbot users`, `audit`, `report` and `outbox` (bot/cli/admin.py, bot/cli/outbox.py)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.storage import Store


def _setup(url: str) -> None:
    async def create() -> None:
        async with await Store.open(url) as store, store.transaction() as tx:
            place = await tx.add_municipality("Herent", "BE")
            await tx.get_or_create_user("telegram", "100", name="Ana", municipality_id=place.id)
            asking = await tx.get_or_create_user("telegram", "200", name="Bo")
            await tx.update_user(asking, requested_role="coordinator")
            await tx.get_or_create_user("console", "100", name="Console Ana")

    asyncio.run(create())


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("SDGBOT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("SDGBOT_COORDINATORS", "200")
    _setup(sqlite_url)
    return CliRunner()


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, list(args))


def test_users_list_and_requests(cli: CliRunner) -> None:
    listing = run(cli, "users", "list")
    assert listing.exit_code == 0
    assert "telegram:100" in listing.output and "Herent" in listing.output
    waiting = run(cli, "users", "list", "--requests")
    assert "telegram:200" in waiting.output and "telegram:100" not in waiting.output
    assert "coordinator" in waiting.output


def test_promote_and_demote_are_audited(cli: CliRunner) -> None:
    ambiguous = run(cli, "users", "promote", "100")
    assert ambiguous.exit_code == 1 and "ambiguous" in ambiguous.output
    promoted = run(cli, "users", "promote", "telegram:100", "--role", "admin")
    assert promoted.exit_code == 0 and "user → admin" in promoted.output
    again = run(cli, "users", "promote", "telegram:100", "--role", "admin")
    assert "already admin" in again.output
    request = run(cli, "users", "promote", "200")
    assert request.exit_code == 0
    assert "telegram:200" not in run(cli, "users", "list", "--requests").output
    demoted = run(cli, "users", "demote", "telegram:200")
    assert demoted.exit_code == 0 and "coordinator → user" in demoted.output
    assert "SDGBOT_COORDINATORS" in demoted.output  # the warning (stderr is mixed in)
    assert run(cli, "users", "demote", "#999").exit_code == 1
    audit = run(cli, "audit", "--json")
    entries = [json.loads(line) for line in audit.output.splitlines()]
    assert [(e["action"], e["details"]["to"]) for e in entries] == [
        ("role_change", "user"),
        ("role_change", "coordinator"),
        ("role_change", "admin"),
    ]
    assert all(e["actor"].startswith("cli:") for e in entries)
    table = run(cli, "audit", "--action", "role_change", "--limit", "1")
    assert len(table.output.splitlines()) == 1 and "telegram:200" in table.output
    assert run(cli, "audit", "--since", "soon").exit_code == 2


def test_report_command_writes_the_page(cli: CliRunner, tmp_path: Path) -> None:
    result = run(cli, "report", "--out", str(tmp_path / "r"), "--lang", "es")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "Perfiles de autoevaluación por municipio" in page
    assert "report" in run(cli, "audit").output


def test_outbox_lists_delivery_records_with_the_reason(cli: CliRunner, sqlite_url: str) -> None:
    async def queue() -> None:
        async with await Store.open(sqlite_url) as store, store.transaction() as tx:
            ana = await tx.get_user("telegram", "100")
            bo = await tx.get_user("telegram", "200")
            assert ana is not None and bo is not None
            now = datetime.now(UTC)
            await tx.enqueue(
                [
                    {
                        "key": "partner:mirror:1:2026-Q4:a",
                        "kind": "partner",
                        "user_id": ana.id,
                        "due_at": now,
                        "payload": {"texts": {"fr": "Miroir"}},
                    },
                    {
                        "key": "notice:role_granted:b",
                        "kind": "notice",
                        "user_id": bo.id,
                        "due_at": now,
                        "payload": {"texts": {"fr": "Accordé"}},
                    },
                ],
                now,
            )
            rows = await tx.outbox_items(kind="notice")
            await tx.set_outbox_status(rows[0].id, "blocked", error="the user blocked the bot")

    asyncio.run(queue())
    listed = run(cli, "outbox")
    assert listed.exit_code == 0, listed.output
    assert "partner" in listed.output and "telegram:100 (Ana)" in listed.output
    blocked = run(cli, "outbox", "--kind", "notice")
    assert "blocked" in blocked.output and "the user blocked the bot" in blocked.output
    assert "partner" not in blocked.output
    assert "nothing in the outbox" in run(cli, "outbox", "--kind", "nudge").output
