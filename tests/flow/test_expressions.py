"""The expression language: parsing, precedence, evaluation, safety, errors as None."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from bot.flow.builtins import BUILTINS as FUNCTIONS
from bot.flow.expressions import (
    EvalError,
    ExpressionError,
    Scope,
    evaluate,
    functions_in,
    names_in,
    parse_expression,
    tokenize,
    truthy,
)


class Names:
    """A scope over a dict, calling the registered functions."""

    def __init__(self, **names: Any) -> None:
        self.names = names
        self.calls: list[str] = []

    def lookup(self, name: str) -> Any:
        return self.names.get(name)

    def call(self, name: str, args: list[Any]) -> Any:
        self.calls.append(name)
        if name not in FUNCTIONS:
            raise EvalError(f"unknown function {name!r}")
        return FUNCTIONS[name](*args)


def ev(source: str, scope: Scope | None = None, **names: Any) -> Any:
    return evaluate(parse_expression(source), scope or Names(**names))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("2 * 3 % 4", 2),
        ("7 / 2", 3.5),
        ("-2 + 5", 3),
        ("- (2 + 3) * 2", -10),
        ("1 + 2 == 3", True),
        ("1 < 2 and 2 < 3", True),
        ("true or false and false", True),
        ("(true or false) and false", False),
        ("not 1 == 2", True),
        ("not true or true", True),
        ("not (true or true)", False),
        ("3 in [1, 2, 3]", True),
        ("4 not in [1, 2, 3]", True),
        ("not 4 in [1, 2, 3]", True),
        ("'a' if 1 > 2 else 'b'", "b"),
        ("1 + 1 if true else 0", 2),
        ("'x' if false else 'y' if true else 'z'", "y"),
        ("2 + 2 | str", "4"),
        ("[1, 2][1]", 2),
        ("[1, 2][-1]", 2),
        ("[]", []),
        ("'abc'", "abc"),
        ('"it\\"s"', 'it"s'),
        ("'Père Noël\\n'", "Père Noël\n"),
        ("'l\\'école'", "l'école"),
        ("none", None),
        ("True", True),
        ("2.5 * 2", 5.0),
    ],
)
def test_precedence_and_literals(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_names_indexing_and_attributes() -> None:
    scope = Names(d={"key": 3, "16": "sixteen", 2: "two"}, xs=[10, 20, 30], day=date(2026, 11, 22))
    assert ev("d.key", scope) == 3
    assert ev('d["key"]', scope) == 3
    assert ev("d[16]", scope) == "sixteen"  # JSON turned the key into a string: both spellings work
    assert ev('d["2"]', scope) == "two"
    assert ev("d.missing", scope) is None
    assert ev("xs[5]", scope) is None
    assert ev("xs.0", scope) == 10
    assert ev("day.year + day.month", scope) == 2037
    assert ev("missing.key.deeper", scope) is None


def test_comparisons_tolerate_types() -> None:
    assert ev("answer == 3", answer="3")  # a typed "3" equals 3, as authors expect
    assert ev("answer != 3", answer=4)
    assert ev("x == none", x=None)
    assert not ev("x == 0", x=None)
    assert ev("x < 3", x=None) is False  # no exception: a missing answer is just not smaller
    assert ev("'a' < 3") is False
    assert ev("'lo' in 'hello'")
    assert ev("16 in d", d={"16": 1})
    assert ev("'x' in none") is False


def test_arithmetic_on_text_and_lists() -> None:
    assert ev("'level_' + str(3)") == "level_3"
    assert ev("'n=' + x", x=None) == "n="
    assert ev("[1] + [2]") == [1, 2]


@pytest.mark.parametrize(
    "source",
    ["1 / 0", "5 % 0", "'a' - 1", "none + 1", "[1] * 'x'", "unknown_fn(1)", "len(5)", "-'x'"],
)
def test_failures_evaluate_to_the_default(source: str) -> None:
    assert ev(source) is None
    assert evaluate(parse_expression(source), Names(), default="fallback") == "fallback"


@pytest.mark.parametrize(
    "source",
    [
        "x.__class__",
        "x.__class__.__mro__",
        "'abc'.__class__",
        "'abc'.upper",
        "xs.append",
        "d.__getitem__",
        "day.__class__",
        "day.replace",
        "d.items",
    ],
)
def test_no_python_internals(source: str) -> None:
    scope = Names(x=object(), xs=[1], d={"a": 1}, day=date(2026, 1, 1))
    assert ev(source, scope) is None


def test_only_named_functions_can_be_called() -> None:
    with pytest.raises(ExpressionError, match="only named functions"):
        parse_expression("x.upper()")
    with pytest.raises(ExpressionError, match="only named functions"):
        parse_expression("(len)(x)")
    scope = Names()
    assert ev("eval('1')", scope) is None
    assert scope.calls == ["eval"]  # it went to the scope, which knows no such function


def test_calls_and_filters() -> None:
    assert ev("len([1, 2, 3])") == 3
    assert ev("x | bar(4)", x=2) == "▓▓▓▓░░░░"
    assert ev("x | bar(4, 4)", x=4) == "▓▓▓▓"
    assert ev("max(1, 5, 3)") == 5
    assert ev("round(mean(values(d)), 1)", d={"a": 1, "b": 2}) == 1.5


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "empty expression"),
        ("   ", "empty expression"),
        ("1 +", "unexpected 'the end'"),
        ("(1 + 2", "expected ')'"),
        ("[1, 2", "expected ']'"),
        ("a b", "unexpected 'b'"),
        ("a if b", "expected 'else'"),
        ("1 $ 2", "unexpected character '$'"),
        ("x | 3", "expected a function name"),
        ("x.(y)", "expected a name"),
        ("a not b", "unexpected 'not'"),
        ("'unterminated", "unexpected character"),
    ],
)
def test_syntax_errors(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)):
        parse_expression(source)


def test_error_offsets_point_at_the_problem() -> None:
    with pytest.raises(ExpressionError) as info:
        parse_expression("a + b $ c")
    assert info.value.offset == 5


def test_tokens() -> None:
    kinds = [(t.kind, t.value) for t in tokenize("a.b >= 2.5 and not c")]
    assert kinds == [
        ("name", "a"),
        ("op", "."),
        ("name", "b"),
        ("op", ">="),
        ("number", "2.5"),
        ("kw", "and"),
        ("kw", "not"),
        ("name", "c"),
        ("end", ""),
    ]


def test_names_and_functions_used() -> None:
    node = parse_expression("group('full')[16] + len(priorities) if user.name else display('x')")
    assert names_in(node) == {"priorities", "user"}
    assert functions_in(node) == {"group", "len", "display"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        ("", False),
        ("  ", False),
        ("0", True),
        (0, False),
        ([], False),
        ([0], True),
        ({}, False),
        (False, False),
        (2.5, True),
    ],
)
def test_truthy(value: Any, expected: bool) -> None:
    assert truthy(value) is expected


def test_deep_nesting_does_not_crash_evaluation() -> None:
    node = parse_expression("(" * 200 + "1" + ")" * 200)
    assert evaluate(node, Names()) == 1
