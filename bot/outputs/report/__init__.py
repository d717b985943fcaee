"""`sdgbot report`: a self-contained HTML report for the programme's coordinators.

Sections: self-assessment profiles per municipality (radar charts), an SDG-priority heat map
across municipalities, partnership health with both sides' scores and their divergences,
Sustainable Municipality Week heroes per goal (only those nominated with consent), reminder
status per deadline, and drop-off per question for each flow. Charts are matplotlib PNGs embedded
as base64, so ``report.html`` is one file that can be mailed or archived.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.flow.catalogue import Catalogue
from bot.flow_library import FlowLibrary
from bot.outputs.report.data import ReportData, collect
from bot.outputs.report.html import render
from bot.outputs.report.labels import Labels
from bot.storage.store import Store

REPORT_FILE = "report.html"

__all__ = ["REPORT_FILE", "ReportData", "build_report", "collect", "render"]


async def build_report(
    store: Store,
    catalogue: Catalogue,
    library: FlowLibrary,
    out_dir: Path,
    *,
    lang: str,
    now: datetime,
    since: datetime | None = None,
) -> Path:
    """Collect the data, draw the charts and write ``out_dir/report.html``.

    Args:
        store: the database.
        catalogue: the content (messages, SDGs, countries).
        library: the flows (for titles, questions and labels).
        out_dir: where to write (created if missing).
        lang: the report's language.
        now: when the report is made (shown on it).
        since: only runs updated since then (default: all).

    Returns:
        The path of the written report.
    """
    data = await collect(store, now, since)
    page = render(data, Labels(lang, catalogue, library), catalogue)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / REPORT_FILE
    target.write_text(page, encoding="utf-8")
    return target
