"""The JSON Schema: well-formed, and every shipped flow satisfies it.

jsonschema is not a dependency, so a small checker covers the keywords the schema uses.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.flow.definition import COMMON_FIELDS, STEP_KINDS
from bot.flow.schema import flow_schema, step_schema
from bot.flow.yamlsrc import load_yaml
from tests.helpers import FLOWS_DIR

KEYWORDS = {"$schema", "title", "description", "type", "properties", "required",
            "additionalProperties", "patternProperties", "items", "anyOf", "oneOf", "enum",
            "const", "pattern", "minItems", "maxLength", "minimum", "maximum"}
TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str, "integer": int, "number": (int, float), "boolean": bool, "object": dict,
    "array": list, "null": type(None),
}


def _is(value: Any, name: str) -> bool:
    if name in {"integer", "number"} and isinstance(value, bool):
        return False
    return isinstance(value, TYPES[name])


def errors(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Why `value` does not satisfy `schema` (the subset of JSON Schema the flow schema uses)."""
    found: list[str] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, name) for name in names):
            return [f"{where}: {value!r} is not {schema['type']}"]
    if "const" in schema and value != schema["const"]:
        found.append(f"{where}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{where}: too long")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{where}: below minimum")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{where}: above maximum")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            found.append(f"{where}: too few items")
        if "items" in schema:
            for index, item in enumerate(value):
                found += errors(item, schema["items"], f"{where}[{index}]")
    if isinstance(value, dict):
        found += [f"{where}: missing {key!r}" for key in schema.get("required", [])
                  if key not in value]
        properties = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        for key, item in value.items():
            key = str(key)
            if key in properties:
                found += errors(item, properties[key], f"{where}.{key}")
                continue
            matched = [s for p, s in patterns.items() if re.search(p, key)]
            for sub in matched:
                found += errors(item, sub, f"{where}.{key}")
            extra = schema.get("additionalProperties", True)
            if not matched and extra is False:
                found.append(f"{where}: unexpected {key!r}")
            elif not matched and isinstance(extra, dict):
                found += errors(item, extra, f"{where}.{key}")
    for combiner, wanted in (("anyOf", None), ("oneOf", 1)):
        if combiner in schema:
            passing = sum(not errors(value, sub, where) for sub in schema[combiner])
            if passing == 0 or (wanted is not None and passing != wanted):
                found.append(f"{where}: {passing} alternatives of {combiner} match")
    return found


def walk(schema: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        out.append(schema)
        for key, value in schema.items():
            if key in {"properties", "patternProperties"}:
                for sub in value.values():
                    out += walk(sub)
            elif key in {"items", "additionalProperties"} and isinstance(value, dict):
                out += walk(value)
            elif key in {"anyOf", "oneOf"}:
                for sub in value:
                    out += walk(sub)
    return out


def test_the_schema_is_json_and_uses_known_keywords() -> None:
    schema = json.loads(json.dumps(flow_schema()))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for node in walk(schema):
        assert set(node) <= KEYWORDS, set(node) - KEYWORDS
        for pattern in [node.get("pattern"), *node.get("patternProperties", {})]:
            if pattern:
                re.compile(pattern)
        if "required" in node:
            assert set(node["required"]) <= set(node.get("properties", {}))


def test_every_step_kind_has_a_schema_naming_its_fields() -> None:
    kinds = flow_schema()["properties"]["steps"]["items"]["oneOf"]
    assert sorted(k["properties"]["kind"]["const"] for k in kinds) == sorted(STEP_KINDS)
    for kind, cls in STEP_KINDS.items():
        schema = step_schema(kind)
        assert set(schema["properties"]) == set(COMMON_FIELDS | cls.fields | {"kind"})
        assert all(schema["properties"][field] for field in schema["properties"]), kind
        assert ("text" in schema["required"]) == cls.needs_text


@pytest.mark.parametrize("path", sorted(FLOWS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_flows_satisfy_the_schema(path: Path) -> None:
    data = load_yaml(path.read_text(encoding="utf-8"), str(path))  # read as the bot reads it
    assert errors(data, flow_schema()) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["steps"][0].update(kind="chioce"), "alternatives of oneOf"),
        (lambda d: d.update(colour="red"), "unexpected 'colour'"),
        (lambda d: d.pop("title"), "missing 'title'"),
        (lambda d: d.update(expire_after="two weeks"), "does not match"),
    ],
)
def test_the_checker_sees_broken_flows(change: Any, problem: str) -> None:
    data = load_yaml((FLOWS_DIR / "demo.yaml").read_text(encoding="utf-8"), "demo.yaml")
    change(data)
    assert any(problem in error for error in errors(data, flow_schema()))
