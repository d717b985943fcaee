"""`Tx` methods that keep every served flow version's source."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage._base import TxPart, utcnow
from bot.storage.models import FlowVersion


class FlowVersionsPart(TxPart):
    """Store and read back flow sources by checksum."""

    async def save_flow_version(
        self, flow_id: str, version: str, checksum: str, source: str
    ) -> None:
        """Remember a flow version's source (once; safe when two processes do it at once)."""
        statement = (
            self._insert(FlowVersion)
            .values(
                flow_id=flow_id,
                version=version,
                checksum=checksum,
                source=source,
                first_served_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["flow_id", "checksum"])
        )
        await self._session.execute(statement)

    async def flow_version_source(self, flow_id: str, checksum: str) -> str | None:
        """The source of a served flow version, if it was stored."""
        statement = select(FlowVersion.source).where(
            FlowVersion.flow_id == flow_id, FlowVersion.checksum == checksum
        )
        return (await self._session.execute(statement)).scalar_one_or_none()
