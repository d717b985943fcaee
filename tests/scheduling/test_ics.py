"""The .ics file: valid lines (CRLF, folding at 75 octets), escaping, alarms, stable UIDs."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.scheduling.deadlines import occurrences, parse
from bot.scheduling.ics import calendar, escape_text, fold


def test_calendar_of_two_occurrences() -> None:
    deadline, _ = parse(
        {
            "id": "fin",
            "title": {"fr": "Rapport financier, annuel; v2", "en": "Financial report"},
            "description": {
                "fr": "Pièces justificatives — " + "é" * 80,
                "en": "Supporting documents",
            },
            "due": "2027-06-30",
            "every": "yearly",
            "offsets": [30, 0],
        }
    )
    assert deadline is not None
    found = occurrences(deadline, date(2027, 1, 1), date(2028, 12, 31))
    content = calendar(found, "fr", datetime(2027, 1, 5, 9, 30, tzinfo=UTC))
    text = content.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 2
    assert "UID:fin-2027-06-30@sdgbot" in text and "UID:fin-2028-06-30@sdgbot" in text
    assert "DTSTART;VALUE=DATE:20270630\r\nDTEND;VALUE=DATE:20270701" in text
    assert "SUMMARY:Rapport financier\\, annuel\\; v2" in text
    assert "TRIGGER:-P30D" in text and "TRIGGER:PT9H" in text
    assert "DTSTAMP:20270105T093000Z" in text
    for line in content.split(b"\r\n"):
        assert len(line) <= 75
    unfolded = text.replace("\r\n ", "")
    assert "DESCRIPTION:Pièces justificatives — " + "é" * 80 in unfolded


def test_escaping_and_folding() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    assert fold("short") == "short"
    folded = fold("X" * 200)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "X" * 200
