"""Seed the database with the municipalities and partnerships shipped in `content/`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.paths import data_dir
from bot.storage.store import Store


def _items(path: Path, key: str) -> list[Any]:
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(data.get(key) or [])


def partnership_seed(item: dict[str, Any]) -> dict[str, Any]:
    """A partnership from `content/partnerships.yaml` as the storage layer seeds it."""
    start, end = item.get("start_year"), item.get("end_year")
    return {
        "slug": item["id"],
        "name": item["name"],
        "north": item["north"],
        "south": item["south"],
        "rhythm": item.get("rhythm"),
        "active": item.get("status", "active") == "active",
        "started": f"{start}-01-01" if start else None,
        "ended": f"{end}-12-31" if end else None,
    }


async def seed_content(store: Store, folder: Path | None = None) -> tuple[int, int]:
    """Insert or update seeded municipalities and partnerships; returns how many of each."""
    folder = folder or data_dir("content")
    municipalities = _items(folder / "municipalities.yaml", "municipalities")
    partnerships = [
        partnership_seed(p) for p in _items(folder / "partnerships.yaml", "partnerships")
    ]

    async def seed(tx: Any) -> tuple[int, int]:
        return (
            await tx.seed_municipalities(municipalities),
            await tx.seed_partnerships(partnerships),
        )

    result: tuple[int, int] = await store.run_in_transaction(seed)
    return result
