"""Flow runs and typed answers (bot/storage/runs.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.storage import Answer, FlowRun, Store, Tx

T0 = datetime(2025, 9, 18, 8, 0, tzinfo=UTC)


async def _run(tx: Tx, external_id: str = "ana", **fields: Any) -> FlowRun:
    user = await tx.get_or_create_user("telegram", external_id)
    return await tx.create_run(user.id, "sdg_circle", "3", state={"step": "intro"}, **fields)


async def test_create_and_load_active_run(store: Store) -> None:
    async with store.transaction() as tx:
        run = await _run(tx, started_at=T0, waiting_since=T0)
        found = await tx.active_run(run.user_id)
    assert found is not None
    assert (found.id, found.status, found.state, found.started_at) == (
        run.id,
        "active",
        {"step": "intro"},
        T0,
    )


async def test_one_active_run_per_user(store: Store) -> None:
    async with store.transaction() as tx:
        run = await _run(tx)
        await tx.save_run(run, state={}, status="cancelled", waiting_since=None, completed_at=T0)
        second = await _run(tx)  # allowed: the first is no longer active
        assert (await tx.active_run(run.user_id)) is not None
        assert second.id != run.id
    with pytest.raises(IntegrityError):
        async with store.transaction() as tx:
            await _run(tx)


async def test_save_run_state_and_reset_nudge(store: Store) -> None:
    async with store.transaction() as tx:
        run = await _run(tx, waiting_since=T0)
        await tx.mark_nudged(run, T0 + timedelta(hours=24))
        await tx.save_run(
            run, state={"step": "q1"}, status="active", waiting_since=T0, completed_at=None
        )
        assert run.nudged_at is not None  # same question: still nudged
        later = T0 + timedelta(days=2)
        await tx.save_run(
            run, state={"step": "q2"}, status="active", waiting_since=later, completed_at=None
        )
    async with store.transaction() as tx:
        loaded = await tx.run(run.id)
    assert loaded is not None
    assert (loaded.state, loaded.waiting_since, loaded.nudged_at) == ({"step": "q2"}, later, None)
    with pytest.raises(ValueError, match="run status"):
        async with store.transaction() as tx:
            await tx.save_run(run, state={}, status="paused", waiting_since=None, completed_at=None)


VALUES: list[Any] = [
    "Brasschaat",
    "",
    True,
    False,
    42,
    -7,
    3.25,
    0.1,
    Decimal("1400000.50"),
    date(2025, 9, 25),
    ["11", "16", "17"],
    {"ambition": 4, "action": 2, "levels": ["local", "global"]},
    None,
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
async def test_typed_answers_round_trip(store: Store, value: Any) -> None:
    async with store.transaction() as tx:
        run = await _run(tx)
        await tx.record_answer(run.id, "q", "any", value, display="shown", answered_at=T0)
    async with store.transaction() as tx:
        got = (await tx.answers(run.id))["q"]
        row = (await tx.answer_rows(run.id))[0]
    assert got == value
    assert type(got) is type(value)
    assert (row.kind, row.display, row.answered_at) == ("any", "shown", T0)


async def test_answers_land_in_typed_columns(store: Store) -> None:
    async with store.transaction() as tx:
        run = await _run(tx)
        await tx.record_answer(run.id, "n", "number", 12)
        await tx.record_answer(run.id, "d", "date", date(2026, 6, 30))
        await tx.record_answer(run.id, "b", "yes_no", True)
        await tx.record_answer(run.id, "t", "text", "participation")
        # The typed columns are what reports query: filter on them directly.
        big = select(Answer.step_id).where(Answer.run_id == run.id, Answer.value_number > 10)
        assert (await tx.session.execute(big)).scalars().all() == ["n"]
        rows = {row.step_id: row for row in await tx.answer_rows(run.id)}
    assert rows["n"].value_number == Decimal(12)
    assert rows["d"].value_date == date(2026, 6, 30)
    assert rows["b"].value_bool is True
    assert rows["t"].value_text == "participation"
    assert rows["t"].value_number is None


async def test_reanswering_replaces_the_row(store: Store) -> None:
    async with store.transaction() as tx:
        run = await _run(tx)
        await tx.record_answer(run.id, "budget", "number", 1000, display="1 000", answered_at=T0)
        loaded = (await tx.answer_rows(run.id))[0]  # kept in the session's identity map
        assert loaded.value_number == Decimal(1000)
        later = T0 + timedelta(minutes=5)
        await tx.record_answer(run.id, "budget", "text", "unknown", display="?", answered_at=later)
        rows = await tx.answer_rows(run.id)
    assert len(rows) == 1
    assert rows[0] is loaded  # refreshed in place, not a stale copy
    assert (rows[0].value_text, rows[0].value_number, rows[0].value_json) == ("unknown", None, None)
    assert (rows[0].kind, rows[0].display, rows[0].answered_at) == ("text", "?", later)


async def test_delete_answer_and_order(store: Store) -> None:
    async with store.transaction() as tx:
        run = await _run(tx)
        for minute, step in enumerate(["c", "a", "b"]):
            await tx.record_answer(
                run.id, step, "text", step, answered_at=T0 + timedelta(minutes=minute)
            )
        await tx.delete_answer(run.id, "a")
        await tx.delete_answer(run.id, "missing")  # nothing to delete: no error
        assert list(await tx.answers(run.id)) == ["c", "b"]


async def test_unstorable_answers_are_refused(store: Store) -> None:
    async with store.transaction() as tx:
        run = await _run(tx)
        with pytest.raises(TypeError, match="datetime"):
            await tx.record_answer(run.id, "q", "date", T0)
        with pytest.raises(TypeError, match="JSON"):
            await tx.record_answer(run.id, "q", "multi", [object()])
        with pytest.raises(ValueError, match="finite"):
            await tx.record_answer(run.id, "q", "number", float("nan"))
        with pytest.raises(ValueError, match="timezone-aware"):
            await tx.record_answer(run.id, "q", "text", "x", answered_at=datetime(2025, 1, 1))


async def test_datetimes_come_back_in_utc(store: Store) -> None:
    brussels_summer = timezone(timedelta(hours=2))
    local = datetime(2025, 9, 25, 10, 0, tzinfo=brussels_summer)
    async with store.transaction() as tx:
        run = await _run(tx, started_at=local)
    async with store.transaction() as tx:
        loaded = await tx.run(run.id)
    assert loaded is not None
    assert loaded.started_at == local
    assert loaded.started_at.utcoffset() == timedelta(0)


async def test_runs_waiting_since(store: Store) -> None:
    async with store.transaction() as tx:
        old = await _run(tx, "old", waiting_since=T0)
        nudged = await _run(tx, "nudged", waiting_since=T0)
        await tx.mark_nudged(nudged, T0 + timedelta(hours=1))
        await _run(tx, "recent", waiting_since=T0 + timedelta(days=3))
        await _run(tx, "not_waiting")
        done = await _run(tx, "done", waiting_since=T0)
        await tx.save_run(done, state={}, status="completed", waiting_since=T0, completed_at=T0)
        cutoff = T0 + timedelta(days=1)
        assert [r.id for r in await tx.runs_waiting_since(cutoff)] == [old.id]
        both = await tx.runs_waiting_since(cutoff, not_nudged=False)
        assert {r.id for r in both} == {old.id, nudged.id}
        assert len(await tx.runs_waiting_since(cutoff, not_nudged=False, limit=1)) == 1


async def test_completed_runs_per_municipality(store: Store) -> None:
    async with store.transaction() as tx:
        herent = await tx.add_municipality("Herent", "BE")
        tarija = await tx.add_municipality("Tarija", "BO")
        finished = []
        for index, (who, place) in enumerate([("a", herent), ("b", herent), ("c", tarija)]):
            run = await _run(tx, who, municipality_id=place.id)
            end = T0 + timedelta(days=index)
            await tx.save_run(
                run, state={}, status="completed", waiting_since=None, completed_at=end
            )
            finished.append(run)
        await _run(tx, "d", municipality_id=herent.id)  # active: not a completed run
        latest = await tx.latest_completed_run("sdg_circle", herent.id)
        assert latest is not None and latest.id == finished[1].id
        assert await tx.latest_completed_run("other_flow", herent.id) is None
        assert [r.id for r in await tx.completed_runs("sdg_circle")] == [r.id for r in finished]
        assert [r.id for r in await tx.completed_runs("sdg_circle", tarija.id)] == [finished[2].id]


async def test_deleting_a_user_cascades(store: Store) -> None:
    async with store.transaction() as tx:
        run = await _run(tx)
        await tx.record_answer(run.id, "q", "text", "x")
        user = await tx.user(run.user_id)
        assert user is not None
        await tx.session.delete(user)
    async with store.transaction() as tx:
        assert (await tx.session.execute(select(Answer))).first() is None
        assert (await tx.session.execute(select(FlowRun))).first() is None
