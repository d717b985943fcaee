"""`sdgbot deadlines …` and `sdgbot broadcast …` (SQLite; every failure is one line)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.programme.seeding import seed_content
from bot.storage import Store
from tests.scheduling.conftest import add_users


@pytest.fixture
def run(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SDGBOT_DATABASE_URL", sqlite_url)
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args))

    return invoke


def with_store(url: str, fn):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        store = await Store.open(url)
        try:
            return await fn(store)
        finally:
            await store.close()

    return asyncio.run(go())


def test_deadlines_add_list_remove_and_audit(run, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    listed = run("deadlines", "list")
    assert listed.exit_code == 0 and "financial_report" in listed.output
    assert "Jaarlijks financieel rapport" in run("deadlines", "list", "--lang", "nl").output
    added = run(
        "deadlines",
        "add",
        "mou_renewal",
        "--title",
        "fr:Renouveler l'accord",
        "--title",
        "en:Renew the agreement",
        "--due",
        "2027-09-15",
        "--offsets",
        "21,3",
        "--audience",
        "partnership:brasschaat-tarija",
        "--hour",
        "10",
    )
    assert added.exit_code == 0, added.output
    again = run("deadlines", "add", "mou_renewal", "--title", "x", "--due", "2027-09-15")
    assert again.exit_code == 1 and "--replace" in again.output
    assert (
        run(
            "deadlines", "add", "mou_renewal", "--title", "x", "--due", "2027-09-16", "--replace"
        ).exit_code
        == 0
    )
    bad = run("deadlines", "add", "oops", "--title", "x", "--due", "2027-13-01")
    assert bad.exit_code == 2 and "not a date" in bad.output
    listed = run("deadlines", "list")
    assert "mou_renewal" in listed.output and "2027-09-16" in listed.output
    assert run("deadlines", "remove", "financial_report").exit_code == 0
    assert "financial_report" not in run("deadlines", "list").output
    assert "[removed]" in run("deadlines", "list", "--all").output  # and a restart keeps it out
    assert run("deadlines", "remove", "financial_report").exit_code == 1

    async def audited(store: Store) -> list[str]:
        async with store.transaction() as tx:
            return [e.action for e in await tx.audit_entries()]

    assert with_store(sqlite_url, audited).count("deadline_change") == 3


def test_deadlines_import_and_ics(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "mine.yaml"
    source.write_text(
        "deadlines:\n  - id: visit\n    title: {nl: Werkbezoek, fr: Visite}\n"
        "    due: 2027-10-01\n    offsets: [14]\n",
        encoding="utf-8",
    )
    imported = run("deadlines", "import", str(source))
    assert imported.exit_code == 0 and "1 deadline imported" in imported.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("deadlines:\n  - id: visit\n    title: x\n    hour: 30\n")
    failed = run("deadlines", "import", str(broken))
    assert failed.exit_code == 1 and "broken.yaml:4:" in failed.output
    written = run("deadlines", "ics", "--out", "cal.ics", "--lang", "nl", "--months", "24")
    assert written.exit_code == 0, written.output
    content = (tmp_path / "cal.ics").read_text(encoding="utf-8")
    assert "SUMMARY:Werkbezoek" in content and "SUMMARY:Jaarlijks financieel rapport" in content


def test_broadcast_dry_run_schedule_status_retry_cancel(run, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    async def people(store: Store) -> None:
        await seed_content(store)
        await add_users(store, 3, country="BE", language="nl")
        await add_users(store, 2, start=10, country="BJ", language="fr")

    with_store(sqlite_url, people)
    dry = run(
        "broadcast",
        "--text",
        "Hallo",
        "--text",
        "fr:Bonjour",
        "--audience",
        "country:BE",
        "--dry-run",
    )
    assert dry.exit_code == 0 and "dry run: 3 recipients" in dry.output
    sent = run(
        "broadcast", "--text", "Bonjour", "--audience", "country:BJ", "--at", "2030-01-02T09:00"
    )
    assert sent.exit_code == 0 and "broadcast #1 scheduled for 2030-01-02 08:00 UTC" in sent.output
    status = run("broadcast", "status")
    assert "#1 scheduled" in status.output and "[country:BJ]" in status.output
    assert run("broadcast", "status", "1").exit_code == 0
    assert run("broadcast", "status", "99").exit_code == 1
    assert run("broadcast", "retry", "1").output.startswith("0 messages")
    assert run("broadcast", "cancel", "1").exit_code == 0
    assert "#1 cancelled" in run("broadcast", "status").output
    for args, fragment in [
        (("--audience", "planet:mars", "--text", "x"), "planet:mars"),
        ((), "give a text"),
        (("--text", "x", "--at", "tomorrow"), "ISO 8601"),
    ]:
        result = run("broadcast", *args)
        assert result.exit_code == 2 and fragment in result.output, result.output
