"""`known:` between flows: references are checked when the flows are loaded, with file:line."""

from __future__ import annotations

from pathlib import Path

from bot.content import shipped_catalogue
from bot.flow.loader import load_flows

ASKING = """\
id: asking
version: 1
title: Asking
steps:
  - id: council
    kind: choice
    text: Council decision?
    options:
      - id: "yes"
        label: "Yes"
      - id: "no"
        label: "No"
"""


def reusing(known: str) -> str:
    return f"""\
id: reusing
version: 1
title: Reusing
steps:
  - id: council
    kind: choice
    text: Council decision?
    known: {known}
    options:
      - id: adopted
        label: Adopted
      - id: none
        label: None yet
"""


def load(tmp_path: Path, known: str) -> tuple[list[str], list[str]]:
    (tmp_path / "asking.yaml").write_text(ASKING, encoding="utf-8")
    (tmp_path / "reusing.yaml").write_text(reusing(known), encoding="utf-8")
    flows, issues = load_flows([tmp_path], shipped_catalogue())
    return sorted(flows), [f"{Path(i.file).name}:{i.line}: {i.message}" for i in issues]


def test_a_good_reference_loads(tmp_path: Path) -> None:
    flows, issues = load(tmp_path, '{from: asking.council, map: {"yes": adopted, "no": none}}')
    assert (flows, issues) == (["asking", "reusing"], [])


def test_unknown_flow_step_and_options_are_named_with_their_line(tmp_path: Path) -> None:
    assert load(tmp_path, "nowhere.council")[1] == [
        "reusing.yaml:8: known: there is no flow 'nowhere'"
    ]
    assert load(tmp_path, "asking.mayor")[1] == [
        "reusing.yaml:8: known: flow 'asking' has no step 'mayor'"
    ]
    assert load(tmp_path, '{from: asking.council, map: {"oui": adopted}}')[1] == [
        "reusing.yaml:8: known: asking.council has no option 'oui' (options: no, yes)"
    ]
    flows, issues = load(tmp_path, '{from: asking.council, map: {"yes": maybe}}')
    assert flows == ["asking"]  # the flow with the mistake is not served
    assert issues == [
        "reusing.yaml:8: known: this step has no option 'maybe' (options: adopted, none)"
    ]


def test_the_form_is_checked_against_the_step_model(tmp_path: Path) -> None:
    flows, issues = load(tmp_path, "just-a-word")
    assert "reusing" not in flows and any("known" in i for i in issues)
