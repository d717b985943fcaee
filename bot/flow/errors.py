"""Errors found in flow files, reported as `file:line: message`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class FlowIssue:
    """One problem in a flow file, located by file and line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class FlowError(Exception):
    """A flow (or content file) failed to load; carries every issue found, not just the first."""

    def __init__(self, issues: list[FlowIssue]) -> None:
        self.issues = sorted(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))
