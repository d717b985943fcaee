"""Stale translations: a translation made from a source text that has changed since.

`sdgbot flows lock` records, for every text of a flow, a fingerprint of the source-language text
each translation was made from (in `translations.lock` beside the flow files). `sdgbot flows
validate` then reports a translation whose source text changed afterwards, so translators know
exactly what to review.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from bot.flow.definition import Flow, LText
from bot.flow.errors import FlowIssue

LOCK_NAME = "translations.lock"


def fingerprint(text: str) -> str:
    """A short hash of a source text (whitespace-insensitive)."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:10]


def flow_texts(flow: Flow) -> Iterator[tuple[str, LText]]:
    """Every translatable text of a flow with a stable location name."""
    yield "title", flow.title
    if flow.description is not None:
        yield "description", flow.description
    for name, text in flow.texts.items():
        yield f"texts.{name}", text
    for step_id in flow.order:
        for index, text in enumerate(flow.steps[step_id].texts()):
            yield f"{step_id}.{index}", text


def lock_path(flow: Flow) -> Path:
    """Where the lock of a flow file lives."""
    return Path(flow.file).parent / LOCK_NAME


def _read_lock(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def lock_entries(flow: Flow) -> dict[str, dict[str, str]]:
    """The fingerprints of the current source texts, per location and translated language."""
    entries: dict[str, dict[str, str]] = {}
    for location, text in flow_texts(flow):
        source = text.source.texts.get(flow.source_language)
        if text.source.neutral is not None or not source:
            continue
        entries[location] = {
            lang: fingerprint(source) for lang in text.source.texts if lang != flow.source_language
        }
    return entries


def stale_translations(flow: Flow) -> list[FlowIssue]:
    """Translations whose source text changed since they were locked."""
    recorded = _read_lock(lock_path(flow)).get(flow.id, {})
    issues: list[FlowIssue] = []
    current = lock_entries(flow)
    texts = dict(flow_texts(flow))
    for location, languages in current.items():
        locked = recorded.get(location) or {}
        for lang, print_ in languages.items():
            if lang in locked and locked[lang] != print_:
                issues.append(
                    FlowIssue(
                        flow.file,
                        texts[location].line,
                        f"the {lang} translation of {location} is stale: the "
                        f"{flow.source_language} text changed since it was translated (update it, "
                        f"then run "
                        f"`sdgbot flows lock`)",
                    )
                )
    return issues


def write_lock(flows: list[Flow]) -> list[Path]:
    """Record the current translations as up to date; returns the lock files written."""
    by_lock: dict[Path, list[Flow]] = {}
    for flow in flows:
        by_lock.setdefault(lock_path(flow), []).append(flow)
    written = []
    for path, group in by_lock.items():
        data = _read_lock(path)
        for flow in group:
            data[flow.id] = lock_entries(flow)
        header = (
            "# Fingerprints of the source text each translation was made from.\n"
            "# Written by `sdgbot flows lock`; checked by `sdgbot flows validate`.\n"
        )
        path.write_text(
            header + yaml.safe_dump(data, sort_keys=True, allow_unicode=True), encoding="utf-8"
        )
        written.append(path)
    return written
