"""`sdgbot report` (bot/report/): the HTML page, its charts and what it must never show."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.content import shipped_catalogue
from bot.flow_library import FlowLibrary
from bot.missions.assessment import assessment_full_snapshot
from bot.outputs.charts import dropoff
from bot.outputs.report import build_report, collect
from bot.programme.privacy import erase_stale_runs, forget_user
from bot.programme.seeding import seed_content
from bot.storage import Store
from bot.storage.models import Deadline, DeadlineDone, OutboxItem
from bot.storage.tx import Tx

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _state(flow_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "flow_id": flow_id,
        "flow_version": "1",
        "lang": "fr",
        "answers": {},
        "vars": {},
        "history": [],
        "context": {},
        "started_at": NOW.isoformat(),
        "updated_at": NOW.isoformat(),
        **fields,
    }


async def _run(
    tx: Tx,
    user_key: str,
    place: str,
    country: str,
    flow_id: str,
    status: str,
    state: dict[str, Any],
    *,
    partnership_id: int | None = None,
) -> None:
    municipality = await tx.add_municipality(place, country)
    user = await tx.get_or_create_user(
        "telegram",
        user_key,
        name=f"Person {user_key}",
        municipality_id=municipality.id,
        country=country,
    )
    run = await tx.create_run(
        user.id,
        flow_id,
        "1",
        state=state,
        municipality_id=municipality.id,
        partnership_id=partnership_id,
        started_at=NOW - timedelta(days=3),
    )
    for step, value in (state.get("answers") or {}).items():
        await tx.record_answer(run.id, step, "text", value)
    done = NOW - timedelta(days=2) if status == "completed" else None
    await tx.save_run(
        run,
        state=state,
        status=status,
        waiting_since=None,
        completed_at=done,
        updated_at=NOW - timedelta(days=2),
    )


def _snapshot(today: int, aim: int) -> dict[str, Any]:
    levels = {"internal": today, "local": today, "global": today}
    aims = {"internal": aim, "local": aim, "global": aim}
    return assessment_full_snapshot(
        {16: levels, 11: levels, 5: levels, 13: levels}, {16: aims, 11: aims, 5: aims, 13: aims}
    )


async def _populate(store: Store, *, deadlines: bool = True) -> None:
    await seed_content(store)
    async with store.transaction() as tx:
        for key, place, country, (today, aim) in (
            ("1", "Herent", "BE", (1, 3)),
            ("2", "Tarija", "BO", (2, 4)),
            ("3", "Brasschaat", "BE", (0, 2)),
        ):
            await _run(
                tx,
                key,
                place,
                country,
                "sdg_assessment",
                "completed",
                _state("sdg_assessment", vars={"snapshot": _snapshot(today, aim)}),
            )
        twinning = next(p for p in await tx.partnerships() if p.slug == "brasschaat-tarija")
        scores = {"north": 5, "south": 2}
        for key, place, country, side in (
            ("3", "Brasschaat", "BE", "north"),
            ("2", "Tarija", "BO", "south"),
        ):
            answers = {
                q: scores[side] if q == "health" else 4
                for q in (
                    "health",
                    "expectations",
                    "core_group",
                    "political",
                    "support",
                    "exchange",
                    "participation",
                    "workplan",
                )
            }
            await _run(
                tx,
                key,
                place,
                country,
                "partnership_checkin",
                "completed",
                _state("partnership_checkin", answers=answers, context={"period": "2026-Q4"}),
                partnership_id=twinning.id,
            )
        heroes = [
            {
                "hero_name": "Eco School Herent",
                "hero_kind": "school",
                "hero_what": "Gardens",
                "hero_sdgs": [4, 13],
                "hero_consent": True,
            },
            {
                "hero_name": "Maria Secret",
                "hero_kind": "citizen",
                "hero_what": "Private",
                "hero_sdgs": [13],
                "hero_consent": False,
            },
        ]
        await _run(
            tx,
            "1",
            "Herent",
            "BE",
            "municipality_week",
            "completed",
            _state("municipality_week", vars={"heroes": heroes, "edition": 2026}),
        )
        await _run(
            tx,
            "4",
            "Herent",
            "BE",
            "sdg_assessment",
            "cancelled",
            _state("sdg_assessment", status="cancelled", history=["municipality", "path"]),
        )
        await _run(
            tx,
            "5",
            "Tarija",
            "BO",
            "sdg_assessment",
            "active",
            _state("sdg_assessment", current="council", history=["municipality", "path"]),
        )
        if deadlines:
            tx.session.add(
                Deadline(
                    id="financial_report",
                    source="shipped",
                    active=True,
                    updated_at=NOW,
                    spec={
                        "id": "financial_report",
                        "title": {
                            "fr": "Rapport financier",
                            "nl": "Financieel rapport",
                            "es": "Informe financiero",
                            "en": "Financial report",
                        },
                    },
                )
            )
            await tx.session.flush()
            user = await tx.get_user("telegram", "1")
            assert user is not None
            for offset, status in ((30, "sent"), (7, "pending"), (1, "pending")):
                tx.session.add(
                    OutboxItem(
                        key=f"reminder:financial_report:2027:{offset}:{user.id}",
                        kind="reminder",
                        user_id=user.id,
                        due_at=NOW,
                        next_attempt_at=NOW,
                        created_at=NOW,
                        status=status,
                        attempts=0,
                        payload={
                            "deadline": "financial_report",
                            "occurrence": "2027",
                            "due": "2027-06-30",
                            "offset": offset,
                        },
                    )
                )
            tx.session.add(
                DeadlineDone(
                    deadline_id="financial_report",
                    occurrence="2027",
                    scope=f"m:{user.municipality_id}",
                    done_at=NOW,
                    municipality_id=user.municipality_id,
                )
            )


async def _report(store: Store, tmp_path: Path, lang: str = "en") -> str:
    catalogue = shipped_catalogue()
    path = await build_report(
        store, catalogue, FlowLibrary.load(catalogue), tmp_path / "out", lang=lang, now=NOW
    )
    return path.read_text(encoding="utf-8")


async def test_report_has_every_section_with_charts(store: Store, tmp_path: Path) -> None:
    await _populate(store)
    page = await _report(store, tmp_path)
    for heading in (
        "Self-assessment profiles per municipality",
        "SDG priorities across municipalities",
        "Partnership health",
        "Sustainable Municipality Week: heroes per goal",
        "Reminder status",
        "Drop-off per question",
    ):
        assert f"<h2>{heading}</h2>" in page
    images = PNG.findall(page)
    assert len(images) >= 5  # profiles, heat map, partnerships, heroes, one drop-off
    for encoded in images:
        assert base64.b64decode(encoded).startswith(b"\x89PNG\r\n\x1a\n")
    for index, encoded in enumerate(images):  # kept for a look with an image viewer
        (tmp_path / f"chart{index}.png").write_bytes(base64.b64decode(encoded))
    assert "Herent (BE)" in page and "Tarija (BO)" in page
    assert "Brasschaat – Tarija" in page or "Brasschaat" in page
    assert "Relationship: Brasschaat 5 / Tarija 2" in page  # the divergence, both sides
    assert "Eco School Herent" in page and "School" in page
    assert "Maria Secret" not in page and "Private" not in page
    assert "Financial report" in page and "30 June 2027" in page
    assert "(before the first answer)" not in page
    assert "Which is your municipality?" not in page or "Drop-off" in page


async def test_report_data_dropoff_and_profiles(store: Store) -> None:
    await _populate(store, deadlines=False)
    data = await collect(store, NOW)
    assessment = data.dropoffs["sdg_assessment"]
    assert (assessment.started, assessment.completed) == (5, 3)
    assert dict(assessment.stopped_after) == {"path": 1}
    assert dict(assessment.waiting_at) == {"council": 1}
    herent = next(p for p in data.profiles if p.municipality == "Herent")
    assert herent.p_today["peace"] == 1 and herent.p_ambition["peace"] == 3
    assert herent.ambition_by_goal[16] == 3 and herent.ambition_by_goal[1] is None
    assert data.reminders is not None and data.reminders.source == "nudges"
    health = data.partnerships[0]
    assert health.north_scores["health"] == 5 and health.south_scores["health"] == 2
    assert [d["id"] for d in health.differences] == ["health"]
    assert [h.name for h in data.heroes] == ["Eco School Herent"]


async def test_forgotten_and_stale_runs_leave_the_report(store: Store, tmp_path: Path) -> None:
    await _populate(store, deadlines=False)
    async with store.transaction() as tx:
        herent = await tx.get_user("telegram", "1")
        assert herent is not None
        await forget_user(tx, herent)
    assert await erase_stale_runs(store, NOW + timedelta(days=200), 180) == 2
    page = await _report(store, tmp_path, "fr")
    assert "Herent (BE)" not in page and "Eco School Herent" not in page
    data = await collect(store, NOW)
    assert data.dropoffs["sdg_assessment"].started == 2
    assert not data.dropoffs["sdg_assessment"].waiting_at


async def test_empty_report_still_renders(store: Store, tmp_path: Path) -> None:
    page = await _report(store, tmp_path, "nl")
    assert page.count("Nog geen gegevens.") >= 5
    assert '<html lang="nl">' in page


def test_dropoff_chart_is_a_png() -> None:
    png = dropoff(["Q1", "Q2"], [2, 0], [1, 3], ("stopped", "waiting"), "A flow")
    assert png.startswith(b"\x89PNG")


async def test_names_from_people_are_escaped(store: Store, tmp_path: Path) -> None:
    await seed_content(store)
    async with store.transaction() as tx:
        await _run(
            tx,
            "9",
            "<script>alert(1)</script>",
            "BE",
            "sdg_assessment",
            "completed",
            _state("sdg_assessment", vars={"snapshot": _snapshot(1, 3)}),
        )
    page = await _report(store, tmp_path)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; (BE)" in page


async def test_french_report_writes_figures_and_dates_the_french_way(
    store: Store, tmp_path: Path
) -> None:
    await _populate(store)
    page = await _report(store, tmp_path, "fr")
    assert "<td>1,0 → 3,0</td>" in page  # Herent today → ambition, decimal commas
    assert "1.0 → 3.0" not in page
    assert "30 juin 2027" in page and "2027-06-30" not in page
    assert "20 novembre 2026" in page  # the profiles' dates
    english = await _report(store, tmp_path, "en")
    assert "<td>1.0 → 3.0</td>" in english and "30 June 2027" in english
