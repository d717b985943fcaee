"""The flows the bot serves, and the exact versions running conversations are pinned to.

The current flows come from the shipped `flows/` folder and `SDGBOT_FLOWS_DIR`. When a run started
on a version that has since been edited, its definition is read back from the `flow_versions`
table (every served version is stored there the first time it is used), so editing or redeploying
a flow never breaks a conversation in progress.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.flow.catalogue import Catalogue
from bot.flow.definition import Flow
from bot.flow.errors import FlowError, FlowIssue
from bot.flow.loader import load_flow, load_flows
from bot.flow.matching import Choice, OptionMatcher
from bot.paths import data_dir

if TYPE_CHECKING:
    from bot.storage.tx import Tx

log = logging.getLogger(__name__)

MENU_ORDER = ("sdg_assessment", "post2030", "municipality_week", "partnership_checkin")


class FlowLibrary:
    """Current flows by id, plus a cache of pinned older versions."""

    def __init__(
        self, flows: dict[str, Flow], catalogue: Catalogue, issues: list[FlowIssue] | None = None
    ) -> None:
        self.flows = flows
        self.catalogue = catalogue
        self.issues = issues or []
        self._pinned: dict[str, Flow] = {}
        self._stored: set[str] = set()
        self._menu_matcher: OptionMatcher | None = None

    @classmethod
    def load(
        cls, catalogue: Catalogue, extra: Path | None = None, folders: Iterable[Path] | None = None
    ) -> FlowLibrary:
        """Load the shipped flows and those in `extra`; broken flows are left out and logged."""
        paths = list(folders) if folders is not None else [data_dir("flows")]
        if extra is not None:
            paths.append(extra)
        flows, issues = load_flows(paths, catalogue)
        for issue in issues:
            log.error("flow not served: %s", issue)
        return cls(flows, catalogue, issues)

    def get(self, flow_id: str) -> Flow | None:
        """The current version of a flow."""
        return self.flows.get(flow_id)

    def by_command(self, command: str) -> Flow | None:
        """The flow started by `/command`."""
        for flow in self.flows.values():
            if flow.command == command:
                return flow
        return None

    def menu(self) -> list[Flow]:
        """Flows listed in the menu: the mission flows in their usual order, then the others."""
        listed = [f for f in self.flows.values() if f.menu]
        return sorted(
            listed,
            key=lambda f: (MENU_ORDER.index(f.id) if f.id in MENU_ORDER else len(MENU_ORDER), f.id),
        )

    def match_text(self, text: str) -> tuple[str, Flow | None]:
        """Which menu flow free text asks for: ("accepted" | "unsure" | "none", flow)."""
        if self._menu_matcher is None:
            choices = []
            for candidate in self.menu():
                phrases = [*candidate.title.source.all_texts(), candidate.command or ""]
                phrases += [word for words in candidate.keywords.values() for word in words]
                choices.append(Choice(candidate.id, tuple(p for p in phrases if p)))
            self._menu_matcher = OptionMatcher(choices)
        result = self._menu_matcher.match(text)
        flow = self.flows.get(result.value) if result.value else None
        # numbers are not flow names: "2" typed outside a flow must not start anything
        if flow is None or text.strip().isdigit():
            return "none", None
        return result.status, flow

    async def remember(self, tx: Tx, flow: Flow) -> None:
        """Store the flow's source once, so runs pinned to it can be resumed after an edit."""
        key = f"{flow.id}@{flow.checksum}"
        if key in self._stored:
            return
        await tx.save_flow_version(flow.id, flow.version, flow.checksum, flow.source)
        self._stored.add(key)

    async def for_run(self, tx: Tx, flow_id: str, flow_checksum: str) -> Flow | None:
        """The definition a run is pinned to (the current one when unchanged)."""
        current = self.flows.get(flow_id)
        if current is not None and (not flow_checksum or current.checksum == flow_checksum):
            return current
        key = f"{flow_id}@{flow_checksum}"
        if key in self._pinned:
            return self._pinned[key]
        source = await tx.flow_version_source(flow_id, flow_checksum)
        if source is None:
            log.warning("run pinned to unknown version %s; using the current one", key)
            return current
        try:
            flow = load_flow(source, f"{flow_id}@{flow_checksum}", self.catalogue)
        except FlowError as exc:
            log.error("stored flow version %s no longer loads: %s", key, exc)
            return current
        self._pinned[key] = flow
        return flow
