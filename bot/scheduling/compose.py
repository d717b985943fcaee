"""What a scheduled message says: reminders, nudges and broadcasts in the recipient's language.

Rendered when the message goes out, not when it was planned, so a user who changed language or
time zone meanwhile gets it right. Buttons carry the service's taps: ``c:rdone <row>`` and
``c:rsnooze <row>`` (the outbox row names the deadline and occurrence), ``f:<flow>`` to start or
continue a flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.formatting import format_date
from bot.i18n import Localized, Messages, escape
from bot.scheduling.deadlines import Deadline
from bot.scheduling.timing import days_left, zone
from bot.scheduling.transport import Buttons
from bot.storage.models import Broadcast, OutboxItem, User


def when_text(due: date, now: datetime, tz_name: str | None, lang: str, messages: Messages) -> str:
    """When it is due, from the recipient's today: "Due today / tomorrow / on 30 June…"."""
    left = days_left(due, now, zone(tz_name))
    shown = format_date(due, lang)  # "30 juin 2027", "30 de junio de 2027" (Babel)
    if left < 0:
        return messages.get("rem_due_past", lang, date=shown)
    if left == 0:
        return messages.get("rem_due_today", lang, date=shown)
    if left == 1:
        return messages.get("rem_due_tomorrow", lang, date=shown)
    return messages.get("rem_due_in", lang, date=shown, days=left)


def user_language(user: User, default: str) -> str:
    """The language to write to ``user`` in."""
    return user.language or default


@dataclass(frozen=True)
class Rendered:
    """A message ready for `Transport.send`."""

    text: str
    buttons: Buttons | None


class Composer:
    """Renders outbox rows (see the module docstring).

    Args:
        messages: the system messages (``content/messages/reminders.yaml``).
        default_language: for users who never chose one.
        flow_titles: flow id → title, for nudges and "Start now".
    """

    def __init__(
        self, messages: Messages, default_language: str, flow_titles: dict[str, Localized]
    ) -> None:
        self.messages = messages
        self.default_language = default_language
        self.flow_titles = flow_titles

    def reminder(
        self,
        item: OutboxItem,
        user: User,
        deadline: Deadline,
        due: date,
        tz_name: str | None,
        now: datetime,
    ) -> Rendered:
        """A deadline reminder with Done / Remind me tomorrow / Start now."""
        lang = user_language(user, self.default_language)
        msg = self.messages
        lines = [
            msg.get("rem_reminder", lang, title=deadline.title.get(lang)),
            when_text(due, now, tz_name, lang, msg),
        ]
        if deadline.description is not None:
            lines.append(escape(deadline.description.get(lang)))
        partner = item.payload.get("partnership_name")
        if partner:
            lines.append(msg.get("rem_partnership", lang, name=partner))
        lines.append(msg.get("rem_footer", lang))
        buttons: Buttons = [
            [
                (msg.get("rem_btn_done", lang), f"c:rdone {item.id}"),
                (msg.get("rem_btn_snooze", lang), f"c:rsnooze {item.id}"),
            ]
        ]
        if deadline.flow and deadline.flow in self.flow_titles:
            buttons.append([(msg.get("rem_btn_start", lang), f"f:{deadline.flow}")])
        return Rendered("\n\n".join(lines), buttons)

    def nudge(self, item: OutboxItem, user: User) -> Rendered:
        """The one gentle nudge to continue a run left open."""
        lang = user_language(user, self.default_language)
        flow_id = str(item.payload.get("flow_id", ""))
        title = self.flow_titles.get(flow_id)
        name = title.get(lang) if title is not None else flow_id
        text = self.messages.get("nudge_text", lang, flow=name)
        return Rendered(text, [[(self.messages.get("nudge_btn", lang), f"f:{flow_id}")]])

    def broadcast(self, broadcast: Broadcast, user: User) -> Rendered:
        """A coordinators' announcement in the user's language (or the closest there is)."""
        lang = user_language(user, self.default_language)
        text = broadcast_text(broadcast.texts, lang)
        return Rendered(
            self.messages.get("bc_message", lang, text=text)
            + "\n\n"
            + self.messages.get("rem_footer", lang),
            None,
        )

    def prepared(self, item: OutboxItem, user: User) -> Rendered:
        """A message written in advance in several languages (``payload.texts``).

        Messages between the two sides of a twinning (a mirror report, a Week invitation) and
        notices about a decision (a role granted) are rendered when the answer or decision
        that triggers them is recorded; the one in the recipient's language goes out.
        """
        texts = item.payload.get("texts") or {}
        return Rendered(
            broadcast_text(dict(texts), user_language(user, self.default_language)), None
        )


def broadcast_text(texts: dict[str, Any], lang: str) -> str:
    """A broadcast's text for ``lang``: its own, else the one for everyone (``*``), else any."""
    if texts.get(lang):
        return str(texts[lang])
    if texts.get("*"):
        return str(texts["*"])
    return Localized(texts={k: str(v) for k, v in texts.items()}).get(lang)


__all__ = ["Composer", "Rendered", "broadcast_text", "user_language", "when_text"]
