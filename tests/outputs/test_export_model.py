"""Exports of real runs (driven through the service): numbers a spreadsheet computes with."""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import load_workbook

from bot.content import shipped_catalogue
from bot.conversation.conversations import Conversations
from bot.flow_library import FlowLibrary
from bot.messages import ConversationKey
from bot.outputs.exports import model_for, write_json, xlsx_bytes
from tests.conversation.conftest import Talker
from tests.conversation.scenario import HEROES, herent_year
from tests.conversation.test_partners import onboard


def _rows(sheet: Any) -> list[dict[str, Any]]:
    headers = [c.value for c in sheet[1]]
    return [dict(zip(headers, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


async def _herent(service: Conversations) -> None:
    ana = Talker(service, ConversationKey("test", "ana"))
    await onboard(ana, "Ana", "Belgique", "Herent")
    await herent_year(ana)


async def test_scores_are_numbers_heroes_a_sheet_and_results_columns(
    service: Conversations,
) -> None:
    await _herent(service)
    catalogue = shipped_catalogue()
    library = FlowLibrary.load(catalogue)
    async with service.store.transaction(readonly=True) as tx:
        assessment, count = await xlsx_bytes(tx, library.flows["sdg_assessment"], catalogue, "fr")
        week, _ = await xlsx_bytes(tx, library.flows["municipality_week"], catalogue, "fr")
    assert count == 2  # the quick and the full assessment, one row each
    book = load_workbook(io.BytesIO(assessment))
    runs = book["runs"]
    headers = [c.value for c in runs[1]]
    assert not {"more_focus", "more_people", "more_planet"} & set(headers)  # "Continuer"
    assert not any(h.startswith("quick_result") for h in headers)
    full = next(r for r in _rows(runs) if r["path"].value == "Complet (17 ODD)")
    scores = [full[f"now_focus_{goal}.local"] for goal in (16, 11, 17)]
    # numeric cells: =AVERAGE over them computes (text cells would be skipped or fail)
    assert all(cell.data_type == "n" and cell.value == 3 for cell in scores)
    assert full["p_today.peace"].data_type == "n" and full["p_today.peace"].value == 3
    quick = next(r for r in _rows(runs) if r["path"].value != "Complet (17 ODD)")
    assert quick["awareness"].data_type == "n"
    assert quick["data.own"].value == 1 and quick["data.stats"].value == 0
    assert quick["footprint.energy"].data_type == "n"
    columns = {q["Colonne"].value: q for q in _rows(book["questions"])}
    assert "Aujourd'hui" in columns["now_focus_16.local"]["Question"].value
    assert columns["now_focus_16.local"]["Type"].value == "note (nombre)"
    assert "{" not in columns["now_focus_16.local"]["Question"].value

    week_book = load_workbook(io.BytesIO(week))
    heroes = _rows(week_book["hero_keep"])
    assert [h["hero_name"].value for h in heroes] == HEROES
    assert all(h["hero_consent"].value is True for h in heroes)
    week_run = _rows(week_book["runs"])[0]
    assert "hero_more" not in week_run  # "Add another?" heads the block: its sheet counts
    assert week_run["hero_count"].value == 3 and week_run["register"].value is True
    assert "questions" in week_book.sheetnames


async def test_json_carries_the_computed_results(service: Conversations) -> None:
    await _herent(service)
    catalogue = shipped_catalogue()
    library = FlowLibrary.load(catalogue)
    out = io.StringIO()
    async with service.store.transaction(readonly=True) as tx:
        model = await model_for(tx, "post2030", "en", catalogue, library.flows["post2030"])
        assert await write_json(tx.iter_export("post2030"), out, model) == 1
    record = json.loads(out.getvalue())[0]
    assert set(record["results"]) == {
        f"levels.{d}"
        for d in ("planning", "monitoring", "reporting", "participation", "partnership")
    }
    assert all(isinstance(v, int) for v in record["results"].values())
    assert record["answers"]["plan_end"] == 2031
