"""Translation locks: a translation whose source text changed after locking is reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from bot.flow.catalogue import Catalogue
from bot.flow.loader import load_flow_file
from bot.flow.translations import (
    LOCK_NAME,
    fingerprint,
    flow_texts,
    lock_entries,
    stale_translations,
    write_lock,
)
from tests.helpers import FLOWS_DIR

FLOW = """\
id: tr
version: 1
languages: [fr, en]
source_language: fr
title: {fr: Essai, en: Test}
texts:
  bye: {fr: Au revoir, en: Goodbye}
steps:
  - id: ask
    kind: choice
    text:
      fr: Quelle couleur ?
      en: Which colour?
    options:
      - {id: red, label: {fr: Rouge, en: Red}}
      - {id: blue, label: Blue}
"""


def _write(folder: Path, text: str) -> Path:
    path = folder / "tr.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_fingerprints_ignore_whitespace() -> None:
    assert fingerprint("Quelle  couleur ?\n") == fingerprint("Quelle couleur ?")
    assert fingerprint("Quelle couleur ?") != fingerprint("Quelle couleur !")


def test_locations_and_entries(tmp_path: Path, catalogue: Catalogue) -> None:
    flow = load_flow_file(_write(tmp_path, FLOW), catalogue)
    assert [name for name, _ in flow_texts(flow)] == [
        "title",
        "texts.bye",
        "ask.0",
        "ask.1",
        "ask.2",
    ]
    entries = lock_entries(flow)
    assert set(entries) == {"title", "texts.bye", "ask.0", "ask.1"}  # "Blue" is neutral
    assert entries["ask.0"] == {"en": fingerprint("Quelle couleur ?")}


def test_lock_then_edit_the_source(tmp_path: Path, catalogue: Catalogue) -> None:
    path = _write(tmp_path, FLOW)
    flow = load_flow_file(path, catalogue)
    assert stale_translations(flow) == []  # nothing locked yet: nothing to report
    (written,) = write_lock([flow])
    assert written == tmp_path / LOCK_NAME
    assert yaml.safe_load(written.read_text(encoding="utf-8"))["tr"]["ask.0"]["en"]
    assert stale_translations(flow) == []

    edited = load_flow_file(
        _write(tmp_path, FLOW.replace("Quelle couleur ?", "Quelle couleur préférez-vous ?")),
        catalogue,
    )
    (issue,) = stale_translations(edited)
    assert issue.line == 11  # the line of the text
    assert "the en translation of ask.0 is stale" in issue.message
    assert "`sdgbot flows lock`" in str(issue)

    write_lock([edited])
    assert stale_translations(edited) == []


def test_only_the_source_language_matters(tmp_path: Path, catalogue: Catalogue) -> None:
    flow = load_flow_file(_write(tmp_path, FLOW), catalogue)
    write_lock([flow])
    retranslated = load_flow_file(
        _write(tmp_path, FLOW.replace("Which colour?", "What colour?")), catalogue
    )
    assert stale_translations(retranslated) == []


def test_locks_of_several_flows_share_the_file(tmp_path: Path, catalogue: Catalogue) -> None:
    for name in ("onboarding", "demo"):
        shutil.copy(FLOWS_DIR / f"{name}.yaml", tmp_path / f"{name}.yaml")
    flows = [load_flow_file(tmp_path / f"{n}.yaml", catalogue) for n in ("onboarding", "demo")]
    write_lock(flows[:1])
    write_lock(flows[1:])
    data = yaml.safe_load((tmp_path / LOCK_NAME).read_text(encoding="utf-8"))
    assert set(data) == {"onboarding", "demo"}
    assert all(stale_translations(flow) == [] for flow in flows)
