"""The `--update-golden` option: rewrite the expected transcripts instead of comparing them."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/flows/golden/*/*.yaml transcripts from the engine's current output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether the run was asked to rewrite golden transcripts."""
    # default=False: when pytest starts from the repository root this conftest is not an
    # "initial" one, so the option may not be registered; comparing is then the only mode.
    return bool(request.config.getoption("--update-golden", default=False))
