"""The programme's tests talk to the same service as the conversation's (its fixtures)."""

from tests.conversation.conftest import clock, service

__all__ = ["clock", "service"]
