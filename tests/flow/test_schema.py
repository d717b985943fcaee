"""The JSON Schema, generated from the models the loader validates with: schema and loader agree.

Every flow the loader accepts (shipped, fixtures, test flows) satisfies the schema; every flow the
schema rejects, the loader rejects too; and a table of wrong documents is rejected by both, the
loader with `file:line: message` at the line of the mistake.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.flow.catalogue import Catalogue
from bot.flow.definition import COMMON_FIELDS, STEP_KINDS
from bot.flow.errors import FlowError
from bot.flow.loader import load_flow, load_flow_file
from bot.flow.schema import flow_schema, step_schema
from bot.flow.shapes import json_data
from bot.flow.yamlsrc import load_yaml

ROOT = Path(__file__).resolve().parents[2]
FLOW_FILES = sorted(
    path
    for folder in (ROOT / "flows", ROOT / "tests")
    for path in folder.rglob("*.yaml")
    if "\nsteps:" in path.read_text(encoding="utf-8")
)
VALIDATOR = jsonschema.Draft202012Validator(flow_schema())


def schema_errors(data: Any) -> list[str]:
    """Why `data` (a flow read as the bot reads it) does not satisfy the schema."""
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in VALIDATOR.iter_errors(json_data(data))
    ]


def test_the_schema_is_valid_json_schema() -> None:
    schema = json.loads(json.dumps(flow_schema()))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_steps_are_a_union_discriminated_on_kind() -> None:
    items = flow_schema()["properties"]["steps"]["items"]
    assert items["discriminator"]["propertyName"] == "kind"
    assert sorted(items["discriminator"]["mapping"]) == sorted(STEP_KINDS)


def test_every_step_kind_has_a_schema_naming_its_fields() -> None:
    for kind, cls in STEP_KINDS.items():
        schema = step_schema(kind)
        assert set(schema["properties"]) == set(COMMON_FIELDS | cls.fields), kind
        assert schema["properties"]["kind"]["const"] == kind
        assert schema["additionalProperties"] is False
        assert ("text" in schema["required"]) == cls.needs_text, kind


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_schema_and_loader_agree_on_every_flow_file(path: Path, catalogue: Catalogue) -> None:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), str(path))
    except FlowError:
        return  # not YAML: nothing for the schema to read
    try:
        load_flow_file(path, catalogue)
    except FlowError:
        loaded = False
    else:
        loaded = True
    errors = schema_errors(data)
    if loaded:
        assert errors == [], f"the loader accepts {path.name}, the schema does not"
    if errors:
        assert not loaded, f"the schema rejects {path.name}, the loader does not"


def test_shipped_flows_are_among_the_checked_files() -> None:
    shipped = {p.stem for p in FLOW_FILES if p.parent == ROOT / "flows"}
    assert {"demo", "onboarding", "sdg_assessment", "partnership_checkin"} <= shipped


HEAD = "id: x\nversion: 1\nlanguages: [en]\ntitle: T\nsteps:\n"
WRONG = [
    # (steps, the line of the mistake, part of the loader's message)
    (
        "  - id: a\n    kind: number\n    text: How many?\n    min: abc\n",
        9,
        "'min' must be a number",
    ),
    (
        "  - id: a\n    kind: number\n    text: How many?\n    integer: 'yes'\n",
        9,
        "'integer' must be true or false",
    ),
    (
        "  - id: a\n    kind: choice\n    text: Pick\n    columns: '2'\n    options:\n"
        "      - {id: a, label: A}\n",
        9,
        "'columns' must be a whole number",
    ),
    (
        "  - id: a\n    kind: yesno\n    text: Ok?\n    options_from: countries\n",
        9,
        "unknown field 'options_from' for a yesno step",
    ),
    (
        "  - id: a\n    kind: number\n    text: How many?\n    else: end\n",
        9,
        "unknown field 'else' for a number step",
    ),
    ("  - id: a\n    kind: message\n", 6, "missing 'text'"),
    ("  - id: a\n    kind: branch\n    else: end\n", 6, "missing 'cases'"),
    ("  - id: a\n    kind: collect\n    fields: [b]\n", 6, "missing 'into'"),
    ("  - id: a\n    kind: chioce\n    text: Pick\n", 7, "unknown step kind 'chioce'"),
    (
        "  - id: a\n    kind: choice\n    text: Pick\n    options:\n      - {id: a}\n",
        10,
        "missing 'label' in this option",
    ),
    (
        "  - id: a\n    kind: choice\n    text: Pick\n    options:\n"
        "      - id: a\n        label: A\n        colour: red\n",
        12,
        "unknown option field 'colour'",
    ),
    (
        "  - id: a\n    kind: summary\n    text: Done\n    chart:\n      kind: pie\n"
        "      labels: '[1]'\n      values: '[1]'\n",
        10,
        "'kind' must be one of radar, bars",
    ),
    (
        "  - id: a\n    kind: sdg\n    text: Which?\n    goals: [16, 18]\n",
        9,
        "'goals' must be a list of goal numbers from 1 to 17",
    ),
    ("  - id: a\n    kind: compute\n    set: [1, 2]\n", 8, "'set' must be a map from names"),
    (
        "  - id: a\n    kind: yesno\n    text: Ok?\n    saves_to: user.password\n",
        9,
        "'saves_to' must be one of",
    ),
    ("  - id: a\n    kind: yesno\n    text: [Ok]\n", 8, "'text' must be a text"),
    (
        "  - id: a\n    kind: multi\n    text: Which?\n    max: 2\n",
        6,
        "'options' must be a list of {id, label}",
    ),
]


@pytest.mark.parametrize(("steps", "line", "message"), WRONG, ids=lambda v: str(v)[:40])
def test_wrong_documents_are_rejected_by_schema_and_loader(
    steps: str, line: int, message: str, catalogue: Catalogue
) -> None:
    text = HEAD + steps
    assert schema_errors(load_yaml(text, "flows/x.yaml")), "the schema accepts it"
    with pytest.raises(FlowError) as info:
        load_flow(text, "flows/x.yaml", catalogue)
    issues = [str(issue) for issue in info.value.issues]
    assert any(
        issue.startswith(f"flows/x.yaml:{line}: ") and message in issue for issue in issues
    ), issues


@pytest.mark.parametrize(
    ("extra", "line", "message"),
    [
        ("colour: red\n", 6, "unknown flow field 'colour'"),
        ("expire_after: two weeks\n", 6, "'expire_after' must be a duration like 14d"),
        ("menu: 'yes'\n", 6, "'menu' must be true or false"),
        ("command: Start Now\n", 6, "'command' must be a command"),
    ],
)
def test_wrong_flow_fields_are_rejected_by_schema_and_loader(
    extra: str, line: int, message: str, catalogue: Catalogue
) -> None:
    text = HEAD.replace("steps:\n", "steps: [{id: a, kind: message, text: Hi}]\n") + extra
    assert schema_errors(load_yaml(text, "flows/x.yaml")), "the schema accepts it"
    with pytest.raises(FlowError) as info:
        load_flow(text, "flows/x.yaml", catalogue)
    assert f"flows/x.yaml:{line}: " in str(info.value) and message in str(info.value)


def test_a_flow_without_title_or_steps_is_rejected_by_both(catalogue: Catalogue) -> None:
    text = "id: x\nversion: 1\nlanguages: [en]\n"
    assert len(schema_errors(load_yaml(text, "flows/x.yaml"))) == 2
    with pytest.raises(FlowError, match="missing 'title'"):
        load_flow(text, "flows/x.yaml", catalogue)
