"""Exports (bot/outputs/exports.py): typed cells, short headers, codebook, items, no formula."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import main
from bot.content import shipped_catalogue
from bot.flow_library import FlowLibrary
from bot.outputs.consent import WITHHELD
from bot.outputs.exports import (
    QuestionBook,
    TableModel,
    model_for,
    write_csv,
    write_json,
    write_xlsx,
    xlsx_bytes,
)
from bot.storage import Store
from bot.storage.tx import Tx

T0 = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)
TYPED = ['=HYPERLINK("http://evil","x")', "+32 2 555 00 00", "-1+2", "@SUM(A1:A2)"]


async def _week_run(
    tx: Tx,
    user_key: str,
    place: str,
    *,
    hero: str,
    story: str,
    consent: bool,
    kind: str = "school",
    version: str = "1",
    offset: int = 0,
) -> int:
    herent = await tx.add_municipality(place, "BE")
    user = await tx.get_or_create_user(
        "telegram", user_key, language="fr", municipality_id=herent.id
    )
    run = await tx.create_run(
        user.id,
        "municipality_week",
        version,
        state={},
        municipality_id=herent.id,
        started_at=T0 + timedelta(hours=offset),
    )
    await tx.record_answer(run.id, "register", "yesno", True, "Oui")
    await tx.record_answer(run.id, "hero_name", "text", hero, hero)
    # Stored in French, as the user saw it; the export relabels it in the chosen language.
    await tx.record_answer(run.id, "hero_kind", "choice", kind, "École")
    await tx.record_answer(run.id, "hero_what", "text", story, story)
    await tx.record_answer(run.id, "hero_sdgs", "sdg", [4, 13], "4. Éducation; 13. Climat")
    await tx.record_answer(run.id, "hero_consent", "yesno", consent, "Oui" if consent else "Non")
    await tx.record_answer(
        run.id,
        "hero_keep",
        "collect",
        [
            {
                "hero_name": hero,
                "hero_kind": kind,
                "hero_what": story,
                "hero_sdgs": [4, 13],
                "hero_consent": consent,
            }
        ],
        "1",
    )
    end = T0 + timedelta(hours=offset, minutes=20)
    await tx.save_run(
        run, state={}, status="completed", waiting_since=None, completed_at=end, updated_at=end
    )
    return run.id


async def _populate(store: Store) -> None:
    async with store.transaction() as tx:
        first = await _week_run(tx, "1", "Herent", hero=TYPED[0], story=TYPED[2], consent=True)
        await tx.record_answer(
            first,
            "act_keep",
            "collect",
            [{"act_title": "Flag", "act_date": "2026-09-25", "act_sdgs": [17]}],
            "1",
        )
        await _week_run(
            tx, "2", "Edegem", hero="Maria Secret", story="plants trees", consent=False, offset=1
        )
        await _week_run(
            tx, "3", "Herent", hero=TYPED[1], story=TYPED[3], consent=True, version="2", offset=2
        )


def _library() -> tuple[Any, FlowLibrary]:
    catalogue = shipped_catalogue()
    return catalogue, FlowLibrary.load(catalogue)


async def _xlsx(store: Store, lang: str) -> bytes:
    catalogue, library = _library()
    flow = library.get("municipality_week")
    assert flow is not None
    async with store.transaction(readonly=True) as tx:
        content, count = await xlsx_bytes(tx, flow, catalogue, lang)
    assert count == 3
    return content


def _rows(sheet: Any) -> list[dict[str, Any]]:
    headers = [c.value for c in sheet[1]]
    return [
        dict(zip(headers, [c.value for c in row], strict=True))
        for row in sheet.iter_rows(min_row=2)
    ]


async def test_xlsx_has_typed_cells_short_headers_items_and_no_formula(store: Store) -> None:
    await _populate(store)
    book = load_workbook(io.BytesIO(await _xlsx(store, "en")))
    assert book.sheetnames == ["runs", "hero_keep", "act_keep", "questions"]
    runs = book["runs"]
    assert runs.freeze_panes == "A2"
    assert runs.auto_filter.ref == f"A1:{runs.cell(1, runs.max_column).column_letter}4"
    headers = [c.value for c in runs[1]]
    assert headers[:9] == [
        "run",
        "user",
        "municipality",
        "country",
        "flow",
        "version",
        "status",
        "started_at",
        "completed_at",
    ]
    # the fields of a repeated block live on its own sheet, not as the last hero's columns
    assert "hero_name" not in headers and "register" in headers
    herent = _rows(runs)[0]
    assert herent["register"] is True and herent["started_at"] == T0.replace(tzinfo=None)
    heroes = _rows(book["hero_keep"])
    assert [h["run"] for h in heroes] == [r["run"] for r in _rows(runs)]
    assert heroes[0]["hero_kind"] == "School"  # a label in English, not "school" nor "École"
    assert heroes[0]["hero_name"] == TYPED[0]
    assert heroes[0]["hero_sdgs.13"] == 1 and heroes[0]["hero_sdgs.5"] == 0
    assert "13. Climate action" in heroes[0]["hero_sdgs"]
    edegem = next(h for h in heroes if h["municipality"] == "Edegem")
    assert "Maria Secret" not in json.dumps([str(v) for v in edegem.values()])
    assert edegem["hero_name"] == WITHHELD
    activity = _rows(book["act_keep"])[0]
    assert activity["act_date"] == datetime(2026, 9, 25)  # a date cell, not text
    questions = _rows(book["questions"])
    kind = next(q for q in questions if q["Column"] == "hero_kind")
    assert kind["Sheet"] == "hero_keep" and kind["Question"] == "“…” is:"
    assert "school = School" in kind["Possible answers"]
    day = next(q for q in questions if q["Column"] == "act_date")
    assert day["Question"] == "Which day? (between … and …)" and day["Type"] == "date"
    for worksheet in book.worksheets:
        for row in worksheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value}"
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                    assert cell.quotePrefix, cell.coordinate
    typed_cells = {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert set(TYPED) <= typed_cells  # kept exactly as typed, just inert


async def test_xlsx_questions_follow_the_language(store: Store) -> None:
    await _populate(store)
    book = load_workbook(io.BytesIO(await _xlsx(store, "nl")))
    assert [c.value for c in book["questions"][1]][:3] == ["Blad", "Kolom", "Vraag"]
    questions = {q["Kolom"]: q["Vraag"] for q in _rows(book["questions"])}
    assert questions["municipality"] == "Gemeente"
    assert questions["hero_name"] == (
        "Wat is de naam van de held (een persoon, een school, een bedrijf…)?"
    )
    assert _rows(book["hero_keep"])[0]["hero_kind"] == "School"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
async def test_libreoffice_opens_the_xlsx_and_evaluates_nothing(
    store: Store, tmp_path: Path
) -> None:
    await _populate(store)
    target = tmp_path / "week.xlsx"
    target.write_bytes(await _xlsx(store, "fr"))
    utf8_csv = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2"
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            utf8_csv,
            "--outdir",
            str(tmp_path),
            str(target),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    text = (tmp_path / "week-hero_keep.csv").read_text(encoding="utf-8")
    cells = {value for row in csv.reader(io.StringIO(text)) for value in row}
    assert TYPED[0] in cells and TYPED[1] in cells  # not evaluated into "x" or a number


async def test_empty_xlsx_has_its_header_rows(store: Store) -> None:
    catalogue, library = _library()
    flow = library.get("post2030")
    assert flow is not None
    async with store.transaction(readonly=True) as tx:
        content, count = await xlsx_bytes(tx, flow, catalogue, "es")
    assert count == 0
    book = load_workbook(io.BytesIO(content))
    assert [c.value for c in book["runs"][1]][2] == "municipality"
    assert {q["Columna"]: q["Pregunta"] for q in _rows(book["questions"])}[
        "municipality"
    ] == "Municipio"


async def _model(store: Store, lang: str = "en") -> TableModel:
    catalogue, library = _library()
    async with store.transaction(readonly=True) as tx:
        return await model_for(
            tx, "municipality_week", lang, catalogue, library.get("municipality_week")
        )


async def test_csv_and_json_withhold_heroes_without_consent(store: Store) -> None:
    await _populate(store)

    async def records() -> Any:
        async with store.transaction(readonly=True) as tx:
            async for record in tx.iter_export("municipality_week"):
                yield record

    text = io.StringIO()
    assert await write_csv(records(), text, await _model(store)) == 3
    assert "Maria Secret" not in text.getvalue()
    runs, heroes, _activities = text.getvalue().split("\n\n")
    assert heroes.startswith("[hero_keep]\n")
    rows = list(csv.reader(io.StringIO(heroes.split("\n", 1)[1])))
    column = rows[0].index("hero_name")
    assert {row[column] for row in rows[1:]} == {"'" + TYPED[0], WITHHELD, "'" + TYPED[1]}
    assert list(csv.reader(io.StringIO(runs)))[1][rows[0].index("run")] == "1"
    out = io.StringIO()
    await write_json(records(), out, await _model(store))
    assert "Maria Secret" not in out.getvalue()
    second = json.loads(out.getvalue())[1]
    assert second["items"]["hero_keep"][0]["hero_name"] == WITHHELD
    assert second["answers"]["register"] is True


async def test_write_xlsx_spools_rows_of_an_unknown_version(store: Store) -> None:
    await _populate(store)
    catalogue, _ = _library()
    model = TableModel(
        QuestionBook("municipality_week", "en", catalogue, None, [], now=T0)
    )  # no definition at all: values typed by themselves
    target = io.BytesIO()
    async with store.transaction(readonly=True) as tx:
        count = await write_xlsx(tx.iter_export("municipality_week"), target, model)
    assert count == 3
    headers = [c.value for c in load_workbook(target)["runs"][1]]
    assert "register" in headers and "hero_consent" in headers


def test_cli_export_xlsx_with_lang_is_audited(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    async def setup() -> None:
        async with await Store.open(sqlite_url) as store:
            await _populate(store)

    asyncio.run(setup())
    monkeypatch.setenv("SDGBOT_DATABASE_URL", sqlite_url)
    out = tmp_path / "week.xlsx"
    result = CliRunner().invoke(
        main, ["export", "municipality_week", "--format", "xlsx", "--out", str(out), "--lang", "es"]
    )
    assert result.exit_code == 0, result.output
    questions = {q["Columna"]: q["Pregunta"] for q in _rows(load_workbook(out)["questions"])}
    assert questions["municipality"] == "Municipio"
    audit = CliRunner().invoke(main, ["audit", "--json"])
    entry = json.loads(audit.output.splitlines()[0])
    assert entry["action"] == "export"
    assert entry["details"]["format"] == "xlsx" and entry["details"]["runs"] == 3
    assert entry["actor"].startswith("cli:")
    bad = CliRunner().invoke(main, ["export", "municipality_week", "--since", "yesterday"])
    assert bad.exit_code == 2 and "not a date" in bad.output


def test_cli_csv_puts_items_beside_and_writes_a_codebook(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    async def setup() -> None:
        async with await Store.open(sqlite_url) as store:
            await _populate(store)

    asyncio.run(setup())
    monkeypatch.setenv("SDGBOT_DATABASE_URL", sqlite_url)
    out, codebook = tmp_path / "week.csv", tmp_path / "week-codebook.csv"
    result = CliRunner().invoke(
        main,
        [
            "export",
            "municipality_week",
            "--format",
            "csv",
            "--out",
            str(out),
            "--codebook",
            str(codebook),
            "--lang",
            "fr",
        ],
    )
    assert result.exit_code == 0, result.output
    heroes = list(csv.DictReader((tmp_path / "week.hero_keep.csv").open(encoding="utf-8")))
    assert len(heroes) == 3 and heroes[0]["hero_sdgs.4"] == "1"
    book = {row["Colonne"]: row for row in csv.DictReader(codebook.open(encoding="utf-8"))}
    assert book["register"]["Type"] == "oui/non (VRAI/FAUX)"
    assert book["hero_sdgs.4"]["Question"].endswith("4. Éducation de qualité")
    wrong = CliRunner().invoke(
        main,
        [
            "export",
            "municipality_week",
            "--format",
            "xlsx",
            "--out",
            str(out),
            "--codebook",
            str(codebook),
        ],
    )
    assert wrong.exit_code != 0 and "--codebook" in wrong.output


def test_answer_dates_stay_dates() -> None:
    catalogue, library = _library()
    model = TableModel(
        QuestionBook(
            "municipality_week", "en", catalogue, library.get("municipality_week"), [], now=T0
        )
    )
    assert dict(model.cells("1", "act_date", date(2026, 9, 20), table="act_keep")) == {
        "act_date": date(2026, 9, 20)
    }
    assert dict(model.cells("1", "act_date", "2026-09-20", table="act_keep")) == {
        "act_date": date(2026, 9, 20)
    }
