"""Streaming export records (bot/storage/records.py)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.storage import ExportRecord, Store
from bot.storage import records as export_module

T0 = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


async def _populate(store: Store, runs: int) -> None:
    async with store.transaction() as tx:
        herent = await tx.add_municipality("Herent", "BE")
        tarija = await tx.add_municipality("Tarija", "BO")
        for index in range(runs):
            user = await tx.get_or_create_user("telegram", index, country="EC")
            place = [herent, tarija, None][index % 3]
            run = await tx.create_run(
                user.id,
                "vlr_readiness",
                "2",
                state={},
                municipality_id=place.id if place else None,
                started_at=T0 + timedelta(days=index),
            )
            await tx.record_answer(run.id, "dashboard", "yes_no", index % 2 == 0)
            await tx.record_answer(run.id, "indicators", "number", index)
            await tx.record_answer(run.id, "decided", "date", date(2025, 1, 1 + index))
            if index % 2 == 0:
                end = T0 + timedelta(days=index, hours=1)
                await tx.save_run(
                    run,
                    state={},
                    status="completed",
                    waiting_since=None,
                    completed_at=end,
                    updated_at=end,
                )
        other_user = await tx.get_or_create_user("console", "x")
        await tx.create_run(other_user.id, "other_flow", "1", state={})


async def test_export_streams_every_run_with_answers(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_module, "BATCH_SIZE", 2)  # several server-side batches
    await _populate(store, 7)
    async with store.transaction(readonly=True) as tx:
        records = [record async for record in tx.iter_export("vlr_readiness")]
    assert [r.user for r in records] == [f"telegram:{i}" for i in range(7)]
    first = records[0]
    assert first == ExportRecord(
        run_id=first.run_id,
        user="telegram:0",
        municipality="Herent",
        country="BE",
        flow_id="vlr_readiness",
        flow_version="2",
        status="completed",
        started_at=T0,
        completed_at=T0 + timedelta(hours=1),
        answers={"dashboard": True, "indicators": 0, "decided": date(2025, 1, 1)},
    )
    assert records[2].municipality is None
    assert records[2].country == "EC"  # no municipality: the user's country
    assert records[1].status == "active" and records[1].completed_at is None
    with pytest.raises(FrozenInstanceError):
        first.status = "x"  # type: ignore[misc]


async def test_export_filters(store: Store) -> None:
    await _populate(store, 6)
    async with store.transaction(readonly=True) as tx:

        async def users(**filters: object) -> list[str]:
            return [r.user async for r in tx.iter_export("vlr_readiness", **filters)]  # type: ignore[arg-type]

        assert await users(municipality="herent") == ["telegram:0", "telegram:3"]
        tarija = await tx.municipality_named("Tarija", "BO")
        assert tarija is not None
        assert await users(municipality=tarija.id) == ["telegram:1", "telegram:4"]
        assert await users(country="ec") == ["telegram:2", "telegram:5"]
        # Run i was last updated on day i (completed ones an hour later).
        since_day_3 = ["telegram:3", "telegram:4", "telegram:5"]
        assert await users(since=T0 + timedelta(days=3)) == since_day_3
        assert await users(country="BO", since=T0 + timedelta(days=3)) == ["telegram:4"]
        assert [r async for r in tx.iter_export("unknown_flow")] == []
