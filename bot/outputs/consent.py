"""Third parties named in answers: what may leave the bot, and what is withheld.

Hero nominations (Sustainable Municipality Week) name other people — a teacher, a
cooperative, a neighbour. `redact_answers` and `consented_heroes` keep only what was nominated
with recorded consent, for every export and report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

WITHHELD = "[withheld: no consent]"
"""What an export shows instead of a hero's name or story nominated without consent."""


@dataclass(frozen=True)
class ConsentRule:
    """Answers of a flow that name third parties, and the answer recording their consent.

    Attributes:
        consent: the yes/no step recording consent for the current record.
        personal: steps whose answers identify the third party (name, story).
        lists: collect steps whose answer is a list of records, each with its own consent.
    """

    consent: str
    personal: tuple[str, ...]
    lists: tuple[str, ...] = ()


CONSENT_RULES: dict[str, ConsentRule] = {
    "municipality_week": ConsentRule("hero_consent", ("hero_name", "hero_what"), ("hero_keep",)),
}


# --- consent -------------------------------------------------------------------------------------


def consented_heroes(heroes: Any) -> list[dict[str, Any]]:
    """Keep the hero records with recorded consent; drop the others.

    A record is ``{hero_name, hero_kind, hero_what, hero_sdgs, hero_consent}``.
    """
    if not isinstance(heroes, list):
        return []
    return [dict(h) for h in heroes if isinstance(h, Mapping) and h.get("hero_consent") is True]


def redact_answers(
    flow_id: str, answers: Mapping[str, Any], displays: Mapping[str, str | None] | None = None
) -> tuple[dict[str, Any], dict[str, str | None]]:
    """Hide third parties' personal data given without consent, before it leaves the bot.

    Args:
        flow_id: the flow the answers belong to (only flows in `CONSENT_RULES` change).
        answers: ``{step_id: value}``.
        displays: ``{step_id: label}``, if any.

    Returns:
        Copies of ``answers`` and ``displays`` where each personal answer without consent, and
        the personal fields of each list record without consent, read `WITHHELD`.
    """
    values, labels = dict(answers), dict(displays or {})
    rule = CONSENT_RULES.get(flow_id)
    if rule is None:
        return values, labels
    if values.get(rule.consent) is not True:
        for step in rule.personal:
            if values.get(step) is not None:
                values[step] = WITHHELD
                labels[step] = WITHHELD
    for step in rule.lists:
        records = values.get(step)
        if not isinstance(records, list):
            continue
        cleaned = []
        for record in records:
            if isinstance(record, Mapping) and record.get(rule.consent) is not True:
                record = {
                    k: (WITHHELD if k in rule.personal and v is not None else v)
                    for k, v in record.items()
                }
            cleaned.append(record)
        values[step] = cleaned
    return values, labels
