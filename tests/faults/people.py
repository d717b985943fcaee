"""Simulated Telegram users for the fault tests, and the ledger of what each one was told.

A `Person` talks to the bot through the fake Bot API exactly as a phone would: it reads the
bot's messages (never the database), recognises the question by its text, answers it (tapping
the first button or typing "1", a name, "Gent", "2031"), and waits. If nothing comes for a while
(the bot crashed, a message was lost) it does what people do: sends ``/start`` (or the flow's
command) to get the current question back. It goes through onboarding, then the post-2030
check (a mission flow), and stops at the menu that follows.

The ledger is what the assertions are about:

* an answer is *acknowledged* when, after it, the person is shown a different question or the
  menu that closes the flow — the bot told them it was recorded;
* a question shown again after its answer was acknowledged is a repeat (``repeats``); one shown
  twice in a row without a nudge between is a duplicate (``duplicates``), unless the bot said
  why (``answer_kept``: "I already have «1» for the previous question; if it was meant for
  this one, send it again") — an announced copy, counted in ``announced``.

Some people nudge by sending their last answer again instead of a command, as people do when
a reply does not come (``resends``).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from functools import cache

from bot.content import shipped_catalogue
from bot.flow.definition import Flow
from bot.flow_library import FlowLibrary
from bot.i18n import html_to_plain
from tests.fakes.bot_api import FakeBotApi, SentMessage, UserHandle

MISSION = "post2030"
FLOWS = ("onboarding", MISSION)
TYPED = {"text": None, "lookup": "Gent", "number": "2031"}
"""What a person types for the non-choice questions of the two flows (text: their name)."""
MENU_KEYS = ("menu_intro", "onboarding_done", "menu_after_flow")
SEND_FAILED_KEY = "tg_send_failed"
ANSWER_KEPT_KEY = "answer_kept"


def kept_fragment(lang: str = "fr") -> str:
    """A literal piece of the `answer_kept` notice (the part after the quoted answer)."""
    text = shipped_catalogue().messages.get(ANSWER_KEPT_KEY, lang, answer="\x00")
    return html_to_plain(text.split("\x00")[-1]).strip()


@dataclass(frozen=True)
class Prompt:
    """A question of a flow, recognised in a message by a literal piece of its French text."""

    flow: str
    step: str
    kind: str
    fragment: str


def _fragment(text: str) -> str:
    """The longest literal part of a templated text: it appears in every rendering of it."""
    pieces = re.split(r"\{\{.*?\}\}|\{%.*?%\}", text, flags=re.S)
    return max((html_to_plain(p).strip() for p in pieces), key=len)


@cache
def flow_prompts(flows: tuple[str, ...] = FLOWS, lang: str = "fr") -> tuple[Prompt, ...]:
    """The questions of the shipped flows `flows`, each with its recognisable fragment."""
    library = FlowLibrary.load(shipped_catalogue())
    prompts = []
    for flow_id in flows:
        flow: Flow | None = library.get(flow_id)
        assert flow is not None, f"the shipped flow {flow_id} did not load"
        for step_id in flow.order:
            step = flow.steps[step_id]
            if step.waits and step.base.text is not None:
                prompts.append(
                    Prompt(flow_id, step_id, step.kind, _fragment(step.base.text.source.get(lang)))
                )
    fragments = [p.fragment for p in prompts]
    assert len(set(fragments)) == len(fragments) and all(len(f) >= 12 for f in fragments)
    return tuple(prompts)


@dataclass
class Ledger:
    """What a person saw and did, in order."""

    shown: list[tuple[str, str]] = field(default_factory=list)
    """Questions shown, as (flow, step)."""
    answered: list[tuple[str, str, str]] = field(default_factory=list)
    """Answers given, as (flow, step, expected display)."""
    acknowledged: list[tuple[str, str, str]] = field(default_factory=list)
    """Answers the bot confirmed by moving on, as (flow, step, expected display)."""
    nudges: int = 0
    announced: int = 0
    """Questions shown again with the bot's word that the previous answer was kept."""
    told_to_retry: int = 0
    """Messages saying a message could not be shown (`tg_send_failed`)."""
    repeats: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    """Everything above in order, one short line each, for failure messages."""


class Script:
    """The plan every simulated user follows, and its bookkeeping (channel-neutral).

    Subclasses do the talking: they call `question` when a question is shown, `answered` when
    they answer it, `menu` when the menu that ends a flow is shown, and `nudge` when nothing
    came for too long; these return what to send next where there is a choice.
    """

    def __init__(self, external_id: str, *, resends: bool = False) -> None:
        self.external_id = external_id
        self.resends = resends
        """Nudge by sending the last answer again when it was typed (else with a command)."""
        self.last_typed: str | None = None
        self.name = f"Personne {external_id}"
        self.ledger = Ledger()
        self.phase = "onboarding"  # then "mission-start", "mission", "done"
        self._pending: tuple[str, str, str] | None = None
        self._nudges_unmatched = 0  # nudges whose re-asked question has not been seen yet

    @property
    def done(self) -> bool:
        """Whether they reached the menu after the mission flow."""
        return self.phase == "done"

    def typed(self, kind: str) -> str:
        """What they type for a question of `kind` that is not a choice."""
        return TYPED[kind] or self.name

    def question(self, flow: str, step: str, *, announced: bool = False) -> None:
        """A question is shown: the answer before it was acknowledged if it is another one.

        `announced`: it came with the bot's word that the previous answer was kept.
        """
        where = (flow, step)
        if self._pending is not None and self._pending[:2] != where:
            self.ledger.acknowledged.append(self._pending)
        self._pending = None
        if any(a[:2] == where for a in self.ledger.acknowledged):
            self.ledger.repeats.append(where)
        elif self.ledger.shown[-1:] == [where]:
            # Each nudge may bring the current question back once; any other copy is a dup.
            if self._nudges_unmatched:
                self._nudges_unmatched -= 1
            elif announced:
                self.ledger.announced += 1
            else:
                self.ledger.duplicates.append(where)
        self.ledger.shown.append(where)
        self.ledger.history.append(f"asked {flow}.{step}")
        if flow == MISSION:
            self.phase = "mission"

    def answered(self, flow: str, step: str, display: str) -> None:
        """They answered; `display` is how the bot should store it."""
        self._pending = (flow, step, display)
        self.ledger.answered.append(self._pending)
        self.ledger.history.append(f"answered {display!r}")

    def menu(self) -> str | None:
        """The menu is shown: the flow in progress is over. Returns a command to send, if any."""
        self.ledger.history.append("menu")
        if self._pending is not None:
            self.ledger.acknowledged.append(self._pending)
            self._pending = None
        if self.phase == "onboarding" and any(s[0] == "onboarding" for s in self.ledger.shown):
            self.phase = "mission-start"
            return f"/{MISSION}"
        if self.phase == "mission":
            self.phase = "done"
        return None

    def nudge(self) -> str:
        """Nothing came: what they send — a command that brings the current question back,
        or (`resends`, in a flow) their last typed answer again."""
        self.ledger.nudges += 1
        self._nudges_unmatched += 1
        if self.resends and self.last_typed is not None and self.phase != "mission-start":
            self.ledger.history.append(f"nudged by sending {self.last_typed!r} again")
            return self.last_typed
        command = f"/{MISSION}" if self.phase == "mission-start" else "/start"
        self.ledger.history.append(f"nudged {command}")
        return command


class Person(Script):
    """One simulated Telegram user; `await person.run(deadline)` takes them through both flows.

    Args:
        api: the fake Bot API.
        user_id: their Telegram id (also their private chat's id).
        taps: tap the first button when a question has buttons (else type "1").
        patience: seconds without a question or menu before nudging.
    """

    def __init__(self, api: FakeBotApi, user_id: int, *, taps: bool, patience: float,
                 resends: bool = False) -> None:  # fmt: skip
        super().__init__(str(user_id), resends=resends)
        self.api = api
        self.handle: UserHandle = api.user(user_id, first_name=f"P{user_id}", language_code="fr")
        self.taps = taps
        self.patience = patience
        self.prompts = flow_prompts()
        messages = shipped_catalogue().messages
        self._menus = [html_to_plain(messages.get(key, "fr")) for key in MENU_KEYS]
        self._send_failed = html_to_plain(messages.get(SEND_FAILED_KEY, "fr"))
        self._kept = kept_fragment()
        self._cursor = 0  # into api.sent, shared by everyone: only new messages are looked at
        self.updates: list[int] = []
        """Ids of the updates they sent (for redelivery storms)."""

    def _prompt_of(self, message: SentMessage) -> Prompt | None:
        return next((p for p in self.prompts if p.fragment in message.plain), None)

    def _is_menu(self, message: SentMessage) -> bool:
        return any(menu in message.plain for menu in self._menus)

    def _command(self, command: str) -> None:
        self.updates.append(self.api.push_command(self.handle, command)["update_id"])

    def _text(self, text: str) -> None:
        self.updates.append(self.api.push_text(self.handle, text)["update_id"])

    async def run(self, deadline: float) -> None:
        """Talk until done or until the loop time `deadline`."""
        loop = asyncio.get_running_loop()
        self._command("/start")
        waited_since = loop.time()
        while not self.done and loop.time() < deadline:
            sent = self.api.sent
            fresh = [m for m in sent[self._cursor :] if m.chat_id == self.handle.id]
            self._cursor = len(sent)
            self.ledger.told_to_retry += sum(self._send_failed in m.plain for m in fresh)
            significant = [m for m in fresh if self._prompt_of(m) or self._is_menu(m)]
            announced = any(self._kept in m.plain for m in fresh)
            if significant and self._react(significant[-1], announced):
                waited_since = loop.time()
            elif loop.time() - waited_since > self.patience:
                nudge = self.nudge()
                if nudge.startswith("/"):
                    self._command(nudge)
                else:
                    self._text(nudge)
                waited_since = loop.time()
            await asyncio.sleep(0.1)

    def _react(self, message: SentMessage, announced: bool = False) -> bool:
        prompt = self._prompt_of(message)
        if prompt is None:
            command = self.menu()
            if command is not None:
                self._command(command)
            return command is not None or self.done
        self.question(prompt.flow, prompt.step, announced=announced)
        first = re.search(r"^\s*1\.\s+(.+?)\s*$", message.plain, flags=re.M)
        if prompt.kind == "choice":
            assert first is not None, f"no numbered options in {message.plain!r}"
            display = first.group(1)
            options = [d for d in message.callback_data() if d.startswith("q:")]
            if self.taps and options:
                update = self.api.push_callback(self.handle, message, options[0])
                self.updates.append(update["update_id"])
                self.last_typed = None  # a tap: nothing typed to send again
            else:
                self._text("1")
                self.last_typed = "1"
        else:
            display = self.typed(prompt.kind)
            self._text(display)
            self.last_typed = display
        self.answered(prompt.flow, prompt.step, display)
        return True
