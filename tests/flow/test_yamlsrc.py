"""YAML reading keeps the line of every key and item; errors say `file:line`."""

from __future__ import annotations

import pytest

from bot.flow.errors import FlowError, FlowIssue
from bot.flow.yamlsrc import LineDict, LineList, load_yaml

TEXT = """\
# a comment
id: demo
steps:
  - id: first
    kind: message

  - id: second
    kind: choice
    options:
      - {id: a, label: A}
      - id: b
        label: B
anchored: &anchor
  x: 1
merged:
  <<: *anchor
  y: 2
"""


def test_lines_of_keys_and_items() -> None:
    data = load_yaml(TEXT, "f.yaml")
    assert isinstance(data, LineDict)
    assert data.line == 2
    assert data.line_of("id") == 2
    assert data.line_of("steps") == 3
    steps = data["steps"]
    assert isinstance(steps, LineList)
    assert [steps.line_of(0), steps.line_of(1)] == [4, 7]
    assert steps[1].line_of("kind") == 8
    options = steps[1]["options"]
    assert [options.line_of(0), options.line_of(1)] == [10, 11]
    assert options[1].line_of("label") == 12


def test_missing_keys_and_items_fall_back_to_the_container_line() -> None:
    data = load_yaml(TEXT, "f.yaml")
    assert data["steps"][0].line_of("text") == 4
    assert data["steps"].line_of(9) == data["steps"].line


def test_merge_keys_are_flattened() -> None:
    data = load_yaml(TEXT, "f.yaml")
    assert dict(data["merged"]) == {"x": 1, "y": 2}


def test_scalars_and_key_types() -> None:
    data = load_yaml("1: one\ntrue: yes\n2.5: x\n", "f.yaml")
    assert dict(data) == {"1": "one", "true": "yes", "2.5": "x"}
    assert load_yaml("", "f.yaml") is None
    assert load_yaml("just text", "f.yaml") == "just text"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("id: a\nsteps:\n  - id: b\n   kind: x\n", 4, "YAML syntax error"),
        ("a: [1, 2\nb: 3\n", 2, "YAML syntax error"),
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a'"),
        ("a:\n  - {x: 1, x: 2}\n", 2, "duplicate key 'x'"),
        ("? [1, 2]\n: v\n", 1, "a key must be a word"),
        ("a: !!python/object:os.system x\n", 1, "YAML"),
    ],
)
def test_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(FlowError) as info:
        load_yaml(text, "flows/x.yaml")
    (issue,) = info.value.issues
    assert (issue.file, issue.line) == ("flows/x.yaml", line)
    assert message in issue.message
    assert str(issue).startswith(f"flows/x.yaml:{line}: ")


def test_flow_error_sorts_and_joins_issues() -> None:
    error = FlowError(
        [FlowIssue("b.yaml", 1, "late"), FlowIssue("a.yaml", 9, "x"), FlowIssue("a.yaml", 2, "y")]
    )
    assert str(error) == "a.yaml:2: y\na.yaml:9: x\nb.yaml:1: late"


def test_only_true_and_false_are_booleans() -> None:
    # YAML 1.1 reads no/yes/on/off as booleans: a Spanish synonym "no" became False.
    data = load_yaml("es: [nadie, no]\nen: [yes, On, off]\nflags: [true, False, TRUE]\n", "f")
    assert dict(data) == {
        "es": ["nadie", "no"],
        "en": ["yes", "On", "off"],
        "flags": [True, False, True],
    }
