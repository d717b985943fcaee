"""Load the shared content in `content/` into a `Catalogue` for the engine.

The catalogue also carries the functions flow expressions may call: the engine's built-ins plus
the missions' (`bot.missions.FUNCTIONS`), so every flow the app loads is checked against them.

Problems are reported as `file:line: message`, like flow problems, so a coordinator editing a
content file gets the same kind of answer from `sdgbot flows validate`.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.flow.catalogue import Catalogue, Country, MunicipalityEntry
from bot.flow.errors import FlowError, FlowIssue
from bot.flow.sdgs import SdgCatalogue
from bot.flow.yamlsrc import LineDict, LineList, load_yaml
from bot.i18n import LANGUAGES, Localized, Messages
from bot.missions import FUNCTIONS
from bot.paths import data_dir


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FlowError([FlowIssue(str(path), 1, f"cannot read the file: {exc}")]) from None
    return load_yaml(text, str(path))


def _entries(data: Any, key: str, path: Path) -> Iterator[tuple[int, LineDict]]:
    items = data.get(key) if isinstance(data, LineDict) else None
    if not isinstance(items, LineList):
        raise FlowError([FlowIssue(str(path), 1, f"expected a top-level '{key}:' list")])
    for index, item in enumerate(items):
        if isinstance(item, LineDict):
            yield items.line_of(index), item


def load_messages(folder: Path) -> Messages:
    """Every `content/messages/*.yaml` file, merged; a key defined twice is an error."""
    texts: dict[str, Localized] = {}
    where: dict[str, str] = {}
    issues: list[FlowIssue] = []
    for path in sorted(folder.glob("*.yaml")):
        data = _read(path)
        if not isinstance(data, LineDict):
            continue
        for key, value in data.items():
            line = data.line_of(key)
            if key in texts:
                issues.append(
                    FlowIssue(str(path), line, f"message {key!r} is already in {where[key]}")
                )
                continue
            if not isinstance(value, LineDict):
                issues.append(FlowIssue(str(path), line, f"message {key!r} needs fr, nl, es, en"))
                continue
            localized = Localized(texts={k: str(v) for k, v in value.items()})
            missing = localized.missing(LANGUAGES)
            if missing:
                issues.append(
                    FlowIssue(
                        str(path),
                        line,
                        f"message {key!r}: missing translation in {', '.join(missing)}",
                    )
                )
            texts[key] = localized
            where[key] = f"{path.name}:{line}"
    if issues:
        raise FlowError(issues)
    return Messages(texts)


def load_catalogue(folder: Path | None = None) -> Catalogue:
    """Load the catalogue from `folder` (default: the shipped content)."""
    folder = folder or data_dir("content")
    messages = load_messages(folder / "messages")
    sdg_path = folder / "sdgs.yaml"
    try:
        sdgs = SdgCatalogue.from_data(_read(sdg_path))
    except ValueError as exc:
        raise FlowError([FlowIssue(str(sdg_path), 1, str(exc))]) from None
    countries: list[Country] = []
    countries_path = folder / "countries.yaml"
    if countries_path.exists():
        for _, item in _entries(_read(countries_path), "countries", countries_path):
            countries.append(
                Country(
                    code=str(item["code"]),
                    names=Localized(texts=dict(item.get("names", {}))),
                    timezone=str(item.get("timezone", "UTC")),
                    languages=tuple(item.get("languages", ())),
                    aliases=tuple(str(a) for a in item.get("aliases", ()) or ()),
                )
            )
    municipalities: list[MunicipalityEntry] = []
    municipalities_path = folder / "municipalities.yaml"
    if municipalities_path.exists():
        for _, item in _entries(_read(municipalities_path), "municipalities", municipalities_path):
            municipalities.append(
                MunicipalityEntry(
                    name=str(item["name"]),
                    country=str(item.get("country", "")),
                    region=str(item.get("region", "")),
                    aliases=tuple(str(a) for a in item.get("aliases", ()) or ()),
                )
            )
    glossary: dict[str, Localized] = {}
    glossary_path = folder / "glossary.yaml"
    if glossary_path.exists():
        for _, item in _entries(_read(glossary_path), "terms", glossary_path):
            glossary[str(item["id"])] = Localized(
                texts={lang: str(item[lang]) for lang in LANGUAGES if lang in item}
            )
    return Catalogue(
        messages, sdgs, tuple(countries), tuple(municipalities), glossary, functions=FUNCTIONS
    )


@lru_cache(maxsize=4)
def shipped_catalogue() -> Catalogue:
    """The catalogue shipped with the package, loaded once per process."""
    return load_catalogue()
