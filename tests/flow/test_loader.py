"""Loading and validating flow files: every problem is `file:line: message` at the right line.

The broken flows are in tests/fixtures/flows/: each marks the lines that must be reported with a
`#! <part of the message>` comment (see the README there).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.flow.catalogue import Catalogue
from bot.flow.errors import FlowError
from bot.flow.loader import flow_files, load_flow, load_flow_file, load_flows
from tests.helpers import FLOWS_DIR, make_flow

FIXTURES = Path(__file__).parents[1] / "fixtures" / "flows"
FILES = sorted(FIXTURES.glob("*.yaml"))
MARK = re.compile(r"#!\s*(.+?)\s*$")


def expected_issues(path: Path) -> list[tuple[int, str]]:
    """The `#!` marks of a fixture: (line, part of the message)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        (number, match.group(1))
        for number, line in enumerate(lines, start=1)
        if (match := MARK.search(line))
    ]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fixture(path: Path, catalogue: Catalogue) -> None:
    expected = expected_issues(path)
    if not expected:
        flow = load_flow_file(path, catalogue)
        assert flow.id == path.stem
        return
    with pytest.raises(FlowError) as info:
        load_flow_file(path, catalogue)
    issues = info.value.issues
    assert all(issue.file == str(path) for issue in issues)
    unmatched = list(issues)
    for line, fragment in expected:
        found = [i for i in unmatched if i.line == line and fragment in i.message]
        assert found, f"expected line {line}: …{fragment}…; got:\n{info.value}"
        unmatched.remove(found[0])
    assert not unmatched, "unexpected issues:\n" + "\n".join(map(str, unmatched))


def test_every_check_has_a_fixture() -> None:
    fragments = " ".join(fragment for path in FILES for _, fragment in expected_issues(path))
    for check in [
        "YAML syntax",
        "duplicate key",
        "unknown step kind",
        "unknown field",
        "duplicate step id",
        "duplicate option id",
        "points to",
        "never be reached",
        "no way out",
        "never asks a question",
        "missing translation",
        "is never closed",
        "not allowed",
        "too long for Telegram",
        "unknown function",
        "is not a step, a computed value",
        "no text named",
    ]:
        assert check in fragments, check


def test_too_long_text(catalogue: Catalogue) -> None:
    long = "word " * 900
    with pytest.raises(FlowError) as info:
        make_flow(f"""
            id: long
            steps:
              - id: a
                kind: message
                text: {{en: "{long}"}}
        """)
    (issue,) = info.value.issues
    assert issue.line == 8  # three lines (languages, version, title) are added above
    assert "4500 characters, more than Telegram's 4096" in issue.message


@pytest.mark.parametrize(
    ("snippet", "line", "message"),
    [
        ("id: x\nsteps: []\n", 2, "the flow needs 'steps': a list"),
        (
            "id: 'no spaces'\nversion: 1\ntitle: T\nsteps: [{id: a, kind: message, text: Hi}]\n",
            1,
            "'id' must be a name (letters, digits, _)",
        ),
        ("id: x\ntitle: T\nsteps: [{id: a, kind: message, text: Hi}]\n", 1, "missing 'version'"),
        ("id: x\nversion: 1\nsteps: [{id: a, kind: message, text: Hi}]\n", 1, "missing 'title'"),
        (
            "id: x\nversion: 1\ntitle: T\nlanguages: [fr, de]\nsteps: []\n",
            4,
            "'languages' must list some of",
        ),
        (
            "id: x\nversion: 1\ntitle: T\nexpire_after: 2 weeks\n"
            "steps: [{id: a, kind: message, text: Hi}]\n",
            4,
            "'expire_after' must be a duration",
        ),
        (
            "id: x\nversion: 1\ntitle: T\nsource_language: es\nlanguages: [en]\n"
            "steps: [{id: a, kind: message, text: Hi}]\n",
            4,
            "'source_language' must be one of",
        ),
        ("- just\n- a list\n", 1, "a flow file is a mapping"),
        (
            "id: x\nversion: 1\ntitle: T\nsteps:\n  - id: end\n    kind: message\n    text: Hi\n",
            5,
            "must be letters, digits and _ (and not 'end')",
        ),
        (
            "id: x\nversion: 1\ntitle: T\nsteps:\n  - id: a\n    kind: message\n",
            5,
            "missing 'text'",
        ),
        (
            "id: x\nversion: 1\ntitle: T\nsteps:\n  - id: a\n    kind: yesno\n    text: Ok?\n"
            "    saves_to: user.password\n",
            8,
            "'saves_to' must be one of",
        ),
        (
            "id: x\nversion: 1\ntitle: T\nsteps:\n  - id: a\n    kind: yesno\n    text: Ok?\n"
            "    optional: maybe\n",
            8,
            "'optional' must be true or false",
        ),
        (
            "id: x\nversion: 1\ntitle: T\nsteps:\n  - id: a\n    kind: yesno\n    text: Ok?\n"
            "    until: a\n",
            8,
            "'until' goes with 'for_each'",
        ),
        (
            "id: x\nversion: 1\ntitle: T\nsteps:\n  - id: a\n    kind: yesno\n    text: Ok?\n"
            "    for_each: [1]\n    until: zz\n",
            9,
            "'until' names 'zz', which does not exist",
        ),
    ],
)
def test_flow_level_checks(snippet: str, line: int, message: str, catalogue: Catalogue) -> None:
    # languages go last, so the lines of the snippet stay as written
    text = snippet
    if "languages" not in snippet and not snippet.startswith("-"):
        text += "languages: [en]\n"
    with pytest.raises(FlowError) as info:
        load_flow(text, "flows/x.yaml", catalogue)
    assert any(i.line == line and message in i.message for i in info.value.issues), str(info.value)


def test_repeated_blocks_may_not_overlap(catalogue: Catalogue) -> None:
    with pytest.raises(FlowError, match="repeated blocks may not overlap or nest"):
        make_flow("""
            id: x
            steps:
              - id: a
                kind: yesno
                text: A?
                for_each: [1, 2]
                until: b
              - id: b
                kind: yesno
                text: B?
                for_each: [3]
        """)


def test_until_must_come_after(catalogue: Catalogue) -> None:
    with pytest.raises(FlowError, match="'until' must name a step after it"):
        make_flow("""
            id: x
            steps:
              - id: a
                kind: yesno
                text: A?
              - id: b
                kind: yesno
                text: B?
                for_each: [1]
                until: a
        """)


def test_loaded_flow(catalogue: Catalogue) -> None:
    flow = make_flow("""
        id: small
        version: 3
        command: small
        menu: true
        expire_after: 48h
        allow_back: false
        keywords: {en: [tiny flow]}
        steps:
          - id: a
            kind: yesno
            text: Ready?
          - id: b
            kind: message
            text: Bye
    """)
    assert (flow.id, flow.version, flow.command, flow.menu) == ("small", "3", "small", True)
    assert flow.expire_after.total_seconds() == 48 * 3600
    assert flow.allow_back is False
    assert flow.keywords == {"en": ("tiny flow",)}
    assert flow.order == ["a", "b"] and flow.first == "a"
    assert flow.following("a") == "b" and flow.following("b") is None
    assert len(flow.checksum) == 16


def test_load_flows_reports_broken_and_duplicate_flows(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    good = (
        "id: same\nversion: 1\ntitle: T\nlanguages: [en]\n"
        "steps: [{id: a, kind: message, text: Hi}]\n"
    )
    (tmp_path / "a.yaml").write_text(good, encoding="utf-8")
    (tmp_path / "b.yml").write_text(good, encoding="utf-8")
    (tmp_path / "c.yaml").write_text("id: [\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a flow", encoding="utf-8")
    assert [p.name for p in flow_files([tmp_path])] == ["a.yaml", "b.yml", "c.yaml"]
    flows, issues = load_flows([tmp_path], catalogue)
    assert list(flows) == ["same"]
    assert [(Path(i.file).name, i.line) for i in issues] == [("b.yml", 1), ("c.yaml", 2)]
    assert "flow id 'same' is already used by" in issues[0].message


def test_unreadable_file(tmp_path: Path, catalogue: Catalogue) -> None:
    with pytest.raises(FlowError, match="cannot read the file"):
        load_flow_file(tmp_path / "missing.yaml", catalogue)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(FlowError, match="cannot read the file"):
        load_flow_file(binary, catalogue)


@pytest.mark.parametrize("path", sorted(FLOWS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_flows_load(path: Path, catalogue: Catalogue) -> None:
    flow = load_flow_file(path, catalogue)
    assert flow.id == path.stem
    assert set(flow.languages) == {"fr", "nl", "es", "en"}
