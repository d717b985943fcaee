"""The shape of a flow file as pydantic models: the flow's own fields and one model per step kind.

Each step kind declares its model (`Step.shape`, a `StepShape` subclass) next to its code; the
loader validates every step against it before the kind reads its fields, and `bot.flow.schema`
builds the JSON Schema from the same models, so an editor's schema and the loader cannot disagree
on which fields a kind has, their types, or which are required. What a model cannot say (a jump to
a step that does not exist, `min` above `max`, an unknown name in an expression) is checked by the
loader after it.

Values use the leaf types below rather than pydantic's own: each gives one readable message
("must be a whole number") and the JSON Schema fragment an editor checks, whatever YAML gave.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from bot.flow.yamlsrc import LineDict, LineList
from bot.i18n import LANGUAGES

ID_REGEX = r"^[A-Za-z][A-Za-z0-9_]*$"
OPTION_ID_REGEX = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
SAVES_TO = (
    "user.country",
    "user.kind",
    "user.language",
    "user.municipality",
    "user.name",
    "user.timezone",
)


@dataclass(frozen=True, eq=False)
class Leaf:
    """A value type of the format.

    `check` decides, `expected` words the problem, `schema` is its JSON Schema. The value is kept
    as written; the step kinds turn it into what they run with.
    """

    expected: str
    check: Callable[[Any], bool]
    schema: dict[str, Any]

    def validate(self, value: Any) -> Any:
        """`value` if it has this type; else one readable error."""
        if not self.check(value):
            raise PydanticCustomError(
                "flow_value", "must be {expected}", {"expected": self.expected}
            )
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> CoreSchema:
        """Validate with `validate` only (no coercion: YAML's `"3"` is not the number 3)."""
        return core_schema.no_info_plain_validator_function(self.validate)

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: Any) -> dict[str, Any]:
        """The JSON Schema an editor checks the value with."""
        return dict(self.schema)


def one_of(*values: str) -> Leaf:
    """A value among `values`."""
    return Leaf(f"one of {', '.join(values)}", lambda v: v in values, {"enum": list(values)})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    if isinstance(value, str) or _is_number(value):
        return True
    if not isinstance(value, Mapping):
        return False
    if set(value) == {"ref"}:
        return isinstance(value["ref"], str)
    return all(isinstance(text, str) for text in value.values())


TEXT_SCHEMA: dict[str, Any] = {
    "description": "A text: one string for every language, a map of languages, or {ref: name}.",
    "anyOf": [
        {"type": ["string", "number"]},
        {
            "type": "object",
            "properties": {lang: {"type": "string"} for lang in LANGUAGES},
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"ref": {"type": "string"}},
            "required": ["ref"],
            "additionalProperties": False,
        },
    ],
}


def _is_words(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(w, str) for w in value)


def _matches(regex: str) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and re.fullmatch(regex.strip("^$"), v) is not None


Text = Annotated[
    Any, Leaf("a text, a map of languages (fr, nl, es, en) or {ref: name}", _is_text, TEXT_SCHEMA)
]
Expression = Annotated[
    Any,
    Leaf(
        "an expression",
        lambda v: isinstance(v, str | int | float),
        {"type": ["string", "number", "boolean"], "description": "An expression (see the format)."},
    ),
]
Integer = Annotated[
    Any,
    Leaf(
        "a whole number",
        lambda v: isinstance(v, int) and not isinstance(v, bool),
        {"type": "integer"},
    ),
]
Number = Annotated[Any, Leaf("a number", _is_number, {"type": "number"})]
Flag = Annotated[Any, Leaf("true or false", lambda v: isinstance(v, bool), {"type": "boolean"})]
Word = Annotated[Any, Leaf("a word", lambda v: isinstance(v, str), {"type": "string"})]
Name = Annotated[
    Any,
    Leaf(
        "a name (letters, digits, _)", _matches(ID_REGEX), {"type": "string", "pattern": ID_REGEX}
    ),
]
StepRef = Annotated[
    Any,
    Leaf(
        "the id of a step (letters, digits, _) or end",
        _matches(ID_REGEX),
        {"type": "string", "pattern": ID_REGEX, "description": "The id of a step, or `end`."},
    ),
]
Words = Annotated[
    Any, Leaf("a list of words", _is_words, {"type": "array", "items": {"type": "string"}})
]
Labels = Annotated[
    Any,
    Leaf(
        "a map from points of the scale to texts",
        lambda v: isinstance(v, Mapping) and all(_is_text(t) for t in v.values()),
        {
            "type": "object",
            "patternProperties": {"^-?[0-9]+$": TEXT_SCHEMA},
            "additionalProperties": False,
        },
    ),
]


PERIODS = ("quarter", "half-year", "year")
"""Periods a flow can be answered once per (`once_per`)."""


KNOWN_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$"
"""`known:` names a step of another flow as ``flow_id.step_id``."""


def _is_known(value: Any) -> bool:
    if isinstance(value, str):
        return re.match(KNOWN_PATTERN, value) is not None
    if not isinstance(value, Mapping) or set(value) - {"from", "map"}:
        return False
    mapping = value.get("map", {})
    return (
        isinstance(value.get("from"), str)
        and re.match(KNOWN_PATTERN, value["from"]) is not None
        and isinstance(mapping, Mapping)
        and all(isinstance(v, str) for v in mapping.values())
    )


class Shape(BaseModel):
    """A mapping of the flow format: unknown fields are mistakes."""

    model_config = ConfigDict(extra="forbid")


class OptionShape(Shape):
    """One option of a `choice` or `multi` step."""

    # The loader words what is wrong with an id (spaces, too long for a button); the schema
    # says the same with a pattern and a length.
    id: Annotated[
        Any,
        Leaf(
            "a short id",
            lambda v: isinstance(v, str | int) and not isinstance(v, bool),
            {"type": ["string", "integer"], "pattern": OPTION_ID_REGEX, "maxLength": 40},
        ),
    ]
    label: Text
    synonyms: Annotated[
        Any,
        Leaf(
            "a list of words, or a list per language",
            lambda v: (
                _is_words(v)
                or (isinstance(v, Mapping) and all(w is None or _is_words(w) for w in v.values()))
            ),
            {
                "anyOf": [
                    {"type": "array", "items": {"type": "string"}},
                    {
                        "type": "object",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                ]
            },
        ),
    ] = None
    next: StepRef = None
    exclusive: Annotated[
        Flag,
        Field(description=("Ticked alone: an option such as 'none yet' that excludes the others.")),
    ] = False


OptionsFrom = Annotated[Any, one_of("countries", "languages", "pillars")]


class StepShape(Shape):
    """Fields every step has (see docs/flow-format.md); each kind adds its own."""

    id: Annotated[Name, Field(description="The step's id.")]
    kind: str
    text: Annotated[Text, Field(description="What the step says or asks.")] = None
    next: Annotated[StepRef, Field(description="Where to go next (default: the one below).")] = None
    when: Annotated[Expression, Field(description="Skip the step unless this holds.")] = None
    back: Annotated[Flag, Field(description="Whether the user may go back from here.")] = True
    saves_to: Annotated[
        Any, one_of(*SAVES_TO), Field(description="Also keep the answer in the user's profile.")
    ] = None
    optional: Annotated[Flag, Field(description="Whether the question may be skipped.")] = False
    for_each: Annotated[
        Any,
        Leaf(
            "a list or an expression",
            lambda v: isinstance(v, list | str),
            {
                "anyOf": [{"type": "array"}, {"type": "string"}],
                "description": "Repeat the block from this step to `until` for each item.",
            },
        ),
    ] = None
    until: Annotated[StepRef, Field(description="The last step of the repeated block.")] = None
    known: Annotated[
        Any,
        Leaf(
            "flow_id.step_id, or {from: flow_id.step_id, map: {their option: this step's option}}",
            _is_known,
            {
                "anyOf": [
                    {"type": "string", "pattern": KNOWN_PATTERN},
                    {
                        "type": "object",
                        "required": ["from"],
                        "additionalProperties": False,
                        "properties": {
                            "from": {"type": "string", "pattern": KNOWN_PATTERN},
                            "map": {"type": "object", "additionalProperties": {"type": "string"}},
                        },
                    },
                ],
                "description": (
                    "The same question in another flow: the municipality's latest answer "
                    "there is offered for a one-tap confirmation instead of asking again."
                ),
            },
        ),
    ] = None


COMMON_FIELDS = frozenset(StepShape.model_fields)
"""Field names every step kind accepts."""


def field_names(shape: type[BaseModel]) -> frozenset[str]:
    """The names of a model's fields as written in YAML (aliases where set)."""
    return frozenset(f.alias or name for name, f in shape.model_fields.items())


def requires(shape: type[BaseModel], name: str) -> bool:
    """Whether the model makes field `name` required."""
    field = shape.model_fields.get(name)
    return field is not None and field.is_required()


class FlowHeader(Shape):
    """A flow's own fields; its steps are validated one by one, against their kind's model."""

    id: Annotated[Name, Field(description="The flow's id.")]
    version: Annotated[
        Any,
        Leaf(
            "a version (a word or a number)",
            lambda v: isinstance(v, str) or _is_number(v),
            {
                "type": ["string", "integer", "number"],
                "description": "Running conversations stay on the version they started with.",
            },
        ),
    ]
    title: Text
    description: Text = None
    languages: Annotated[
        Any,
        Leaf(
            f"a list of some of {', '.join(LANGUAGES)}",
            lambda v: isinstance(v, list) and bool(v) and all(x in LANGUAGES for x in v),
            {"type": "array", "items": {"enum": list(LANGUAGES)}, "minItems": 1},
        ),
    ] = None
    source_language: Annotated[Any, one_of(*LANGUAGES)] = None
    command: Annotated[
        Any,
        Leaf(
            "a command: 1 to 32 lowercase letters, digits or _",
            _matches("^[a-z0-9_]{1,32}$"),
            {"type": "string", "pattern": "^[a-z0-9_]{1,32}$"},
        ),
    ] = None
    menu: Flag = False
    keywords: Annotated[
        Any,
        Leaf(
            "a map from languages to lists of words",
            lambda v: isinstance(v, Mapping) and all(_is_words(w) for w in v.values()),
            {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        ),
    ] = None
    expire_after: Annotated[
        Any,
        Leaf(
            "a duration like 14d, 48h or 30m",
            _matches(r"^\s*[0-9]+\s*[dhm]\s*$"),
            {"type": "string", "pattern": "^\\s*[0-9]+\\s*[dhm]\\s*$"},
        ),
    ] = None
    allow_back: Flag = True
    results: Annotated[
        Any,
        Leaf(
            "a list of computed values (names, or dotted paths such as snapshot.p_today)",
            lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
            {
                "type": "array",
                "items": {"type": "string"},
                "description": "Computed values marked as the flow's results (export columns).",
            },
        ),
    ] = None
    once_per: Annotated[
        Any,
        one_of(*PERIODS),
        Field(
            description=(
                "Answered once per period by a municipality: starting it again in the same period "
                "offers to see or update that period's answers instead of starting over."
            )
        ),
    ] = None
    texts: Annotated[
        Any,
        Leaf(
            "a map from names to texts",
            lambda v: isinstance(v, Mapping) and all(_is_text(t) for t in v.values()),
            {"type": "object", "additionalProperties": TEXT_SCHEMA},
        ),
    ] = None
    steps: Annotated[
        Any,
        Leaf(
            "a list of steps",
            lambda v: isinstance(v, list) and bool(v),
            {"type": "array", "minItems": 1},
        ),
    ]


def json_data(value: Any) -> Any:
    """`value` as JSON would hold it: YAML dates (`min: 2026-05-01`) become ISO strings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_data(v) for v in value]
    return value


_CONTAINERS = {"options": "option", "chart": "chart", "cases": "case", "items": "item"}


def problems(shape: type[BaseModel], spec: LineDict, what: str) -> list[tuple[int, str]]:
    """Why `spec` does not fit `shape`, as (line, message), in the order of the file.

    `what` names the mapping in messages about its own fields ("a number step", "the flow").
    """
    try:
        shape.model_validate(spec)
    except ValidationError as exc:
        found = [_problem(error, spec, what) for error in exc.errors()]
        return sorted(dict.fromkeys(found), key=lambda item: item[0])
    return []


def _problem(error: Any, spec: LineDict, what: str) -> tuple[int, str]:
    loc = list(error["loc"])
    # Walk down to the value the error is about, keeping the line of the deepest part found.
    node: Any = spec
    line = spec.line
    parent_key: str | None = None
    for index, part in enumerate(loc):
        if isinstance(node, LineDict) and str(part) in node:
            line, node = node.line_of(str(part)), node[str(part)]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line, node = node.line_of(part), node[part]
        else:
            break
        if isinstance(part, str) and index < len(loc) - 1:
            parent_key = part
    key = str(loc[-1]) if loc else ""
    nested = len([p for p in loc if isinstance(p, str)]) > 1
    container = _CONTAINERS.get(parent_key or "", parent_key) if nested else None
    kind = error["type"]
    if kind == "extra_forbidden":
        if container:
            return line, f"unknown {container} field {key!r}"
        if what == "the flow":
            return line, f"unknown flow field {key!r}"
        return line, f"unknown field {key!r} for {what}"
    if kind == "missing":
        return line, f"missing {key!r}" + (f" in this {container}" if container else "")
    if kind == "flow_value":
        return line, f"{key!r} must be {error['ctx']['expected']}"
    if kind == "list_type":
        return line, f"{key!r} must be a list"
    if kind == "too_short":
        return line, f"{key!r} must not be empty"
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return line, f"{key!r} must be a mapping" if key else f"{what} must be a mapping"
    return line, f"{key!r}: {error['msg']}"
