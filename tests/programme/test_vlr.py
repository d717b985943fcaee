"""The Voluntary Local Review starter: a municipality's answers laid out as a VLR draft."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from bot.cli import main
from bot.config import Settings
from bot.conversation.conversations import Conversations
from bot.messages import ConversationKey
from bot.programme import records
from bot.programme.actors import Actor, NotAllowed, NotFound
from bot.programme.vlr import VlrError, vlr_texts, write_vlr
from tests.conversation.conftest import Talker
from tests.conversation.scenario import HEROES, herent_year
from tests.conversation.test_partners import onboard


async def _herent(service: Conversations) -> Settings:
    ana = Talker(service, ConversationKey("test", "ana"))
    await onboard(ana, "Ana", "Belgique", "Herent")
    await herent_year(ana)
    return Settings(database_url=service.store.url)


def _docx_text(path: Path) -> str:
    document = Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


async def test_docx_holds_the_municipality_s_figures(
    service: Conversations, tmp_path: Path
) -> None:
    settings = await _herent(service)
    out = tmp_path / "herent.docx"
    report = await write_vlr(settings, Actor.terminal("tester"), "herent", lang="fr", out=out)
    text = _docx_text(out)
    assert "Examen local volontaire des ODD — Herent" in text
    for section in (
        "1. Introduction et engagement",
        "2. Méthodologie et participation",
        "3. Progrès par objectif",
        "4. Moyens de mise en œuvre",
        "5. Partenariats et héros durables",
        "6. Prochaines étapes",
    ):
        assert section in text
    # the full SDG circle (3 everywhere) rather than the earlier quick one, with official names
    assert "cercle ODD complet" in text
    assert "16. Paix, justice et institutions efficaces" in text
    assert "3.0" in text and "+0.0" in text
    assert "1/5" in text and "5/5" in text  # post-2030 levels
    assert all(hero in text for hero in HEROES)
    assert "Ana" in text  # who took part
    assert text.count("✍") >= 5  # where people must write
    assert len(report.heroes) == 3 and len(report.tools) == 3
    async with service.store.transaction(readonly=True) as tx:
        entry = (await records.audit_log(tx, Actor.terminal("tester"), action="vlr"))[0]
    assert entry.details == {
        "municipality": "Herent",
        "country": "BE",
        "lang": "fr",
        "format": "docx",
        "heroes": 3,
    }


async def test_html_escapes_what_people_typed(service: Conversations, tmp_path: Path) -> None:
    settings = await _herent(service)
    out = tmp_path / "herent.html"
    await write_vlr(settings, Actor.terminal("tester"), "Herent", lang="es", out=out)
    page = out.read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Informe Local Voluntario sobre los ODS — Herent" in page
    assert "16. Paz, justicia e instituciones sólidas" in page


async def test_refusals(service: Conversations, tmp_path: Path) -> None:
    settings = await _herent(service)
    with pytest.raises(VlrError, match=r"\.docx or \.html"):
        await write_vlr(settings, Actor.terminal("t"), "Herent", lang="fr", out=tmp_path / "x.pdf")
    with pytest.raises(NotFound):
        await write_vlr(
            settings, Actor.terminal("t"), "Atlantis", lang="fr", out=tmp_path / "x.html"
        )
    async with service.store.transaction() as tx:
        user = await tx.get_or_create_user("test", "ana")
    with pytest.raises(NotAllowed):
        await write_vlr(settings, Actor.of_user(user), "Herent", lang="fr", out=tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_every_text_exists_in_four_languages() -> None:
    keys = [set(vlr_texts(lang)) for lang in ("fr", "nl", "es", "en")]
    assert keys[0] == keys[1] == keys[2] == keys[3]
    assert all(vlr_texts("nl").values())


async def test_cli_writes_the_starter(
    service: Conversations, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = await _herent(service)
    monkeypatch.setenv("SDGBOT_DATABASE_URL", settings.database_url)
    out = tmp_path / "herent.docx"
    result = await _invoke(["vlr", "Herent", "--lang", "nl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 tools answered, 3 heroes with consent" in result.output
    assert "Vrijwillige lokale SDG-rapportering (VLR) — Herent" in _docx_text(out)
    bad = await _invoke(["vlr", "Herent", "--lang", "nl", "--out", str(tmp_path / "x.txt")])
    assert bad.exit_code == 2 and ".docx or .html" in bad.output


async def _invoke(args: list[str]) -> object:
    import asyncio

    # The command runs its own event loop: run it on a thread, outside the test's loop.
    return await asyncio.to_thread(CliRunner().invoke, main, args)
