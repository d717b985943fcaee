"""Fixtures of the flow engine tests: the shipped catalogue."""

from __future__ import annotations

import pytest

from bot.flow.catalogue import Catalogue
from tests.helpers import catalogue as shipped


@pytest.fixture
def catalogue() -> Catalogue:
    """The catalogue shipped in `content/` (messages, SDGs, countries, municipalities)."""
    return shipped()
