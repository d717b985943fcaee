"""`Conversations`: handle one input from any channel in one database transaction.

The order is what makes the bot safe on flaky links: claim the update id (a re-delivered update
does nothing), lock the user, load the active run, run the pure engine, write the answers and the
new state, commit — and only then hand the events back to the channel to send. A crash before
the commit loses nothing the user was told; a crash after it cannot record anything twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.content import shipped_catalogue
from bot.conversation import commands, free_text
from bot.conversation.contexts import start_context
from bot.conversation.profile import apply_profile
from bot.conversation.table import COMMANDS
from bot.conversation.turn import Handler, Turn
from bot.flow import engine
from bot.flow.catalogue import Catalogue
from bot.flow.definition import Flow
from bot.flow.events import (
    AnswerRecorded,
    QuestionAsked,
    RunCompleted,
    StaleInputIgnored,
    WentBack,
)
from bot.flow.state import Input, OptionInput, RunState, SubmitInput, TextInput
from bot.flow_library import FlowLibrary
from bot.i18n import normalize_language, shortened
from bot.messages import Command, ConversationKey, Incoming, Notice, Reply, Tap
from bot.scheduling.runner import wake
from bot.storage.errors import StorageError
from bot.storage.models import FlowRun, User
from bot.storage.store import Store
from bot.storage.tx import Tx
from bot.storage.users import Delivery

log = logging.getLogger(__name__)

ONBOARDING = "onboarding"


REPLIED_FLUSH_DELAY = 0.05
"""Seconds delivery marks gather before they are written together: under load one small
transaction marks many replies; a crash loses at most the marks of that last moment."""

REPLY_GRACE = timedelta(seconds=15)
"""A copy of an input handled less than this ago gets no reply: the first one's reply is
most likely on its way (two processes behind one webhook, a retried call). Older, with no
delivery mark, its reply was lost, and the current question is asked again."""

REPLAY_WITHIN = timedelta(hours=1)
"""Updates fetched but never handled (a crash) are handled at start if at most this old."""

INBOX_KEPT = timedelta(days=1)
"""Fetched updates are kept this long (then pruned, handled or not)."""

LAST_SEEN_PRECISION = timedelta(minutes=5)
"""`last_seen_at` is refreshed at most this often (one write less for most inputs)."""


def utc_now() -> datetime:
    """The current time, timezone-aware (the one place the service reads the clock)."""
    return datetime.now(UTC)


class Conversations:
    """The service channels talk to."""

    def __init__(
        self,
        store: Store,
        catalogue: Catalogue,
        flows: FlowLibrary,
        settings: Settings,
        clock: Callable[[], datetime] = utc_now,
        commands: Mapping[str, Handler] = COMMANDS,
    ) -> None:
        self.store = store
        self.commands = commands
        self.catalogue = catalogue
        self.flows = flows
        self.settings = settings
        self.clock = clock
        self._replied: dict[tuple[str, int], Delivery] = {}
        """Delivery moments not written yet (see `mark_replied`)."""
        self._replied_flush: asyncio.Task[None] | None = None
        self._inbox_pruned: datetime | None = None

    @classmethod
    async def open(
        cls, settings: Settings, *, clock: Callable[[], datetime] = utc_now, seed: bool = True
    ) -> Conversations:
        """Open the database (migrating it), load content and flows, seed municipalities."""
        catalogue = shipped_catalogue()
        flows = FlowLibrary.load(catalogue, settings.flows_dir)
        store = await Store.open(settings.database_url)
        service = cls(store, catalogue, flows, settings, clock)
        if seed:
            await service.seed()
        return service

    async def seed(self) -> None:
        """Seed municipalities and partnerships, promote `SDGBOT_COORDINATORS` (idempotent)."""
        from bot.programme.roles import apply_seeded_coordinators
        from bot.programme.seeding import seed_content
        from bot.scheduling.planner import seed_deadlines

        await seed_content(self.store)
        await apply_seeded_coordinators(self.store, self.settings.coordinators)
        await seed_deadlines(self.store, self.clock())  # /deadlines works without the scheduler

    async def close(self) -> None:
        """Write pending reply marks, then close the database."""
        if self._replied_flush is not None and not self._replied_flush.done():
            await self._replied_flush
        await self.store.close()

    async def handle(self, incoming: Incoming) -> Reply:
        """Handle one input; the reply is returned only after the transaction committed."""
        try:
            reply = await self.store.run_in_transaction(lambda tx: self._handle(tx, incoming))
        except StorageError as exc:
            log.error("database trouble while handling %s: %s", incoming.key, exc)
            lang = normalize_language(incoming.language_code, self.settings.default_language)
            return Reply([Notice(self.catalogue.messages.get("db_trouble", lang))], lang=lang)
        if reply.queued:
            wake()  # messages to other people are in the outbox, committed: send them now
        return reply

    async def mark_blocked(self, channel: str, external_id: str) -> None:
        """The user blocked the bot (Telegram answered 403): stop sending to them."""

        async def mark(tx: Tx) -> None:
            user = await tx.get_user(channel, external_id)
            if user is not None:
                await tx.update_user(user, blocked=True)

        await self.store.run_in_transaction(mark)

    async def set_language(self, key: ConversationKey, language: str) -> None:
        """Set a user's language before talking (the console's `--lang`)."""
        lang = normalize_language(language, self.settings.default_language)

        async def update(tx: Tx) -> None:
            user = await tx.get_or_create_user(key.channel, key.external_id, language=lang)
            await tx.update_user(user, language=lang)

        await self.store.run_in_transaction(update)

    # --- one input -----------------------------------------------------------------------------

    async def _handle(self, tx: Tx, incoming: Incoming) -> Reply:
        key = incoming.key
        now = self.clock()
        if incoming.update_id is not None and not await tx.claim_update(
            key.channel, incoming.update_id, now
        ):
            processed = await tx.processed(key.channel, incoming.update_id)
            handled, replied = processed or (None, None)
            # The copy was kept again as fetched: drop it, or a person erased since (/forget
            # was this update) would be back in the inbox until it is pruned.
            await tx.drop_fetched(key.channel, incoming.update_id)
            if replied is not None or (key.channel, incoming.update_id) in self._replied:
                return Reply(duplicate=True)
            if handled is not None and now - handled < REPLY_GRACE:
                # Just handled, by another process or a copy still being answered here: its
                # reply is most likely on its way. Asking again would send the question twice.
                return Reply(duplicate=True)
            # Handled a while ago, and its reply never reached the user (a crash between the
            # commit and the send): record nothing, ask the current question again.
            return await self._resend(tx, incoming)
        user, run = await self._user(tx, incoming, now)
        changes: dict[str, Any] = {}
        if user.blocked:
            changes["blocked"] = False  # they wrote again: they unblocked the bot
        if user.last_seen_at is None or now - user.last_seen_at > LAST_SEEN_PRECISION:
            changes["last_seen_at"] = now
        if changes:
            await tx.update_user(user, **changes)
        turn = Turn(
            tx,
            user,
            now,
            self,
            written_by=incoming.written_by,
            update_id=incoming.update_id,
            message_id=incoming.message_id,
        )
        payload = incoming.payload
        if incoming.chat_kind == "group":
            await commands.in_group(turn, payload)
        elif isinstance(payload, Command):
            await commands.run_command(turn, payload)
        elif isinstance(payload, Tap) and self._typed_for_question(payload, run):
            assert payload.typed is not None
            await self._answer(turn, TextInput(payload.typed), None, run)
        elif isinstance(payload, Tap):
            await commands.run_tap(turn, payload)
        else:
            await self._answer(turn, payload, incoming.run_id, run)
        turn.reply.lang = turn.lang
        turn.reply.lite = bool(turn.user.lite)
        turn.reply.user_id = turn.user.id
        return turn.reply

    async def _user(self, tx: Tx, incoming: Incoming, now: datetime) -> tuple[User, FlowRun | None]:
        """The user of an input and their active run, read in one query.

        A new user is created on first contact; the user's row stays locked until the
        transaction ends.
        """
        key = incoming.key
        # On PostgreSQL another process may handle this user's next update: wait for its
        # transaction. SQLite's BEGIN IMMEDIATE already serialises writers.
        user, run = await tx.get_user_and_run(
            key.channel, key.external_id, for_update=self.store.dialect == "postgresql"
        )
        if user is not None:
            return user, run
        language = normalize_language(incoming.language_code, self.settings.default_language)
        user = await tx.get_or_create_user(
            key.channel,
            key.external_id,
            name=incoming.name[:200] or None,
            language=language,
            role="coordinator" if key.external_id in self.settings.coordinators else "user",
            created_at=now,
            last_seen_at=now,
        )
        if self.store.dialect == "sqlite":
            return user, None  # nobody else could write since we looked: they are new
        # Another process may have created them a moment ago, and started a run since.
        locked, run = await tx.get_user_and_run(key.channel, key.external_id, for_update=True)
        return locked or user, run

    @staticmethod
    def _typed_for_question(tap: Tap, run: FlowRun | None) -> bool:
        """Whether a number typed after a prompt was for the run's question asked since."""
        if tap.typed is None or tap.offered_at is None or run is None:
            return False
        asked = (run.state or {}).get("asked_at")
        return isinstance(asked, str) and datetime.fromisoformat(asked) > tap.offered_at

    async def _resend(self, tx: Tx, incoming: Incoming) -> Reply:
        user, run = await tx.get_user_and_run(incoming.key.channel, incoming.key.external_id)
        if user is None:
            return Reply(duplicate=True)
        asked_in = (run.state or {}).get("asked_in") if run is not None else None
        if asked_in is not None and asked_in != incoming.update_id \
                and await self._delivery(tx, user.channel, asked_in) is not None:  # fmt: skip
            # A later reply carrying the current question reached them: asking it again
            # would only send a second copy, which people answer twice.
            return Reply(duplicate=True)
        turn = Turn(tx, user, self.clock(), self)
        if not await commands.ask_current_again(turn):
            commands.offer_menu(turn)
        turn.reply.lang, turn.reply.lite, turn.reply.user_id = turn.lang, bool(user.lite), user.id
        return turn.reply

    async def mark_replied(self, key: ConversationKey, update_id: int,
                           delivered_at: datetime | None = None,
                           message_id: int | None = None) -> None:  # fmt: skip
        """The channel delivered the reply to `update_id` (see `_resend` and `_unseen`).

        `delivered_at`: when it reached the user, on the clock of their messages' dates if
        the channel has one (Telegram dates each sent message, in whole seconds rounded down:
        a moment the reply had surely not reached them before); else now. The moment the
        channel learned it went out is later, by the retries and by however long the event
        loop took to see the answer: under load, the user can have read the question and
        answered it before then, and that answer must not be taken for one written before.
        `message_id`: the id of the reply's last message, in the sequence the chat's messages
        share (Telegram's private chats): an input with a lower id was written before the
        reply arrived, however close in time — exact where dates are not.
        Both are kept (`processed_updates.replied_at`, `reply_message_id`): what the user
        wrote before was not written in answer to the question that reply carried.

        Written by one writer task, `REPLIED_FLUSH_DELAY` later, with every mark that came
        meanwhile or while it waited for the database: a busy bot pays one small transaction
        for many replies, and a mark is on disk about 50 ms after the send. Until then this
        process remembers them itself. (A mark lost in a crash makes a repeated answer be
        asked about once more, never recorded twice.)
        """
        moment = delivered_at if delivered_at is not None else self.clock()
        self._replied.setdefault((key.channel, update_id), Delivery(moment, message_id))
        if self._replied_flush is None or self._replied_flush.done():
            self._replied_flush = asyncio.create_task(self._flush_replied())

    async def _flush_replied(self) -> None:
        written: dict[tuple[str, int], Delivery] = {}

        async def mark(tx: Tx) -> None:
            # Taken once the write lock is ours: everything delivered while waiting for it.
            written.clear()
            written.update(self._replied)
            by_channel: dict[str, dict[int, Delivery]] = {}
            for (channel, update_id), at in written.items():
                by_channel.setdefault(channel, {})[update_id] = at
            for channel, delivered in by_channel.items():
                await tx.mark_delivered(channel, delivered)

        while self._replied:
            await asyncio.sleep(REPLIED_FLUSH_DELAY)
            try:
                await self.store.run_in_transaction(mark)
            except StorageError as exc:  # the mark only saves a re-ask later; never fail a reply
                log.warning("could not mark %d replies as delivered: %s", len(self._replied), exc)
                return  # kept in memory; the next delivered reply tries again
            # Kept in memory until committed: a re-delivered update arriving during the
            # transaction must still be seen as replied (else it is asked again, a duplicate).
            for mark_key in written:
                self._replied.pop(mark_key, None)

    async def keep_fetched(self, channel: str, updates: list[tuple[int, dict[str, Any]]]) -> None:
        """Keep updates just fetched until they are handled (see `bot.storage.inbox`).

        A channel calls this before it confirms the updates to their source; if the process
        dies before handling them, `unhandled_fetched` gives them back at the next start. The
        inbox is pruned here too, at most every ten minutes. Database trouble is logged and
        not raised: the updates are still handled, only not kept.
        """
        now = self.clock()
        prune = self._inbox_pruned is None or now - self._inbox_pruned > timedelta(minutes=10)

        async def keep(tx: Tx) -> None:
            await tx.keep_fetched(channel, updates, now)
            if prune:
                await tx.forget_fetched(now - INBOX_KEPT)

        try:  # one retry only: polling waits for this, and the updates are handled anyway
            await self.store.run_in_transaction(keep, retries=1)
        except StorageError as exc:
            log.warning("could not keep %d fetched updates: %s", len(updates), exc)
            return
        if prune:
            self._inbox_pruned = now

    async def unhandled_fetched(
        self, channel: str
    ) -> list[tuple[int | str, dict[str, Any], datetime]]:
        """Updates kept by `keep_fetched` in the last `REPLAY_WITHIN` that nobody handled.

        Database trouble is logged and gives none (they are lost, as without an inbox).
        """
        since = self.clock() - REPLAY_WITHIN
        try:
            return await self.store.run_in_transaction(
                lambda tx: tx.unhandled_fetched(channel, since), readonly=True
            )
        except StorageError as exc:
            log.warning("could not read the updates kept before a restart: %s", exc)
            return []

    async def _delivery(self, tx: Tx, channel: str, update_id: int) -> Delivery | None:
        """How the reply to an input reached the user, or None if not known to have.

        This process's marks not written yet first, then the database.
        """
        known = self._replied.get((channel, update_id))
        return known if known is not None else await tx.delivery(channel, update_id)

    async def _answer(
        self, turn: Turn, payload: Input, run_id: int | None, run: FlowRun | None
    ) -> None:
        """An answer (typed or tapped) to `run`, the user's active run, if they have one."""
        if run is None:
            await free_text.outside_flow(turn, payload)
            return
        flow = await self.flow_of(turn.tx, run)
        state = self.state_of(run, turn.user)
        if flow is None:  # the flow was removed while this run was open
            await self.finish_orphan(turn, run, state)
            return
        if (
            run_id is not None
            and run_id != run.id
            and isinstance(payload, OptionInput | SubmitInput)
        ):
            sprint = engine.ask_again(flow, self.catalogue, state, now=turn.now)
            turn.reply.events.append(StaleInputIgnored(turn.msg("stale_button")))
            await self.apply(turn, run, flow, sprint)
            return
        if isinstance(payload, TextInput) and self._repeated_answer(turn, payload, state):
            # The previous answer again, written before this question was asked: a second
            # copy (sent twice on a bad link, or to a question that came twice), not an answer
            # to a question the user had not seen. The question went out after it: nothing
            # to add. (Other text written ahead is an answer typed ahead, and taken.)
            log.info("run %s: previous answer repeated before question %s was asked, set aside",
                     run.id, state.current)  # fmt: skip
            reply = turn.reply
            reply.run_id, reply.flow_id, reply.step_id = run.id, flow.id, state.current
            return
        if isinstance(payload, TextInput) and await self._unseen(turn, payload, state):
            # The previous answer again, and the reply that carried this question was never
            # delivered (a crash before the send, a link that failed every retry), or was
            # delivered only after this was written (retries held it; a second copy of the
            # previous question was being answered): not an answer to a question the user had
            # not seen. Say it is kept, and ask this question (sending it again records it
            # here: the user may have meant this question).
            log.info("run %s: previous answer repeated, question %s not delivered: asked again",
                     run.id, state.current)  # fmt: skip
            turn.say("answer_kept", answer=shortened(payload.text))
            # Delivered, only after this was written: the question is with them, and what they
            # write from now on may answer it. Measured from this copy instead, the answers to
            # the copies crossing on the way would each bring one more copy, without end.
            turn.keeps_asked_in = state.asked_in is not None and await self._delivery(
                turn.tx, turn.user.channel, state.asked_in) is not None  # fmt: skip
            sprint = engine.ask_again(flow, self.catalogue, state, now=turn.now)
            await self.apply(turn, run, flow, sprint)
            return
        sprint = engine.resume(flow, self.catalogue, state, payload, now=turn.now)
        await self.apply(turn, run, flow, sprint)

    @staticmethod
    def _repeats_last(payload: TextInput, state: RunState) -> bool:
        """Whether `payload` is the text of the last recorded answer again."""
        if state.last_text is None:
            return False
        return payload.text.strip().casefold() == state.last_text.strip().casefold()

    def _repeated_answer(self, turn: Turn, payload: TextInput, state: RunState) -> bool:
        """Whether `payload` repeats the last answer and was written before this question."""
        return turn.written_before(state.waiting_since) and self._repeats_last(payload, state)

    async def _unseen(self, turn: Turn, payload: TextInput, state: RunState) -> bool:
        """Whether `payload` repeats the last answer, written before the question reached them.

        That is: the input whose reply carried the question (`RunState.asked_in`) has no
        delivery mark, or one later than the moment this input was surely written by
        (`Incoming.written_by`). Known only from a processed-update row or this process's
        unwritten marks: a row already pruned, or a channel without update ids, says nothing,
        and the answer is taken. Other text typed ahead is taken too: only a repeat is
        ambiguous between the previous question and this one.
        """
        if state.asked_in is None or not self._repeats_last(payload, state):
            return False
        channel = turn.user.channel
        delivered = await self._delivery(turn.tx, channel, state.asked_in)
        if delivered is None:  # handled and never delivered, or no row left to tell
            return await turn.tx.processed(channel, state.asked_in) is not None
        if turn.message_id is not None and delivered.message_id is not None:
            return turn.message_id < delivered.message_id  # exact: one sequence per chat
        return turn.written_before(delivered.at)

    async def ended_unseen(self, turn: Turn, payload: TextInput) -> Flow | None:
        """The flow whose last answer `payload` repeats, if the reply closing it was lost.

        For text outside any flow: the answer that completed a flow, sent again because the
        closing message (and the menu) never came, is not "not understood".
        """
        run = await turn.tx.latest_run(turn.user.id)
        if run is None or run.status == "active":
            return None
        state = RunState.model_validate(run.state)
        if not await self._unseen(turn, payload, state):
            return None
        # This reply tells the end again: whether *it* arrives is what counts from now on,
        # unless the first one did arrive (after this was written): then that one still counts.
        channel = turn.user.channel
        if state.asked_in is None or await self._delivery(turn.tx, channel, state.asked_in) is None:
            state.asked_in = turn.update_id
        await turn.tx.save_run(
            run,
            state=state.model_dump(mode="json"),
            status=run.status,
            waiting_since=run.waiting_since,
            completed_at=run.completed_at,
            updated_at=run.updated_at,
        )
        return await self.flow_of(turn.tx, run)

    # --- helpers used by commands ------------------------------------------------------------

    @staticmethod
    def state_of(run: FlowRun, user: User) -> RunState:
        """The run's state, told whether the user is in lite mode now (hints differ)."""
        state = RunState.model_validate(run.state)
        state.context["lite"] = bool(user.lite)
        return state

    async def flow_of(self, tx: Tx, run: FlowRun) -> Flow | None:
        """The definition `run` is pinned to."""
        checksum = str((run.state or {}).get("flow_checksum", ""))
        return await self.flows.for_run(tx, run.flow_id, checksum)

    async def finish_orphan(self, turn: Turn, run: FlowRun, state: RunState) -> None:
        """Close a run whose flow no longer exists, keeping its answers."""
        state.status = "cancelled"
        state.current = None
        await turn.tx.save_run(
            run,
            state=state.model_dump(mode="json"),
            status="cancelled",
            waiting_since=None,
            completed_at=None,
            updated_at=turn.now,
        )
        turn.say("flow_gone")
        commands.offer_menu(turn)

    async def start_flow(
        self, turn: Turn, flow: Flow, *, lang: str | None = None, then: str | None = None
    ) -> None:
        """Start a new run of `flow`; `then` names a flow to start when this one completes."""
        context = await start_context(turn.tx, flow, turn.user, turn.now, self.flows)
        context["lite"] = bool(turn.user.lite)
        if then:
            context["then"] = then
        sprint = engine.start(
            flow, self.catalogue, lang=lang or turn.lang, now=turn.now, context=context
        )
        self._note_asked(turn, sprint)
        await self.flows.remember(turn.tx, flow)
        partnership = context.get("partnership") or {}
        run = await turn.tx.create_run(
            turn.user.id,
            flow.id,
            flow.version,
            state=sprint.state.model_dump(mode="json"),
            municipality_id=turn.user.municipality_id,
            partnership_id=partnership.get("db_id"),
            started_at=turn.now,
            waiting_since=sprint.state.waiting_since,
        )
        await self.apply(turn, run, flow, sprint, created=True)

    async def apply(self, turn: Turn, run: FlowRun, flow: Flow, sprint: engine.Sprint, *,
                    created: bool = False) -> None:  # fmt: skip
        """Persist a sprint (answers, profile changes, state) and queue its events.

        ``created``: `run` was just inserted with this sprint's state, so unless the sprint
        already ended the run (or changed the user's municipality) there is nothing to update.
        """
        tx, state = turn.tx, sprint.state
        self._note_asked(turn, sprint)
        for event in sprint.events:
            if isinstance(event, AnswerRecorded):
                await tx.record_answer(
                    run.id, event.step_id, event.kind, event.value, event.display, turn.now
                )
                if event.saves_to:
                    await apply_profile(turn, event.saves_to, event.value)
            elif isinstance(event, WentBack):
                await tx.delete_answer(run.id, event.to_step)
        unchanged = (created and state.status == "active"
                     and run.municipality_id == turn.user.municipality_id)  # fmt: skip
        if not unchanged:
            await tx.save_run(
                run,
                state=state.model_dump(mode="json"),
                status=state.status,
                waiting_since=state.waiting_since,
                completed_at=state.completed_at,
                updated_at=turn.now,
                municipality_id=turn.user.municipality_id,
            )
        turn.reply.events.extend(sprint.events)
        turn.reply.run_id = run.id
        turn.reply.flow_id = flow.id
        turn.reply.step_id = state.current
        if any(isinstance(e, RunCompleted) for e in sprint.events):
            await commands.after_completion(turn, run, flow, state)

    @staticmethod
    def _note_asked(turn: Turn, sprint: engine.Sprint) -> None:
        """Remember which input's reply carries the question (or the end of the run)."""
        if (
            turn.update_id is not None
            and not turn.keeps_asked_in
            and any(isinstance(e, QuestionAsked | RunCompleted) for e in sprint.events)
        ):
            sprint.state.asked_in = turn.update_id


__all__ = ["Conversations", "Turn", "utc_now"]
