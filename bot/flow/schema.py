"""The JSON Schema of the flow format, built from the registered step kinds.

Editors with the YAML language server use it to complete and check flows while they are typed
(`# yaml-language-server: $schema=flow.schema.json` at the top of a flow file).
"""

from __future__ import annotations

from typing import Any

from bot.flow import steps as _steps  # noqa: F401  (registers the step kinds)
from bot.flow.definition import COMMON_FIELDS, SAVES_TO, STEP_KINDS
from bot.i18n import LANGUAGES

TEXT: dict[str, Any] = {
    "description": "A text: one string for every language, a map of languages, or {ref: name}.",
    "anyOf": [
        {"type": "string"},
        {"type": "object", "properties": {lang: {"type": "string"} for lang in LANGUAGES},
         "additionalProperties": False},
        {"type": "object", "properties": {"ref": {"type": "string"}}, "required": ["ref"],
         "additionalProperties": False},
    ],
}
EXPR = {"type": ["string", "number", "boolean"], "description": "An expression (see the format)."}
STEP_REF = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$",
            "description": "The id of a step, or `end`."}
INT = {"type": "integer"}
NUMBER = {"type": "number"}
BOOL = {"type": "boolean"}
OPTION = {
    "type": "object",
    "required": ["id", "label"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]*$", "maxLength": 40},
        "label": TEXT,
        "synonyms": {"anyOf": [{"type": "array", "items": {"type": "string"}},
                               {"type": "object", "additionalProperties":
                                {"type": "array", "items": {"type": "string"}}}]},
        "next": STEP_REF,
    },
}
LABELS = {"type": "object", "patternProperties": {"^-?[0-9]+$": TEXT},
          "additionalProperties": False}

FIELD_SCHEMAS: dict[str, Any] = {
    "id": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
    "text": TEXT,
    "next": STEP_REF,
    "when": EXPR,
    "back": BOOL,
    "saves_to": {"enum": sorted(SAVES_TO)},
    "optional": BOOL,
    "for_each": {"anyOf": [{"type": "array"}, {"type": "string"}]},
    "until": STEP_REF,
    "options": {"type": "array", "items": OPTION, "minItems": 1},
    "options_from": {"enum": ["countries", "languages", "pillars"]},
    "columns": INT,
    "min": {"type": ["number", "string"]},
    "max": {"type": ["number", "string"]},
    "labels": LABELS,
    "integer": BOOL,
    "unit": TEXT,
    "max_length": INT,
    "min_length": INT,
    "pattern": {"type": "string"},
    "pattern_hint": TEXT,
    "goals": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 17}},
    "source": {"enum": ["municipalities"]},
    "country": EXPR,
    "allow_new": BOOL,
    "items": {"type": "array", "items": {"type": "object", "required": ["id", "label"],
                                         "properties": {"id": {"type": "string"}, "label": TEXT}}},
    "cases": {"type": "array", "items": {"type": "object", "required": ["when", "next"],
                                         "additionalProperties": False,
                                         "properties": {"when": EXPR, "next": STEP_REF}}},
    "else": STEP_REF,
    "set": {"type": "object", "additionalProperties": EXPR},
    "into": {"type": "string"},
    "fields": {"type": "array", "items": {"type": "string"}},
    "result": BOOL,
    "chart": {"type": "object", "properties": {
        "kind": {"enum": ["radar", "bars"]}, "title": TEXT, "labels": EXPR, "values": EXPR,
        "max": NUMBER, "series_names": EXPR}, "additionalProperties": False},
}


def step_schema(kind: str) -> dict[str, Any]:
    """The schema of one step kind."""
    cls = STEP_KINDS[kind]
    fields = sorted(COMMON_FIELDS | cls.fields)
    properties = {name: FIELD_SCHEMAS.get(name, {}) for name in fields}
    properties["kind"] = {"const": kind}
    required = ["id", "kind", *(["text"] if cls.needs_text else [])]
    return {"type": "object", "title": kind, "required": required,
            "properties": properties, "additionalProperties": False}


def flow_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a flow file."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "sdgbot flow",
        "type": "object",
        "required": ["id", "version", "title", "steps"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
            "version": {"type": ["string", "integer", "number"]},
            "title": TEXT,
            "description": TEXT,
            "languages": {"type": "array", "items": {"enum": list(LANGUAGES)}},
            "source_language": {"enum": list(LANGUAGES)},
            "command": {"type": "string", "pattern": "^[a-z0-9_]{1,32}$"},
            "menu": BOOL,
            "keywords": {"type": "object", "additionalProperties":
                         {"type": "array", "items": {"type": "string"}}},
            "expire_after": {"type": "string", "pattern": "^[0-9]+[dhm]$"},
            "allow_back": BOOL,
            "results": {"type": "array", "items": {"type": "string"}},
            "texts": {"type": "object", "additionalProperties": TEXT},
            "steps": {"type": "array", "minItems": 1,
                      "items": {"oneOf": [step_schema(kind) for kind in sorted(STEP_KINDS)]}},
        },
    }
