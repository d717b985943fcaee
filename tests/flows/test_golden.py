"""Golden transcripts: scripted inputs through the pure engine, compared with the expected events.

Every `tests/flows/golden/<flow>/<lang>.yaml` is picked up automatically (see README.md here).
`pytest tests/flows --update-golden` rewrites the transcripts from the engine's current output.
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.flow.state import BackInput, Input, OptionInput, SubmitInput, TextInput
from tests.helpers import NOW, Talk, context_for, render, shipped_flow, shipped_flow_ids

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_FILES = sorted(GOLDEN.glob("*/*.yaml"))
GOLDEN_FLOWS = sorted({path.parent.name for path in GOLDEN_FILES})
FILE_KEYS = {"context", "now", "inputs", "transcript"}


def _input(entry: Any, seq: int, where: str) -> tuple[Input, str]:
    """An `inputs:` entry as an engine input and its transcript line."""
    if isinstance(entry, bool):
        raise AssertionError(f"{where}: {entry} is read by YAML as a boolean; quote it ('no')")
    if isinstance(entry, str | int | float):
        return TextInput(str(entry)), f"user: {entry}"
    if isinstance(entry, dict) and set(entry) <= {"tap", "stale"} and "tap" in entry:
        stale = bool(entry.get("stale"))
        option = str(entry["tap"])
        return (
            OptionInput(seq - 1 if stale else seq, option),
            f"user: [tap {option}{' (old button)' if stale else ''}]",
        )
    if entry == {"submit": True}:
        return SubmitInput(seq), "user: [done]"
    if entry == {"back": True}:
        return BackInput(), "user: [back]"
    raise AssertionError(
        f"{where}: an input is a text, {{tap: id}}, {{submit: true}} or "
        f"{{back: true}}, not {entry!r}"
    )


def _context(lang: str, extra: Any) -> dict[str, Any]:
    context = context_for(lang)
    if isinstance(extra, dict):
        for key, value in extra.items():
            if key == "user" and isinstance(value, dict):
                context["user"] = {**context["user"], **value}
            else:
                context[key] = value
    return context


def play(flow_id: str, lang: str, data: dict[str, Any], where: str) -> list[str]:
    """Run the scripted inputs and return the transcript lines."""
    now = data.get("now") or NOW
    if isinstance(now, str):
        now = datetime.fromisoformat(now)
    talk = Talk(shipped_flow(flow_id), lang, context=_context(lang, data.get("context")), now=now)
    lines = [line for event in talk.events for line in render(event)]
    for index, entry in enumerate(data.get("inputs") or []):
        if not talk.state.is_active:
            raise AssertionError(f"{where}: input {index + 1} ({entry!r}) comes after the end")
        inp, said = _input(entry, talk.state.seq, f"{where}: input {index + 1}")
        lines.append(said)
        lines.extend(line for event in talk.send(inp) for line in render(event))
    return lines


def rewrite(text: str, transcript: list[str]) -> str:
    """`text` with its `transcript:` replaced; everything above it is kept as written.

    Only the transcript is generated: the header, the context and the inputs keep their
    comments and layout. (Without a top-level `transcript:` key, one is appended.)
    """
    match = re.search(r"^transcript:.*$", text, re.MULTILINE)
    kept = text[: match.start()] if match else text
    if kept and not kept.endswith("\n"):
        kept += "\n"
    dumped = yaml.safe_dump(
        {"transcript": transcript}, allow_unicode=True, sort_keys=False, width=1_000_000
    )
    return kept + dumped


@pytest.mark.parametrize(
    "path", GOLDEN_FILES, ids=[f"{p.parent.name}-{p.stem}" for p in GOLDEN_FILES]
)
def test_transcript(path: Path, update_golden: bool) -> None:
    # `<lang>.yaml`, or `<lang>.<theme>.yaml` for a further script in the same language.
    flow_id, lang = path.parent.name, path.stem.split(".")[0]
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    where = str(path.relative_to(GOLDEN.parents[2]))
    assert isinstance(data, dict) and set(data) <= FILE_KEYS, f"{where}: keys are {FILE_KEYS}"
    assert lang in shipped_flow(flow_id).languages, f"{where}: {lang} is not a language of the flow"
    actual = play(flow_id, lang, data, where)
    expected = [str(line) for line in data.get("transcript") or []]
    if update_golden:
        if actual != expected:
            path.write_text(rewrite(text, actual), encoding="utf-8")
            assert yaml.safe_load(path.read_text(encoding="utf-8"))["transcript"] == actual
        return
    if actual != expected:
        diff = "\n".join(difflib.unified_diff(expected, actual, "expected", "actual", lineterm=""))
        pytest.fail(
            f"{where}: the transcript changed (run `pytest tests/flows --update-golden` "
            f"if the change is intended)\n{diff}",
            pytrace=False,
        )


@pytest.mark.parametrize("flow_id", GOLDEN_FLOWS)
def test_every_language_has_a_transcript(flow_id: str) -> None:
    assert flow_id in shipped_flow_ids(), f"golden/{flow_id}/ names no flow in flows/"
    flow = shipped_flow(flow_id)
    missing = [lang for lang in flow.languages if not (GOLDEN / flow_id / f"{lang}.yaml").is_file()]
    assert not missing, f"golden/{flow_id}/ has no transcript for {', '.join(missing)}"


def test_the_harness_finds_the_engine_teams_transcripts() -> None:
    # The demo and onboarding transcripts are written here; others add theirs beside them.
    assert {"onboarding", "demo"} <= set(GOLDEN_FLOWS)
