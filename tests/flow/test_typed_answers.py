"""The table of typed answers (typed_answers.yaml): every row read as the table expects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.flow.matching import Choice, OptionMatcher
from bot.flow.parsing import parse_date, parse_number, parse_score, parse_yesno
from bot.flow.sdgs import SdgCatalogue

HERE = Path(__file__).parent
TABLE = yaml.safe_load((HERE / "typed_answers.yaml").read_text(encoding="utf-8"))
TODAY: date = TABLE["today"]
CASES: list[dict[str, Any]] = TABLE["cases"]
MATCHERS = {
    # Like a flow's options: four labels (one per language), then synonyms.
    name: OptionMatcher(
        [Choice(str(key), tuple(map(str, labels)), labels=4) for key, labels in opts.items()]
    )
    for name, opts in TABLE["option_sets"].items()
}
SDGS = SdgCatalogue.from_data(
    yaml.safe_load((HERE.parents[1] / "content" / "sdgs.yaml").read_text(encoding="utf-8"))
)


def _refuses(case: dict[str, Any]) -> bool:
    expect = case["expect"]
    if case["kind"] == "option":
        return not str(expect).startswith("accepted")
    if isinstance(expect, dict):
        return expect["status"] != "accepted"
    return expect is None


def test_the_table_is_large_and_covers_every_kind() -> None:
    assert len(CASES) >= 150
    kinds = {case["kind"] for case in CASES}
    assert kinds == {"option", "multi", "yesno", "number", "score", "date", "sdg"}
    assert sum(_refuses(case) for case in CASES) >= 30
    for case in CASES:
        assert set(case) <= {"kind", "input", "options", "expect"}, case
        assert (case["kind"] in ("option", "multi")) == ("options" in case), case


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{i:03d}-{c['kind']}-{c['input']!s:.30}" for i, c in enumerate(CASES)]
)
def test_typed_answer(case: dict[str, Any]) -> None:
    kind, text, expect = case["kind"], str(case["input"]), case["expect"]
    if kind == "option":
        result = MATCHERS[case["options"]].match(text)
        status, _, value = str(expect).partition(" ")
        assert (result.status, result.value or "") == (status, value), result
    elif kind == "multi":
        many = MATCHERS[case["options"]].match_many(text)
        assert many.status == expect["status"], many
        for key in ("values", "unsure", "unknown"):
            if key in expect:
                assert list(getattr(many, key)) == [str(v) for v in expect[key]], many
    elif kind == "yesno":
        assert parse_yesno(text) is expect
    elif kind == "number":
        assert parse_number(text) == (None if expect is None else Decimal(expect))
    elif kind == "score":  # a score on a scale from 0 to 4, typed with its scale
        assert parse_score(text, 4) == (None if expect is None else Decimal(expect))
    elif kind == "date":
        assert parse_date(text, TODAY) == expect
    else:
        found = SDGS.match(text)
        assert found.status == expect["status"], found
        assert list(found.numbers) == expect["numbers"], found
        if "unsure" in expect:
            assert list(found.unsure) == expect["unsure"], found
