"""Exports of runs driven through the service use the conversation's fixtures."""

from tests.conversation.conftest import clock, service

__all__ = ["clock", "service"]
