"""Deadlines, reminder buttons, stop keywords and /broadcast in the conversation service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from bot.conversation import reminders
from bot.conversation.conversations import Conversations
from bot.conversation.turn import Turn
from bot.flow.events import Event
from bot.messages import Command, ConversationKey, FileOffered, MenuOffered, Reply, Tap
from bot.storage import Store
from bot.storage.tx import Tx
from tests.conversation.conftest import Talker
from tests.scheduling.conftest import FakeTransport, VirtualTime, outbox, planner_for, sender_for

BRASSCHAAT = ConversationKey("telegram", "501")
COLLEAGUE = ConversationKey("telegram", "502")
TARIJA = ConversationKey("telegram", "601")
HERENT = ConversationKey("telegram", "701")
COORDINATOR = ConversationKey("telegram", "900")
TITLE = {
    "fr": "Rapport financier",
    "nl": "Financieel rapport",
    "es": "Informe financiero",
    "en": "Financial report",
}


@pytest.fixture
def vtime() -> VirtualTime:
    return VirtualTime(start=datetime(2027, 6, 23, 7, 0, tzinfo=UTC))  # 09:00 in Brussels


@pytest.fixture
async def bot(store: Store, vtime: VirtualTime) -> Conversations:
    from bot.programme.seeding import seed_content
    from tests.conversation.conftest import make_service

    await seed_content(store)
    service = make_service(store, vtime)  # type: ignore[arg-type]

    async def setup(tx: Tx) -> None:
        await tx.save_deadline(
            "fin",
            {
                "id": "fin",
                "title": TITLE,
                "due": "2027-06-30",
                "offsets": [7, 1],
                "hour": 9,
                "audience": ["side:north"],
                "flow": "partnership_checkin",
            },
            source="coordinator",
            now=vtime.now,
        )
        brasschaat = await tx.municipality_named("Brasschaat", "BE")
        tarija = await tx.municipality_named("Tarija", "BO")
        herent = await tx.municipality_named("Herent", "BE")
        assert brasschaat and tarija and herent
        for key, place, lang, tz, name in [
            (BRASSCHAAT, brasschaat, "nl", "Europe/Brussels", "An"),
            (COLLEAGUE, brasschaat, "nl", "Europe/Brussels", "Bert"),
            (TARIJA, tarija, "es", "America/La_Paz", "Carla"),
            (HERENT, herent, "fr", "Europe/Brussels", "Els"),
        ]:
            await tx.get_or_create_user(
                key.channel,
                key.external_id,
                name=name,
                language=lang,
                timezone=tz,
                municipality_id=place.id,
                country=place.country,
                kind="municipal_staff",
            )
        await tx.get_or_create_user(
            COORDINATOR.channel,
            COORDINATOR.external_id,
            name="Dirk",
            language="en",
            role="coordinator",
            country="BE",
            timezone="Europe/Brussels",
        )

    await store.run_in_transaction(setup)
    return service


async def as_turn(
    service: Conversations,
    key: ConversationKey,
    handler: Callable[[Turn], Awaitable[None]],
    argument: str = "",
) -> Reply:
    """Run a handler in a transaction, as `run_command` does (with the tap's argument)."""

    async def run(tx: Tx) -> Reply:
        user = await tx.get_user(key.channel, key.external_id)
        assert user is not None
        turn = Turn(tx, user, service.clock(), service)
        turn.argument = argument  # type: ignore[attr-defined]
        await handler(turn)
        return turn.reply

    return await service.store.run_in_transaction(run)


def text_of(events: list[Event]) -> str:
    return "\n".join(getattr(e, "text", "") for e in events)


class Delivery:
    """One planner and one sender (the leader) for the whole test, over a fake transport."""

    def __init__(self, bot: Conversations, vtime: VirtualTime) -> None:
        self.transport = FakeTransport(vtime)
        self.planner = planner_for(bot)
        self.sender = sender_for(bot, self.transport, vtime)

    async def round(self) -> FakeTransport:
        await self.planner.run_once()
        await self.sender.run_once()
        return self.transport


@pytest.fixture
def delivery(bot: Conversations, vtime: VirtualTime) -> Delivery:
    return Delivery(bot, vtime)


def row_of(transport: FakeTransport, key: ConversationKey, label: str) -> str:
    message = transport.to(key.external_id)[-1]
    data = {lbl: d for row in message.buttons or [] for lbl, d in row}
    return data[label].split(" ", 1)[1]


async def test_deadlines_lists_what_is_coming_with_a_calendar(bot: Conversations) -> None:
    reply = await Talker(bot, BRASSCHAAT).send(Command("deadlines"))
    text = text_of(reply.events)
    assert "Uw volgende deadlines" in text
    assert "<b>30 juni 2027</b> — Financieel rapport (over 7 dagen)" in text
    assert "Europe/Brussels" in text
    files = [e for e in reply.events if isinstance(e, FileOffered)]
    assert (
        files
        and files[0].filename.endswith(".ics")
        and b"SUMMARY:Financieel rapport" in (files[0].content)
    )


async def test_deadlines_in_lite_mode_offers_the_file_instead(
    bot: Conversations, store: Store
) -> None:
    async def lite(tx: Tx) -> None:
        user = await tx.get_user(BRASSCHAAT.channel, BRASSCHAAT.external_id)
        assert user is not None
        await tx.update_user(user, lite=True)

    await store.run_in_transaction(lite)
    reply = await Talker(bot, BRASSCHAAT).send(Command("deadlines"))
    assert "Financieel rapport" in text_of(reply.events)
    assert not any(isinstance(e, FileOffered) for e in reply.events)
    offer = next(e for e in reply.events if isinstance(e, MenuOffered))
    assert offer.options[0].id == "c:deadlinesics"
    reply = await Talker(bot, BRASSCHAAT).send(Tap("c:deadlinesics"))
    assert any(isinstance(e, FileOffered) for e in reply.events)


async def test_a_partner_without_deadlines_is_told_so(bot: Conversations) -> None:
    reply = await Talker(bot, TARIJA).send(Command("deadlines"))  # the deadline is side:north
    assert "No tiene plazos en los próximos doce meses" in text_of(reply.events)


async def test_coordinators_see_who_has_not_done_it_and_remind_only_them(
    bot: Conversations, vtime: VirtualTime, delivery: Delivery
) -> None:
    transport = await delivery.round()
    await as_turn(bot, BRASSCHAAT, reminders._rdone, row_of(transport, BRASSCHAAT, "✅ Gedaan"))
    reply = await Talker(bot, COORDINATOR).send(Command("deadlines"))
    text = text_of(reply.events)
    assert "not done yet: 1 of 2 municipalities" in text  # Herent has not, Brasschaat has
    menu = next(e for e in reply.events if isinstance(e, MenuOffered))
    assert menu.options[0].id == "c:rremind fin|2027-06-30"
    reply = await as_turn(bot, COORDINATOR, reminders._rremind, "fin|2027-06-30")
    assert "Reminder queued for 1 person who has not" in text_of(reply.events)
    await delivery.round()
    assert transport.counts() == {"501": 1, "502": 1, "701": 2}
    reply = await as_turn(bot, TARIJA, reminders._rremind, "fin|2027-06-30")
    assert "reservado a los coordinadores" in text_of(reply.events)


async def test_done_stops_the_reminder_for_the_whole_municipality(
    bot: Conversations, store: Store, vtime: VirtualTime, delivery: Delivery
) -> None:
    transport = await delivery.round()
    assert set(transport.counts()) == {"501", "502", "701"}  # side:north: not Tarija
    message = transport.to("501")[0]
    assert "Financieel rapport" in message.text and "over 7 dagen" in message.text
    assert message.buttons is not None and message.buttons[-1] == [
        ("▶️ Nu beginnen", "f:partnership_checkin")
    ]
    row = row_of(transport, BRASSCHAAT, "✅ Gedaan")
    reply = await as_turn(bot, BRASSCHAAT, reminders._rdone, row)
    assert "Genoteerd als gedaan voor Brasschaat" in text_of(reply.events)
    reply = await as_turn(
        bot, COLLEAGUE, reminders._rdone, row_of(transport, COLLEAGUE, "✅ Gedaan")
    )
    assert "al als gedaan genoteerd, door An op 23 juni 2027" in text_of(reply.events)
    vtime.set(datetime(2027, 6, 29, 7, 0, tzinfo=UTC))  # offset 1
    await delivery.round()
    assert transport.counts() == {"501": 1, "502": 1, "701": 2}  # nobody in Brasschaat again
    # somebody else's row, or garbage, is refused
    reply = await as_turn(bot, TARIJA, reminders._rdone, row)
    assert "ya no es válido" in text_of(reply.events)
    reply = await as_turn(bot, TARIJA, reminders._rdone, "nonsense")
    assert "ya no es válido" in text_of(reply.events)


async def test_remind_me_tomorrow_comes_back_at_the_local_hour(
    bot: Conversations, store: Store, vtime: VirtualTime, delivery: Delivery
) -> None:
    transport = await delivery.round()
    row = row_of(transport, BRASSCHAAT, "⏰ Herinner me morgen")
    reply = await as_turn(bot, BRASSCHAAT, reminders._rsnooze, row)
    assert "morgen rond 09:00" in text_of(reply.events)
    again = await as_turn(bot, BRASSCHAAT, reminders._rsnooze, row)  # twice: still one
    assert "morgen rond 09:00" in text_of(again.events)
    assert len(await outbox(store, kind="snooze")) == 1
    vtime.set(datetime(2027, 6, 24, 6, 59, tzinfo=UTC))
    await delivery.round()
    assert len(transport.to("501")) == 1
    vtime.set(datetime(2027, 6, 24, 7, 0, tzinfo=UTC))  # 09:00 in Brussels
    await delivery.round()
    assert len(transport.to("501")) == 2 and "over 6 dagen" in transport.to("501")[1].text
    assert len(transport.to("502")) == 1 and len(transport.to("701")) == 1


async def test_stop_keyword_in_any_language_and_back_on(
    bot: Conversations, vtime: VirtualTime, delivery: Delivery
) -> None:
    for word, key in [("STOP", BRASSCHAAT), ("Arrêter", COLLEAGUE), ("alto", TARIJA)]:
        reply = await as_turn(bot, key, lambda turn, w=word: reminders.on_text(turn, w))
        menu = next(e for e in reply.events if isinstance(e, MenuOffered))
        assert menu.options[0].id == "c:notifon"
    transport = await delivery.round()
    assert set(transport.counts()) == {"701"}  # only Herent's official still gets reminders
    reply = await Talker(bot, BRASSCHAAT).send(Command("notifications"))
    assert "U ontvangt geen herinneringen" in text_of(reply.events)
    reply = await Talker(bot, BRASSCHAAT).send(Tap("c:notifon"))
    assert "Opnieuw ingeschakeld" in text_of(reply.events)
    handled = await as_turn(bot, COLLEAGUE, lambda turn: reminders.on_text(turn, "hervatten"))
    assert "Opnieuw ingeschakeld" in text_of(handled.events)
    vtime.advance(hours=1)
    await delivery.round()
    assert transport.counts() == {"501": 1, "502": 1, "701": 1}
    reply = await Talker(bot, BRASSCHAAT).send(Command("stop"))
    assert "geen herinneringen of berichten meer" in text_of(reply.events)


async def test_ordinary_text_is_left_to_the_conversation(bot: Conversations) -> None:
    reply = await as_turn(bot, BRASSCHAAT, lambda turn: reminders.on_text(turn, "stop de klok"))
    assert reply.events == []


async def test_broadcast_compose_preview_confirm(
    bot: Conversations, store: Store, vtime: VirtualTime, delivery: Delivery
) -> None:
    reply = await Talker(bot, COORDINATOR).send(Command("broadcast"))
    assert "Write the message to send" in text_of(reply.events)
    reply = await as_turn(bot, COORDINATOR, lambda t: reminders.on_text(t, "Workshop <Thursday>"))
    menu = next(e for e in reply.events if isinstance(e, MenuOffered))
    ids = [o.id for o in menu.options]
    assert ids[:4] == [
        "c:bcaud all",
        "c:bcaud side:north",
        "c:bcaud side:south",
        "c:bcaud role:coordinator",
    ]
    assert "c:bcaud country:BO" in ids and "c:bcaud language:es" in ids
    reply = await as_turn(bot, COORDINATOR, reminders._bcaud, "planet:mars")
    assert "could not read that audience" in text_of(reply.events)
    reply = await as_turn(bot, COORDINATOR, reminders._bcaud, "country:BE")
    preview = next(e for e in reply.events if isinstance(e, MenuOffered))
    assert "Workshop &lt;Thursday&gt;" in preview.text and "Recipients: <b>4</b>" in preview.text
    assert [o.id for o in preview.options] == ["c:bcsend", "c:bccancel"]
    assert await outbox(store) == []  # nothing before the confirmation
    reply = await Talker(bot, COORDINATOR).send(Tap("c:bcsend"))
    assert "On its way to 4 people" in text_of(reply.events)
    transport = await delivery.round()
    announced = [d.key.external_id for d in transport.sent if d.text.startswith("📢")]
    assert sorted(announced) == ["501", "502", "701", "900"]
    reply = await Talker(bot, COORDINATOR).send(Tap("c:bcsend"))
    assert "No broadcast is being prepared" in text_of(reply.events)


async def test_broadcast_cancel_and_refusal(bot: Conversations, store: Store) -> None:
    await as_turn(bot, COORDINATOR, reminders._broadcast, "Hello all")
    reply = await Talker(bot, COORDINATOR).send(Tap("c:bccancel"))
    assert "nothing was sent" in text_of(reply.events)
    reply = await Talker(bot, TARIJA).send(Command("broadcast"))
    assert "reservado a los coordinadores" in text_of(reply.events)
    reply = await as_turn(bot, TARIJA, lambda t: reminders.on_text(t, "hola a todos"))
    assert reply.events == []  # a plain user's text never becomes a broadcast
    async with store.transaction() as tx:
        assert [b.status for b in await tx.broadcasts()] == ["cancelled"]


@pytest.mark.skipif(
    not hasattr(Turn, "argument"), reason="run_command does not pass tap arguments to handlers yet"
)
async def test_the_done_button_end_to_end(bot: Conversations, delivery: Delivery) -> None:
    transport = await delivery.round()
    data = dict(transport.to("501")[0].buttons[0])  # type: ignore[index]
    reply = await Talker(bot, BRASSCHAAT).send(Tap(data["✅ Gedaan"]))
    assert "Genoteerd als gedaan voor Brasschaat" in text_of(reply.events)
