"""The missions reach the engine only through the catalogue's function registry."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.content import shipped_catalogue
from bot.flow.builtins import BUILTINS
from bot.flow.errors import FlowError
from bot.flow.functions import FunctionRegistry
from bot.flow.loader import load_flow, load_flow_file
from bot.missions import FUNCTIONS
from bot.missions.checkin import mirror_report
from bot.missions.registry import MISSION_FUNCTIONS

FLOWS = Path(__file__).resolve().parents[2] / "flows"

FLOW = """\
id: demo
version: 1
languages: [en]
title: Demo
steps:
  - id: done
    kind: message
    text: "{{ checkin_period_label('2026') }}"
"""


def test_the_app_catalogue_carries_builtins_and_missions() -> None:
    functions = shipped_catalogue().functions
    assert functions is FUNCTIONS
    assert functions["mirror_report"] is mirror_report
    assert set(BUILTINS) | set(MISSION_FUNCTIONS) == set(functions)


def test_a_mission_function_is_unknown_to_a_catalogue_without_missions() -> None:
    bare = dataclasses.replace(shipped_catalogue(), functions=BUILTINS)
    with pytest.raises(FlowError) as caught:
        load_flow(FLOW, "flows/demo.yaml", bare)
    assert [str(issue) for issue in caught.value.issues] == [
        "flows/demo.yaml:8: unknown function 'checkin_period_label'"
    ]
    assert load_flow(FLOW, "flows/demo.yaml", shipped_catalogue()).id == "demo"


@pytest.mark.parametrize("name", ["sdg_assessment", "partnership_checkin"])
def test_shipped_mission_flows_need_the_missions(name: str) -> None:
    bare = dataclasses.replace(shipped_catalogue(), functions=BUILTINS)
    with pytest.raises(FlowError, match="unknown function"):
        load_flow_file(FLOWS / f"{name}.yaml", bare)


def test_a_name_cannot_be_registered_for_two_functions() -> None:
    registry = FunctionRegistry(BUILTINS)
    registry.add("len", BUILTINS["len"])  # the same function again is harmless
    with pytest.raises(ValueError, match="'len' is registered twice"):
        registry.add("len", lambda value: 0)
