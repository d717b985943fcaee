"""Municipalities and twinnings as coordinators keep them: list, add, rename, confirm, merge.

Municipalities and twinnings live in the database, seeded from ``content/``; what coordinators
change here is marked (``edited_at``) so a later seed never undoes it. A municipality typed in
onboarding that nobody knew is kept as *proposed* with its usual capitalisation ("bohicon" →
"Bohicon"); it works at once for the person who typed it and waits for a coordinator to confirm
it or merge it into the right one (every person, run and twinning of the merged one follows).
Every change checks the actor's role and is audited in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from bot.content import shipped_catalogue
from bot.programme.actors import Actor, NotFound, ProgrammeError
from bot.storage.audit import audit
from bot.storage.models import Municipality, Partnership
from bot.storage.places import Moved, MunicipalityRow, TwinningRow
from bot.storage.tx import Tx

ACTION_MUNICIPALITY = "municipality_change"
ACTION_TWINNING = "twinning_change"
STATUSES = ("confirmed", "proposed", "merged")
RHYTHMS = ("monthly", "quarterly", "half-yearly", "yearly")
MAX_NAME = 120


def canonical_name(typed: str) -> str:
    """A typed name as usually written: "bohicon" → "Bohicon", "sint-niklaas" → "Sint-Niklaas".

    A name typed with capitals already ("La Paz", "deSoto") is kept as typed.
    """
    name = " ".join(typed.split())[:MAX_NAME]
    if name != name.lower() and name != name.upper():
        return name
    return re.sub(r"(^|[\s\-'’])(\w)", lambda m: m.group(1) + m.group(2).upper(), name.lower())


def _country(code: str) -> str:
    """A country code of the programme, upper case.

    Raises:
        ProgrammeError: not a country in content/countries.yaml.
    """
    found = shipped_catalogue().country(code.strip())
    if found is None:
        known = ", ".join(c.code for c in shipped_catalogue().countries)
        raise ProgrammeError(f"unknown country {code!r} (one of {known})")
    return found.code


def _name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ProgrammeError("a municipality needs a name")
    if len(cleaned) > MAX_NAME:
        raise ProgrammeError(f"a municipality name has at most {MAX_NAME} characters")
    return cleaned


# --- municipalities ------------------------------------------------------------------------------


async def municipalities(
    tx: Tx, actor: Actor, *, country: str | None = None, status: str | None = None
) -> list[MunicipalityRow]:
    """Municipalities with their people, twinnings and last activity (coordinators)."""
    actor.require("coordinator")
    if status is not None and status not in STATUSES:
        raise ProgrammeError(f"status is one of {', '.join(STATUSES)}")
    return await tx.municipality_rows(country=_country(country) if country else None, status=status)


async def get(tx: Tx, actor: Actor, municipality_id: int) -> Municipality:
    """One municipality by id.

    Raises:
        NotFound: no such municipality.
    """
    actor.require("coordinator")
    found = await tx.municipality(municipality_id)
    if found is None:
        raise NotFound(f"no municipality #{municipality_id}")
    return found


async def find(tx: Tx, actor: Actor, name: str, country: str | None = None) -> Municipality:
    """The one municipality called `name` (or `#id`), merged ones followed.

    Raises:
        NotFound: none or several match (the message lists them).
    """
    actor.require("coordinator")
    text = name.strip()
    if text.startswith("#") and text[1:].isdigit():
        return await get(tx, actor, int(text[1:]))
    found = await tx.municipalities_called(text, _country(country) if country else None)
    if not found:
        raise NotFound(f"no municipality called {text!r}")
    if len(found) > 1:
        listed = ", ".join(f"{m.name} ({m.country}, #{m.id})" for m in found[:5])
        raise NotFound(f"{text!r} is ambiguous: {listed}; give the country or #id")
    return found[0]


async def add(
    tx: Tx, actor: Actor, name: str, country: str, now: datetime, *, region: str | None = None
) -> Municipality:
    """Add a confirmed municipality (audited).

    Raises:
        ProgrammeError: bad name or country, or the country already has one of that name.
    """
    actor.require("coordinator")
    cleaned, code = _name(name), _country(country)
    if await tx.municipality_named(cleaned, code) is not None:
        raise ProgrammeError(f"{cleaned} ({code}) is already in the list")
    region = (region or "").strip() or None
    created = await tx.add_municipality(cleaned, code, "user", region=region)
    created.status, created.edited_at = "confirmed", now
    await tx.session.flush()
    await audit(
        tx,
        actor.audit_name,
        ACTION_MUNICIPALITY,
        {"change": "add", "municipality": created.id, "name": cleaned, "country": code},
    )
    return created


async def rename(
    tx: Tx, actor: Actor, municipality_id: int, new_name: str, now: datetime
) -> Municipality:
    """Rename a municipality; the old name stays an alias, so people typing it still find it.

    Raises:
        ProgrammeError: bad name, or another municipality of that country has it.
    """
    place = await get(tx, actor, municipality_id)
    cleaned = _name(new_name)
    if cleaned == place.name:
        return place
    other = await tx.municipality_named(cleaned, place.country)
    if other is not None and other.id != place.id:
        raise ProgrammeError(f"{cleaned} ({place.country}) already exists: merge instead")
    before = place.name
    aliases = [a for a in place.aliases or () if a.casefold() != cleaned.casefold()]
    if before.casefold() not in {a.casefold() for a in aliases}:
        aliases.append(before)
    place.name, place.aliases, place.edited_at = cleaned, aliases, now
    await tx.session.flush()
    await audit(
        tx,
        actor.audit_name,
        ACTION_MUNICIPALITY,
        {"change": "rename", "municipality": place.id, "from": before, "to": cleaned},
    )
    return place


async def confirm(tx: Tx, actor: Actor, municipality_id: int, now: datetime) -> Municipality:
    """Confirm a proposed municipality: it is a real one, spelt right."""
    place = await get(tx, actor, municipality_id)
    if place.status == "merged":
        raise ProgrammeError(f"{place.name} was merged into another municipality")
    if place.status != "confirmed":
        place.status, place.edited_at = "confirmed", now
        await tx.session.flush()
        await audit(
            tx,
            actor.audit_name,
            ACTION_MUNICIPALITY,
            {"change": "confirm", "municipality": place.id, "name": place.name},
        )
    return place


async def merge(tx: Tx, actor: Actor, source_id: int, target_id: int, now: datetime) -> Moved:
    """Merge `source` into `target`: its people, runs and twinnings follow; its name leads there.

    Raises:
        ProgrammeError: the same municipality, or one already merged.
    """
    source = await get(tx, actor, source_id)
    target = await get(tx, actor, target_id)
    if source.id == target.id:
        raise ProgrammeError("a municipality cannot be merged into itself")
    if source.status == "merged" or target.status == "merged":
        raise ProgrammeError("one of them was already merged into another municipality")
    moved = await tx.move_municipality(source, target)
    source = await get(tx, actor, source_id)
    target = await get(tx, actor, target_id)
    names = {a.casefold() for a in target.aliases or ()} | {target.name.casefold()}
    target.aliases = [
        *(target.aliases or ()),
        *(n for n in (source.name, *(source.aliases or ())) if n.casefold() not in names),
    ]
    target.edited_at = now
    if target.status == "proposed":
        target.status = "confirmed"
    source.status, source.merged_into_id, source.edited_at = "merged", target.id, now
    await tx.session.flush()
    await audit(
        tx,
        actor.audit_name,
        ACTION_MUNICIPALITY,
        {
            "change": "merge",
            "municipality": source.id,
            "name": source.name,
            "into": target.id,
            "into_name": target.name,
            "users": moved.users,
            "runs": moved.runs,
            "twinnings": moved.twinnings,
        },
    )
    return moved


async def typed_in_onboarding(tx: Tx, typed: str, country: str) -> Municipality:
    """The municipality someone typed in onboarding.

    A known one (any case, an alias, a merged one followed), or else a new *proposed* one with
    its usual capitalisation, which works for them at once.
    """
    found = await tx.municipalities_called(typed, country)
    if found:
        return found[0]
    created = await tx.add_municipality(canonical_name(typed), country, source="user")
    if created.source == "user" and created.edited_at is None:
        created.status = "proposed"
        await tx.session.flush()
    return created


# --- twinnings -----------------------------------------------------------------------------------


async def twinnings(tx: Tx, actor: Actor) -> list[TwinningRow]:
    """Every twinning with its rhythm and each side's last check-in (coordinators)."""
    actor.require("coordinator")
    return await tx.twinning_rows()


def _slug(north: Municipality, south: Municipality) -> str:
    text = f"{north.name}-{south.name}".casefold()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:90] or "twinning"


async def add_twinning(
    tx: Tx,
    actor: Actor,
    north: str,
    south: str,
    now: datetime,
    *,
    since: int | None = None,
    checkin: str = "quarterly",
) -> Partnership:
    """Add a twinning between a Belgian (north) and a partner (south) municipality (audited).

    Raises:
        ProgrammeError: unknown or ambiguous municipalities, a bad rhythm or year, or a
            running twinning between the two already.
    """
    actor.require("coordinator")
    if checkin not in RHYTHMS:
        raise ProgrammeError(f"the check-in rhythm is one of {', '.join(RHYTHMS)}")
    if since is not None and not 1950 <= since <= now.year:
        raise ProgrammeError(f"the first year must be between 1950 and {now.year}")
    north_place = await find(tx, actor, north)
    south_place = await find(tx, actor, south)
    if north_place.id == south_place.id:
        raise ProgrammeError("a twinning needs two different municipalities")
    if north_place.country != "BE":
        raise ProgrammeError(
            f"the north side is a Belgian municipality ({north_place.name} "
            f"is in {north_place.country})"
        )
    for row in await tx.twinning_rows():
        if row.partnership.active and {row.north.id, row.south.id} == {
            north_place.id,
            south_place.id,
        }:
            raise ProgrammeError(f"{row.partnership.name} already exists")
    slug = base = _slug(north_place, south_place)
    number = 1
    while await tx.partnership(slug) is not None:
        number += 1
        slug = f"{base}-{number}"
    created = await tx.add_partnership(
        slug=slug,
        name=f"{north_place.name}–{south_place.name}",
        north_id=north_place.id,
        south_id=south_place.id,
        rhythm=checkin,
        started=date(since, 1, 1) if since else None,
        now=now,
    )
    await audit(
        tx,
        actor.audit_name,
        ACTION_TWINNING,
        {
            "change": "add",
            "twinning": created.slug,
            "north": north_place.name,
            "south": south_place.name,
            "checkin": checkin,
            "since": since,
        },
    )
    return created


async def end_twinning(tx: Tx, actor: Actor, partnership_id: int, now: datetime) -> Partnership:
    """End a running twinning today (audited); its check-ins stop.

    Raises:
        NotFound: no such twinning.
        ProgrammeError: it has ended already.
    """
    actor.require("coordinator")
    found = await tx.partnership_by_id(partnership_id)
    if found is None:
        raise NotFound(f"no twinning #{partnership_id}")
    if not found.active:
        raise ProgrammeError(f"{found.name} has ended already")
    found.active, found.ended, found.rhythm, found.edited_at = False, now.date(), None, now
    await tx.session.flush()
    await audit(
        tx,
        actor.audit_name,
        ACTION_TWINNING,
        {"change": "end", "twinning": found.slug, "ended": now.date().isoformat()},
    )
    return found


@dataclass(frozen=True)
class CountryChoice:
    """A country as forms offer it."""

    code: str
    name: str


def countries(lang: str) -> list[CountryChoice]:
    """The programme's countries, named in `lang`, sorted by name."""
    found = [CountryChoice(c.code, c.names.get(lang)) for c in shipped_catalogue().countries]
    return sorted(found, key=lambda c: c.name)


__all__ = [
    "ACTION_MUNICIPALITY",
    "ACTION_TWINNING",
    "RHYTHMS",
    "STATUSES",
    "CountryChoice",
    "Moved",
    "MunicipalityRow",
    "TwinningRow",
    "add",
    "add_twinning",
    "canonical_name",
    "confirm",
    "countries",
    "end_twinning",
    "find",
    "get",
    "merge",
    "municipalities",
    "rename",
    "twinnings",
    "typed_in_onboarding",
]
