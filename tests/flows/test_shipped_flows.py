"""The shipped flows: all four languages, translations reviewed since their source last changed."""

from __future__ import annotations

import pytest

from bot.flow.glossary import glossary_issues
from bot.flow.translations import _read_lock, lock_entries, lock_path, stale_translations
from bot.i18n import LANGUAGES
from tests.helpers import catalogue, make_flow, shipped_flow, shipped_flow_ids

FLOWS = shipped_flow_ids()


def test_the_four_mission_flows_and_onboarding_ship() -> None:
    assert {
        "onboarding",
        "sdg_assessment",
        "post2030",
        "municipality_week",
        "partnership_checkin",
    } <= set(FLOWS)


@pytest.mark.parametrize("flow_id", FLOWS)
def test_every_flow_speaks_the_four_languages(flow_id: str) -> None:
    assert set(shipped_flow(flow_id).languages) == set(LANGUAGES)


@pytest.mark.parametrize("flow_id", FLOWS)
def test_no_translation_is_stale_and_every_text_is_locked(flow_id: str) -> None:
    flow = shipped_flow(flow_id)
    assert stale_translations(flow) == []
    locked = _read_lock(lock_path(flow)).get(flow.id, {})
    missing = set(lock_entries(flow)) - set(locked)
    assert not missing, f"run `sdgbot flows lock` after reviewing: {sorted(missing)[:5]}"


@pytest.mark.parametrize("flow_id", FLOWS)
def test_key_terms_follow_the_glossary(flow_id: str) -> None:
    assert glossary_issues(shipped_flow(flow_id), catalogue().glossary) == []


def test_a_translation_off_the_glossary_is_reported() -> None:
    flow = make_flow("""
id: g
version: 1
title: {fr: Jumelage, nl: Stedenband, es: Hermanamiento, en: Twinning}
languages: [fr, nl, es, en]
source_language: fr
steps:
  - id: a
    kind: yesno
    text:
      fr: Votre jumelage est-il actif ?
      nl: Is uw verbroedering actief?
      es: ¿Su hermanamiento está activo?
      en: Is your twinning active?
""")
    issues = glossary_issues(flow, catalogue().glossary)
    assert len(issues) == 1 and "'stedenband'" in issues[0].message
