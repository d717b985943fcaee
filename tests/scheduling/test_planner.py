"""Planning reminders and nudges: time zones, quiet hours, done marks, restarts, nudges."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.conversation.conversations import Conversations
from bot.storage import Store
from bot.storage.tx import Tx
from tests.scheduling.conftest import (
    FakeTransport,
    VirtualTime,
    add_users,
    municipality_id,
    outbox,
    planner_for,
    sender_for,
    statuses,
)

TITLE = {"fr": "Rapport", "nl": "Rapport", "es": "Informe", "en": "Report"}


async def save(store: Store, vtime: VirtualTime, deadline_id: str = "report", **spec: Any) -> None:
    async def put(tx: Tx) -> None:
        await tx.save_deadline(
            deadline_id,
            {"id": deadline_id, "title": TITLE, **spec},
            source="coordinator",
            now=vtime.now,
        )

    await store.run_in_transaction(put)


async def people(store: Store) -> dict[str, int]:
    """Two officials in Brasschaat, one in Tarija, one in Nimlaha'kok (database ids by name)."""
    places = {
        "brasschaat": ("Brasschaat", "BE", "Europe/Brussels"),
        "tarija": ("Tarija", "BO", "America/La_Paz"),
        "nimlahakok": ("Nimlaha'kok", "GT", "America/Guatemala"),
    }
    found: dict[str, int] = {}
    number = 100
    for name, (municipality, country, tz) in places.items():
        mid = await municipality_id(store, municipality, country)
        count = 2 if name == "brasschaat" else 1
        ids = await add_users(
            store,
            count,
            start=number,
            municipality_id=mid,
            country=country,
            timezone=tz,
            language="es" if country != "BE" else "nl",
        )
        for index, user_id in enumerate(ids):
            found[f"{name}{index or ''}"] = user_id
        number += 10
    return found


def hours(vtime: VirtualTime, until: datetime) -> Iterator[datetime]:
    while vtime.now < until:
        yield vtime.now
        vtime.advance(hours=1)


async def run_hourly(
    service: Conversations, transport: FakeTransport, vtime: VirtualTime, until: datetime
) -> dict[str, list[datetime]]:
    """Plan and send every hour until `until`; when each user got something (UTC)."""
    planner, sender = planner_for(service), sender_for(service, transport, vtime)
    received: dict[str, list[datetime]] = {}
    for now in hours(vtime, until):
        await planner.run_once()
        before = len(transport.sent)
        await sender.run_once()
        for delivery in transport.sent[before:]:  # (the pacer's spacing adds milliseconds)
            received.setdefault(delivery.key.external_id, []).append(
                now.replace(second=0, microsecond=0)
            )
    return received


async def test_reminders_follow_each_users_time_zone(
    seeded: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await people(store)
    await save(store, vtime, due="2027-05-10", offsets=[7], hour=9, audience=["partnership:*"])
    vtime.set(datetime(2027, 5, 3, 0, tzinfo=UTC))
    transport = FakeTransport(vtime)
    received = await run_hourly(seeded, transport, vtime, datetime(2027, 5, 4, 6, tzinfo=UTC))
    assert received == {
        "100": [datetime(2027, 5, 3, 7, tzinfo=UTC)],  # 09:00 in Brussels (CEST)
        "101": [datetime(2027, 5, 3, 7, tzinfo=UTC)],
        "110": [datetime(2027, 5, 3, 13, tzinfo=UTC)],  # 09:00 in La Paz
        "120": [datetime(2027, 5, 3, 15, tzinfo=UTC)],  # 09:00 in Guatemala
    }
    message = transport.to("110")[0]
    assert "Recordatorio" in message.text and "dentro de 7 días" in message.text
    assert "brasschaat-tarija" not in message.text  # a programme deadline, not a twinning's
    data = [d for row in message.buttons or [] for _, d in row]
    assert data[0].startswith("c:rdone ") and data[1].startswith("c:rsnooze ")


async def test_quiet_hours_hold_a_reminder_whose_hour_is_at_night(
    seeded: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await people(store)
    await save(store, vtime, due="2027-05-10", offsets=[3], hour=22, audience=["country:BO"])
    vtime.set(datetime(2027, 5, 7, 0, tzinfo=UTC))
    received = await run_hourly(
        seeded, FakeTransport(vtime), vtime, datetime(2027, 5, 9, 0, tzinfo=UTC)
    )
    la_paz = ZoneInfo("America/La_Paz")
    assert [t.astimezone(la_paz).hour for t in received["110"]] == [8]
    assert received["110"][0].astimezone(la_paz).day == 8  # the morning after 22:00


async def test_done_stops_the_municipality_and_records_who(
    seeded: Conversations, store: Store, vtime: VirtualTime
) -> None:
    ids = await people(store)
    await save(
        store,
        vtime,
        due="2027-05-30",
        offsets=[14, 2],
        hour=9,
        audience=["side:north", "side:south"],
    )
    vtime.set(datetime(2027, 5, 16, 6, tzinfo=UTC))
    transport = FakeTransport(vtime)
    await run_hourly(seeded, transport, vtime, datetime(2027, 5, 17, 0, tzinfo=UTC))
    assert set(transport.counts()) == {"100", "101", "110", "120"}
    brasschaat = await municipality_id(store, "Brasschaat", "BE")

    async def done(tx: Tx) -> None:
        await tx.mark_done(
            "report",
            "2027-05-30",
            scope=f"m:{brasschaat}",
            municipality_id=brasschaat,
            user_id=ids["brasschaat1"],
            now=vtime.now,
        )

    await store.run_in_transaction(done)
    transport.sent.clear()
    vtime.set(datetime(2027, 5, 28, 0, tzinfo=UTC))
    await run_hourly(seeded, transport, vtime, datetime(2027, 5, 29, 0, tzinfo=UTC))
    assert set(transport.counts()) == {"110", "120"}  # nobody in Brasschaat any more
    async with store.transaction() as tx:
        marks = await tx.done_marks("report")
    assert [(m.scope, m.user_id) for m in marks] == [(f"m:{brasschaat}", ids["brasschaat1"])]


async def test_after_a_restart_only_the_latest_useful_reminder_goes_once(
    seeded: Conversations, store: Store, vtime: VirtualTime
) -> None:
    await people(store)
    await save(
        store,
        vtime,
        due="2027-06-30",
        offsets=[30, 7, 1],
        hour=9,
        audience=["municipality:Brasschaat"],
    )
    # The bot was down from before 31 May until 24 June, 12:00 UTC.
    vtime.set(datetime(2027, 6, 24, 12, tzinfo=UTC))
    transport = FakeTransport(vtime)
    planner, sender = planner_for(seeded), sender_for(seeded, transport, vtime)
    await planner.run_once()
    await sender.run_once()
    await planner.run_once()
    await sender.run_once()
    assert transport.counts() == {"100": 1, "101": 1}
    assert "7 dagen" not in transport.sent[0].text and "6 dagen" in transport.sent[0].text
    rows = await outbox(store)
    assert {r.payload["offset"] for r in rows} == {7}
    # a reminder planned before a shutdown that outlived its deadline is dropped, not sent
    vtime.set(datetime(2027, 6, 29, 7, tzinfo=UTC))
    await planner.run_once()
    assert statuses(await outbox(store, status="pending")) == {"pending": 2}
    vtime.set(datetime(2027, 7, 1, 9, tzinfo=UTC))
    await sender.run_once()
    assert transport.counts() == {"100": 1, "101": 1}
    assert statuses(await outbox(store)) == {"sent": 2, "dropped": 2}


async def test_a_completed_check_in_counts_as_done(
    seeded: Conversations, store: Store, vtime: VirtualTime
) -> None:
    ids = await people(store)
    await save(
        store,
        vtime,
        "checkin",
        every="partnership",
        due="2026-12-31",
        offsets=[3],
        hour=10,
        audience=["partnership:*"],
        flow="partnership_checkin",
    )
    tarija = await municipality_id(store, "Tarija", "BO")

    async def completed(tx: Tx) -> None:
        run = await tx.create_run(
            ids["tarija"],
            "partnership_checkin",
            "1",
            state={},
            municipality_id=tarija,
            started_at=datetime(2027, 5, 2, tzinfo=UTC),
        )
        await tx.save_run(
            run,
            state={},
            status="completed",
            waiting_since=None,
            completed_at=datetime(2027, 5, 2, 1, tzinfo=UTC),
        )

    await store.run_in_transaction(completed)
    vtime.set(datetime(2027, 6, 27, 0, tzinfo=UTC))
    transport = FakeTransport(vtime)
    await run_hourly(seeded, transport, vtime, datetime(2027, 6, 28, 0, tzinfo=UTC))
    assert set(transport.counts()) == {"100", "101", "120"}  # Tarija already did it
    message = transport.to("120")[0]
    assert "herent-nimlahakok" not in message.text and "Herent" in message.text
    assert ("▶️ Empezar ahora", "f:partnership_checkin") in (message.buttons or [[]])[-1]


async def test_one_nudge_per_run_never_at_night(
    seeded: Conversations, store: Store, vtime: VirtualTime
) -> None:
    ids = await people(store)
    vtime.set(datetime(2027, 5, 10, 6, tzinfo=UTC))  # 02:00 in La Paz

    async def start(tx: Tx) -> int:
        run = await tx.create_run(
            ids["tarija"],
            "sdg_assessment",
            "1",
            state={},
            started_at=vtime.now - timedelta(hours=30),
            waiting_since=vtime.now - timedelta(hours=25),
        )
        return run.id

    run_id = await store.run_in_transaction(start)
    transport = FakeTransport(vtime)
    planner, sender = planner_for(seeded), sender_for(seeded, transport, vtime)
    await planner.run_once()
    await sender.run_once()
    assert transport.sent == []  # quiet hours in La Paz
    vtime.set(datetime(2027, 5, 10, 12, tzinfo=UTC))  # 08:00 in La Paz
    await sender.run_once()
    assert len(transport.sent) == 1
    nudge = transport.sent[0]
    assert nudge.buttons == [[("▶️ Continuar", "f:sdg_assessment")]]
    # the user answers one question and leaves again for two days: still no second nudge
    vtime.advance(hours=1)

    async def answer(tx: Tx) -> None:
        run = await tx.run(run_id)
        assert run is not None
        await tx.save_run(
            run, state={}, status="active", waiting_since=vtime.now, completed_at=None
        )

    await store.run_in_transaction(answer)
    vtime.advance(hours=50)
    await planner.run_once()
    await sender.run_once()
    assert len(transport.sent) == 1
    assert len(await outbox(store, kind="nudge")) == 1
