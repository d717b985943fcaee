"""The JSON Schema of the flow format, generated from the pydantic models the loader validates with.

Each registered step kind contributes its model (`Step.shape`); the steps are a union
discriminated on `kind`, so an editor reports a field the kind does not have, a value of the wrong
type or a missing field exactly where the loader would. Editors with the YAML language server use
it to complete and check flows while they are typed (`# yaml-language-server:
$schema=flow.schema.json` at the top of a flow file; `sdgbot flows schema` writes it).
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, create_model

from bot.flow import steps as _steps  # noqa: F401  (registers the step kinds)
from bot.flow.definition import STEP_KINDS
from bot.flow.shapes import FlowHeader

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def step_schema(kind: str) -> dict[str, Any]:
    """The schema of one step kind (its model on its own)."""
    return STEP_KINDS[kind].shape.model_json_schema()


def flow_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a flow file."""
    shapes = tuple(STEP_KINDS[kind].shape for kind in sorted(STEP_KINDS))
    step: Any = Annotated[Union[shapes], Field(discriminator="kind")]  # noqa: UP007
    steps: Any = Annotated[list[step], Field(min_length=1, description="The steps, in order.")]
    document = create_model(
        "Flow",
        __base__=FlowHeader,
        __doc__="An sdgbot flow: a conversation written as data (see docs/flow-format.md).",
        __module__=__name__,
        steps=(steps, ...),
    )
    schema = _without_null_defaults(document.model_json_schema())
    return {
        "$schema": DIALECT,
        "title": "sdgbot flow",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def _without_null_defaults(node: Any) -> Any:
    """Drop `"default": null`: an absent optional field is not a field set to null."""
    if isinstance(node, dict):
        return {
            key: _without_null_defaults(value)
            for key, value in node.items()
            if not (key == "default" and value is None)
        }
    if isinstance(node, list):
        return [_without_null_defaults(value) for value in node]
    return node
