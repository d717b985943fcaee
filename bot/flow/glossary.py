"""Glossary consistency: a key term in a flow's source text is translated with the glossary's word.

`content/glossary.yaml` fixes how terms such as twinning / jumelage / stedenband /
hermanamiento are said in each language. When the source-language text of a flow uses a
term, every translation of that text must use the glossary's word for it (or one of its
accepted variants, written "a / b" in the glossary). Reported by `sdgbot flows validate`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bot.flow.definition import Flow
from bot.flow.errors import FlowIssue
from bot.flow.translations import flow_texts
from bot.i18n import Localized
from bot.text import fold

CHECKED_TERMS = ("twinning", "voluntary_local_review", "multi_year_plan")
"""Terms whose wording is checked (the ones officials and reports must recognise at once)."""


def _variants(term: str) -> list[str]:
    """Split "municipio socio / municipio hermano (X)" into the words to look for, folded."""
    out = []
    for variant in term.split(" / "):
        out += [fold(abbreviation) for abbreviation in re.findall(r"\((.*?)\)", variant)]
        variant = re.sub(r"\s*\(.*?\)", "", variant).strip()
        if variant:
            out.append(fold(variant))
    return out


def glossary_issues(
    flow: Flow, glossary: Mapping[str, Localized], terms: Iterable[str] = CHECKED_TERMS
) -> list[FlowIssue]:
    """Translations that do not use the glossary's word where their source text does."""
    issues: list[FlowIssue] = []
    source = flow.source_language
    for location, text in flow_texts(flow):
        if text.source.neutral is not None:
            continue
        original = fold(text.source.texts.get(source, ""))
        for term_id in terms:
            entry = glossary.get(term_id)
            if entry is None or not any(v in original for v in _variants(entry.get(source))):
                continue
            for lang, translated in text.source.texts.items():
                if lang == source:
                    continue
                wanted = _variants(entry.texts.get(lang, ""))
                if wanted and not any(v in fold(translated) for v in wanted):
                    issues.append(
                        FlowIssue(
                            flow.file,
                            text.line,
                            f"{location}: the {lang} text should say {entry.get(lang)!r} "
                            f"(glossary term {term_id!r})",
                        )
                    )
    return issues
