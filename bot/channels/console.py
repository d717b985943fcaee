"""The console channel: talk to the bot in a terminal, on the same engine and database.

Options are numbered; typing the number, the label or any answer works as on Telegram. Works with
piped input (one answer per line) and ends cleanly at the end of input.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from bot.channels.render import VALUE_LABEL_KINDS
from bot.conversation.commands import typed_offer_choice
from bot.conversation.conversations import Conversations
from bot.flow.events import (
    AnswerRejected,
    ConfirmationRequested,
    Event,
    MessageCreated,
    Option,
    QuestionAsked,
    RunCancelled,
    RunCompleted,
    RunExpired,
    SelectionChanged,
    StaleInputIgnored,
)
from bot.flow.state import OptionInput, TextInput
from bot.i18n import html_to_plain
from bot.messages import (
    Command,
    ConversationKey,
    FileOffered,
    ImageOffered,
    Incoming,
    LanguageOffered,
    MenuOffered,
    Notice,
    Reply,
    Tap,
)

CHANNEL = "console"


class ConsoleChannel:
    """Reads lines from `stdin`, writes the bot's answers to `stdout`."""

    def __init__(
        self,
        service: Conversations,
        stdin: IO[str],
        stdout: IO[str],
        *,
        user: str | None = None,
        language: str | None = None,
        files_dir: Path | None = None,
    ) -> None:
        self.service = service
        self.stdin = stdin
        self.stdout = stdout
        self.key = ConversationKey(CHANNEL, user or getpass.getuser() or "local")
        self.language = language
        self.files_dir = files_dir or Path.cwd()
        self.menu: tuple[Option, ...] = ()
        self.confirming: int | None = None
        self.interactive = stdin.isatty()

    async def send(self, payload: TextInput | OptionInput | Command | Tap) -> Reply:
        """Hand one input to the service and print the reply."""
        reply = await self.service.handle(
            Incoming(self.key, payload, name=self.key.external_id, language_code=self.language)
        )
        self.show(reply.events)
        return reply

    def _payload(self, line: str) -> TextInput | OptionInput | Command | Tap:
        text = line.strip()
        if text.startswith("/") and len(text) > 1:
            name, _, argument = text[1:].partition(" ")
            return Command(name, argument.strip())
        if self.menu:
            chosen = self._menu_choice(text)
            if chosen is not None:
                return Tap(chosen)
        return TextInput(text)

    def _menu_choice(self, text: str) -> str | None:
        chosen = typed_offer_choice(text, tuple(option.id for option in self.menu))
        if chosen is not None:  # its number, "oui" to a yes/no, "frans" to the languages
            return chosen
        folded = text.casefold()
        for option in self.menu:
            if option.label.casefold().strip("📊🌐 ") == folded.strip():
                return option.id
        return None

    async def run(self, *, start: Iterable[TextInput | OptionInput | Command | Tap] = ()) -> int:
        """Talk until the end of input; returns the exit code."""
        if self.language:
            await self.service.set_language(self.key, self.language)
        first = list(start) or [Command("start")]
        for payload in first:
            await self.send(payload)
        while True:
            if self.interactive:
                self.stdout.write("> ")
                self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                break
            if not line.strip():
                continue
            if not self.interactive:
                self.stdout.write(f"> {line.rstrip()}\n")
            await self.send(self._payload(line))
        return 0

    # --- output --------------------------------------------------------------------------------

    def _print(self, text: str) -> None:
        self.stdout.write(html_to_plain(text).rstrip() + "\n")

    def _options(self, options: tuple[Option, ...], selected: tuple[str, ...] = ()) -> None:
        for number, option in enumerate(options, start=1):
            mark = (
                "[x] "
                if option.id in selected
                else ("[ ] " if selected is not None and selected != () else "")
            )
            self.stdout.write(f"  {number}. {mark}{html_to_plain(option.label)}\n")

    def show(self, events: list[Event]) -> None:
        """Print events as a person reads them."""
        for event in events:
            if isinstance(event, MenuOffered | LanguageOffered):
                self._print(event.text)
                self._options(event.options)
                self.menu = event.options
                continue
            if isinstance(event, QuestionAsked | ConfirmationRequested):
                self.menu = ()
            if isinstance(event, MessageCreated | Notice | StaleInputIgnored):
                self._print(event.text)
            elif isinstance(event, QuestionAsked):
                self._print(f"\n{event.text}")
                if event.kind not in VALUE_LABEL_KINDS:
                    # Scores are typed as numbers (the hint says how): numbering their buttons
                    # would offer "15 answers" for three scores.
                    self._options(event.options, event.selected if event.multiple else ())
                hint = html_to_plain(event.hint).replace("\n", "\n    ")
                self.stdout.write(f"  › {hint}\n")
            elif isinstance(event, AnswerRejected):
                self._print(f"⚠ {event.reason}")
            elif isinstance(event, ConfirmationRequested):
                self._print(event.text)
                self.stdout.write(f"  1. {event.yes_label}\n  2. {event.no_label}\n")
            elif isinstance(event, SelectionChanged):
                self.stdout.write(f"  ✔ {', '.join(event.selected) or '—'}\n")
            elif isinstance(event, RunCompleted | RunCancelled | RunExpired) and event.text:
                self._print(event.text)
            elif isinstance(event, FileOffered | ImageOffered):
                path = self.files_dir / event.filename
                path.write_bytes(event.content)
                self.stdout.write(f"  📎 {event.filename} → {path}\n")
        self.stdout.flush()
