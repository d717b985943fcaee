"""Turn a `Reply`'s events into outgoing messages: HTML text, optional buttons, edits, files.

Channel-neutral: Telegram sends the HTML with an inline keyboard; the console prints
`bot.i18n.html_to_plain(text)` and ignores buttons and edits. Everything a flow can ask is also
answerable by typing, so every option is numbered (or otherwise spelled out) in the text.

Button data (at most 64 bytes on Telegram) is short and parsed back by `parse_button`:

* `q:<run_id>:<seq>:<option_id>` — an option of the question asked as number `seq`;
* `s:<run_id>:<seq>` — the "done" button of a multi-select question;
* anything else (`f:…`, `l:…`, `c:…`) — a service tap, passed on as `Tap(data)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.flow.events import (
    AnswerRecorded,
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
from bot.flow.state import OptionInput, SubmitInput
from bot.i18n import Messages, escape, html_to_plain
from bot.messages import (
    ChartOffered,
    FileOffered,
    ImageOffered,
    LanguageOffered,
    MenuOffered,
    Notice,
    Reply,
    Tap,
)

BUTTON_DATA_LIMIT = 64
"""Telegram's limit on callback data, in UTF-8 bytes."""
TEXT_LIMIT = 4000
"""Where long texts are split: below Telegram's 4096, leaving room for re-opened tags."""
CAPTION_LIMIT = 1000
"""Captions longer than this (Telegram: 1024) go in a message of their own."""
BUTTON_LIMIT = 100
LABEL_LIMIT = 60
SELECTED_MARK = "✅ "
CONFIRM_YES, CONFIRM_NO, BACK, SKIP = "~y", "~n", "~back", "~skip"
# Kinds whose option labels are values ("0".."4", "3. Good health"): numbering them by
# position would contradict what typing a number means for them.
VALUE_LABEL_KINDS = frozenset({"scale", "ratings"})
SELF_NUMBERED_KINDS = frozenset({"sdg"})


@dataclass(frozen=True)
class Button:
    """One button: what it says and the data a tap sends back."""

    label: str
    data: str


@dataclass(frozen=True)
class Edit:
    """Change the message whose button was just tapped, instead of sending a new one.

    `answer` set: the question was answered — show the answer under it and remove its keyboard.
    `selected` set: a multi-select toggle — re-mark the keyboard's options of question `seq`.
    Channels without buttons ignore edits.
    """

    answer: str | None = None
    selected: tuple[str, ...] | None = None
    seq: int = 0


@dataclass(frozen=True)
class Attachment:
    """A file or picture to send; the message's `text` is its caption."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"
    is_image: bool = False


@dataclass
class OutMessage:
    """One message to send (or an edit, or a file).

    Attributes:
        text: HTML (Telegram's subset); empty only for edits.
        buttons: inline keyboard rows, None for none (always None in lite mode).
        edit_of: set when this is an edit of the tapped message rather than a new message.
        attachment: a file or image, `text` being its caption.
        numbered: the data of the service options numbered in the text (menus, language
            picker), in order, so a channel can turn a typed "2" into the second tap.
    """

    text: str = ""
    buttons: list[list[Button]] | None = None
    edit_of: Edit | None = None
    attachment: Attachment | None = None
    numbered: tuple[str, ...] = ()


def button_data(run_id: int | None, seq: int, option_id: str) -> str:
    """The data of an option button of question `seq` of run `run_id`."""
    return f"q:{run_id or 0}:{seq}:{option_id}"


def submit_data(run_id: int | None, seq: int) -> str:
    """The data of the "done" button of a multi-select question."""
    return f"s:{run_id or 0}:{seq}"


def parse_button(data: str) -> tuple[OptionInput | SubmitInput | Tap, int | None] | None:
    """Read button data back into an input and the run it belongs to (None: not ours)."""
    kind, sep, rest = data.partition(":")
    if not sep:
        return None
    if kind == "q":
        run, _, tail = rest.partition(":")
        seq, sep2, option_id = tail.partition(":")
        if not (run.isdigit() and seq.isdigit() and sep2 and option_id):
            return None
        return OptionInput(int(seq), option_id), int(run) or None
    if kind == "s":
        run, _, seq = rest.partition(":")
        if not (run.isdigit() and seq.isdigit()):
            return None
        return SubmitInput(int(seq)), int(run) or None
    if kind in {"f", "l", "c", "g"} and rest:  # g: a result chart (`chart_data`)
        return Tap(data), None
    return None


def fits(data: str) -> bool:
    """Whether button data is within Telegram's 64 bytes."""
    return 0 < len(data.encode("utf-8")) <= BUTTON_DATA_LIMIT


def chart_data(run_id: int) -> str:
    """The service tap asking for a run's result chart."""
    return f"g:{run_id}"


def _label(text: str) -> str:
    plain = " ".join(html_to_plain(text).split())
    return plain if len(plain) <= LABEL_LIMIT else plain[: LABEL_LIMIT - 1].rstrip() + "…"


def _rows(buttons: Sequence[Button], grid: int) -> list[list[Button]]:
    if grid <= 0:
        longest = max((len(b.label) for b in buttons), default=0)
        grid = 1 if longest > 22 else 2 if longest > 10 else 3
    grid = min(grid, 8)
    rows = -(-len(buttons) // grid)
    per_row = -(-len(buttons) // rows)  # balanced rows: 2 + 2 rather than 3 + 1
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def mark_selection(
    rows: Iterable[Iterable[Button]], selected: Iterable[str], seq: int
) -> list[list[Button]]:
    """Re-mark the option buttons of question `seq`: ✅ on the selected ones only."""
    chosen = set(selected)
    marked: list[list[Button]] = []
    for row in rows:
        new_row = []
        for button in row:
            parsed = parse_button(button.data)
            option = parsed[0] if parsed else None
            label = button.label
            if isinstance(option, OptionInput) and option.seq == seq:
                label = label.removeprefix(SELECTED_MARK)
                if option.option_id in chosen:
                    label = SELECTED_MARK + label
            new_row.append(Button(label, button.data))
        marked.append(new_row)
    return marked


def _numbered(options: Sequence[Option]) -> str:
    return "\n".join(f"{i}. {o.label}" for i, o in enumerate(options, start=1))


class _Builder:
    """Accumulates text blocks; a keyboard or a file closes the current message."""

    def __init__(self, lite: bool) -> None:
        self.lite = lite
        self.parts: list[str] = []
        self.out: list[OutMessage] = []

    def text(self, text: str) -> None:
        if text.strip():
            self.parts.append(text.strip())

    def flush(
        self, buttons: list[list[Button]] | None = None, numbered: tuple[str, ...] = ()
    ) -> None:
        if not self.parts:
            return
        pieces = split_html("\n\n".join(self.parts))
        self.parts = []
        for piece in pieces[:-1]:
            self.out.append(OutMessage(piece))
        keyboard = None if self.lite or not buttons else buttons
        self.out.append(OutMessage(pieces[-1], keyboard, numbered=numbered))

    def add(self, message: OutMessage) -> None:
        self.flush()
        self.out.append(message)


def render(reply: Reply, messages: Messages) -> list[OutMessage]:
    """The messages for a reply (nothing for a duplicate update)."""
    if reply.duplicate:
        return []
    return render_events(
        reply.events, lang=reply.lang, lite=reply.lite, run_id=reply.run_id, messages=messages
    )


def render_events(
    events: Iterable[Event], *, lang: str, lite: bool, run_id: int | None, messages: Messages
) -> list[OutMessage]:
    """Render events in order, merging consecutive texts into one message per step."""
    b = _Builder(lite)
    for event in events:
        if isinstance(event, QuestionAsked):
            b.text(_question_text(event))
            b.flush(_question_buttons(event, run_id, lang, messages))
        elif isinstance(event, ConfirmationRequested):
            text = event.text
            if lite:
                text += f"\n<i>{event.yes_label} / {event.no_label}</i>"
            b.text(text)
            row = [
                Button(_label(event.yes_label), button_data(run_id, event.seq, CONFIRM_YES)),
                Button(_label(event.no_label), button_data(run_id, event.seq, CONFIRM_NO)),
            ]
            b.flush([row])
        elif isinstance(event, MenuOffered | LanguageOffered):
            usable = [o for o in event.options if fits(o.id)]
            b.text(f"{event.text}\n\n{_numbered(usable)}" if usable else event.text)
            buttons = [Button(_label(o.label), o.id) for o in usable]
            b.flush(_rows(buttons, 0) if buttons else None, tuple(o.id for o in usable))
        elif isinstance(event, AnswerRecorded):
            if not lite:
                b.add(OutMessage(edit_of=Edit(answer=event.display)))
        elif isinstance(event, SelectionChanged):
            if not lite:
                b.add(OutMessage(edit_of=Edit(selected=event.selected, seq=event.seq)))
        elif isinstance(event, ChartOffered):
            if not lite and fits(chart_data(event.run_id)):
                if not b.parts:
                    b.text(escape(html_to_plain(event.label)))
                b.flush([[Button(_label(event.label), chart_data(event.run_id))]])
        elif isinstance(event, FileOffered | ImageOffered):
            _attach(b, event)
        elif isinstance(event, MessageCreated | Notice | StaleInputIgnored | AnswerRejected):
            b.text(event.reason if isinstance(event, AnswerRejected) else event.text)
        elif isinstance(event, RunCompleted | RunCancelled | RunExpired):
            b.text(event.text)
        # WentBack and unknown events show nothing: the next question says it all.
    b.flush()
    return b.out


def _attach(b: _Builder, event: FileOffered | ImageOffered) -> None:
    image = isinstance(event, ImageOffered)
    mime = "image/png" if isinstance(event, ImageOffered) else event.mime_type
    caption = event.caption.strip()
    if len(caption) > CAPTION_LIMIT:
        b.text(caption)
        caption = ""
    b.add(OutMessage(caption, attachment=Attachment(event.filename, event.content, mime, image)))


def _question_text(event: QuestionAsked) -> str:
    parts = [event.text.strip()]
    if event.options and event.kind not in VALUE_LABEL_KINDS:
        if event.kind in SELF_NUMBERED_KINDS:
            parts.append("\n".join(o.label for o in event.options))
        else:
            parts.append(_numbered(event.options))
    if event.hint.strip():
        parts.append(f"<i>{event.hint.strip()}</i>")
    return "\n\n".join(p for p in parts if p)


def _question_buttons(
    event: QuestionAsked, run_id: int | None, lang: str, messages: Messages
) -> list[list[Button]] | None:
    buttons = [
        Button(
            (SELECTED_MARK if o.id in event.selected else "") + _label(o.label),
            button_data(run_id, event.seq, o.id),
        )
        for o in event.options
    ]
    buttons = [b for b in buttons if fits(b.data)]
    extra: list[list[Button]] = []
    if event.multiple and buttons:
        done = event.done_label or messages.get("done_label", lang)
        extra.append([Button(_label(done), submit_data(run_id, event.seq))])
    nav: list[Button] = []
    if event.can_go_back:
        back = messages.get("back_label", lang)
        nav.append(Button(_label(back), button_data(run_id, event.seq, BACK)))
    if event.optional:
        skip = messages.get("skip_label", lang)
        nav.append(Button(_label(skip), button_data(run_id, event.seq, SKIP)))
    if nav:
        extra.append(nav)
    if len(buttons) + len(extra) > BUTTON_LIMIT:
        buttons = []  # too many to show: the numbered text still answers by typing
    rows = _rows(buttons, event.grid) if buttons else []
    rows.extend(extra)
    return rows or None


# --- splitting long HTML ------------------------------------------------------------------------

_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


def _open_tags(text: str, stack: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The tags (name, as written) still open after `text`, given those open before it."""
    stack = list(stack)
    for match in _TAG.finditer(text):
        closing, name = match.group(1), match.group(2).lower()
        if not closing:
            stack.append((name, match.group(0)))
            continue
        for i in range(len(stack) - 1, -1, -1):
            if stack[i][0] == name:
                del stack[i:]
                break
    return stack


def _closing(stack: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _cut(text: str, limit: int) -> int:
    """Where to cut `text`, at most `limit` characters in.

    At a paragraph, a line or a space, else anywhere that is not inside a tag or an entity.
    """
    window = text[:limit]
    for separator in ("\n\n", "\n", " "):
        index = window.rfind(separator)
        if index > limit // 3:
            return index + len(separator)
    index = limit
    last_lt, last_gt = window.rfind("<"), window.rfind(">")
    if last_lt > last_gt:
        index = last_lt
    last_amp, last_semi = window.rfind("&"), window.rfind(";")
    if last_amp > last_semi and last_amp < index:
        index = last_amp
    return max(index, 1)


def split_html(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split HTML into pieces of at most `limit` characters, on paragraph or line boundaries.

    Tags still open at the end of a piece are closed there and re-opened in the next piece.
    """
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    stack: list[tuple[str, str]] = []
    rest = text
    while rest:
        prefix = "".join(tag for _, tag in stack)
        room = limit - len(prefix) - 40  # leave room for the closing tags
        if len(rest) <= room:
            pieces.append(prefix + rest)
            break
        cut = _cut(rest, room)
        chunk, rest = rest[:cut], rest[cut:].lstrip("\n")
        after = _open_tags(chunk, stack)
        piece = (prefix + chunk.rstrip() + _closing(after)).strip()
        if html_to_plain(piece).strip():
            pieces.append(piece)
        stack = after
    return pieces


__all__ = [
    "BUTTON_DATA_LIMIT",
    "Attachment",
    "Button",
    "Edit",
    "OutMessage",
    "button_data",
    "chart_data",
    "fits",
    "mark_selection",
    "parse_button",
    "render",
    "render_events",
    "split_html",
    "submit_data",
]
