r"""An iCalendar (.ics, RFC 5545) file of deadline occurrences, for any calendar program.

Each occurrence is an all-day event on its due date with one alarm per reminder offset. Lines
end in CRLF and are folded at 75 octets, texts escaped (``\\``, ``;``, ``,``, newlines), UIDs
stable (``<deadline>-<occurrence>@sdgbot``) so importing a newer file updates events in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from bot.scheduling.deadlines import Occurrence

PRODUCT = "-//sdgbot//deadlines//EN"


def escape_text(text: str) -> str:
    """Escape a TEXT value."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = b""
    limit = 75
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > limit:
            parts.append(current.decode("utf-8"))
            current = b""
            limit = 74  # continuation lines start with a space
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def _uid(occurrence: Occurrence) -> str:
    safe = occurrence.key.replace("/", "-")
    return f"{occurrence.deadline.id}-{safe}@sdgbot"


def calendar(
    occurrences: Iterable[Occurrence],
    lang: str,
    now: datetime,
    name: str = "SDG deadlines",
    twinnings: Mapping[str, str] | None = None,
) -> bytes:
    """The .ics file (UTF-8 bytes) of ``occurrences``, titled in ``lang``.

    ``twinnings`` names each twinning by its slug ("Brasschaat – Tarija"), for the events of
    per-twinning deadlines.
    """
    names = twinnings or {}
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for occurrence in occurrences:
        deadline = occurrence.deadline
        title = deadline.title.get(lang)
        if occurrence.partnership:
            title = f"{title} ({names.get(occurrence.partnership, occurrence.partnership)})"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_uid(occurrence)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{occurrence.due.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{(occurrence.due + timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{escape_text(title)}",
            "TRANSP:TRANSPARENT",
        ]
        if deadline.description is not None:
            lines.append(f"DESCRIPTION:{escape_text(deadline.description.get(lang))}")
        for offset in deadline.offsets:
            lines += [
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                f"DESCRIPTION:{escape_text(title)}",
                f"TRIGGER:-P{offset}D" if offset else "TRIGGER:PT9H",
                "END:VALARM",
            ]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")


__all__ = ["calendar", "escape_text", "fold"]
