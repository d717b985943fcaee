"""`sdgbot municipalities list|add|rename|confirm|merge` and `sdgbot twinnings list|add|end`.

Thin over `bot.programme.places`: the terminal acts as an admin (``cli:<login>`` in the audit
log); a bad name, country or rhythm ends with one line and exit code 1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import click

from bot.cli.support import actor, counted, load_settings, run_coroutine
from bot.programme import places
from bot.storage.store import Store
from bot.storage.tx import Tx

T = TypeVar("T")


def _now() -> datetime:
    return datetime.now(UTC)


def _in_transaction(fn: Callable[[Tx], Awaitable[T]], *, readonly: bool = False) -> T:
    """Run `fn` in one transaction of the configured database."""

    async def go() -> T:
        async with await Store.open(load_settings().database_url) as store:
            return await store.run_in_transaction(fn, readonly=readonly)

    return run_coroutine(go())


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "—"


@click.group("municipalities")
def municipalities() -> None:
    """List and keep the municipalities (add, rename, confirm, merge)."""


@municipalities.command("list")
@click.option("--country", help="Only this country (ISO code, e.g. BJ).")
@click.option("--proposed", is_flag=True, help="Only those typed in onboarding, to check.")
def municipalities_list(country: str | None, proposed: bool) -> None:
    """List municipalities: id, name, country, status, people, twinnings, last activity."""
    rows = _in_transaction(
        lambda tx: places.municipalities(
            tx, actor(), country=country, status="proposed" if proposed else None
        ),
        readonly=True,
    )
    for row in rows:
        m = row.municipality
        click.echo(
            f"{m.id:>5}  {m.name[:30]:<30} {m.country}  {m.status:<9} "
            f"{row.people:>5}  {_when(row.last_activity)}  {', '.join(row.twinnings)}"
        )
    click.echo(counted(len(rows), "municipality", "municipalities"), err=True)


@municipalities.command("add")
@click.argument("name")
@click.option("--country", required=True, help="ISO code of its country (BE, BJ, EC…).")
@click.option("--region", help="Province, department or region.")
def municipalities_add(name: str, country: str, region: str | None) -> None:
    """Add a municipality."""
    created = _in_transaction(
        lambda tx: places.add(tx, actor(), name, country, _now(), region=region)
    )
    click.echo(f"added #{created.id} {created.name} ({created.country})")


@municipalities.command("rename")
@click.argument("municipality")
@click.argument("new_name")
def municipalities_rename(municipality: str, new_name: str) -> None:
    """Rename MUNICIPALITY (a name or #id); the old name still finds it."""

    async def rename(tx: Tx) -> str:
        found = await places.find(tx, actor(), municipality)
        return (await places.rename(tx, actor(), found.id, new_name, _now())).name

    click.echo(f"renamed to {_in_transaction(rename)}")


@municipalities.command("confirm")
@click.argument("municipality")
def municipalities_confirm(municipality: str) -> None:
    """Confirm a proposed MUNICIPALITY (a name or #id)."""

    async def confirm(tx: Tx) -> str:
        found = await places.find(tx, actor(), municipality)
        return (await places.confirm(tx, actor(), found.id, _now())).name

    click.echo(f"confirmed {_in_transaction(confirm)}")


@municipalities.command("merge")
@click.argument("municipality")
@click.argument("into")
def municipalities_merge(municipality: str, into: str) -> None:
    """Merge MUNICIPALITY into INTO (names or #ids): its people, runs and twinnings follow."""

    async def merge(tx: Tx) -> places.Moved:
        source = await places.find(tx, actor(), municipality)
        target = await places.find(tx, actor(), into)
        return await places.merge(tx, actor(), source.id, target.id, _now())

    moved = _in_transaction(merge)
    click.echo(
        f"merged: {counted(moved.users, 'person', 'people')}, "
        f"{counted(moved.runs, 'run', 'runs')}, "
        f"{counted(moved.twinnings, 'twinning side', 'twinning sides')} moved"
    )


@click.group("twinnings")
def twinnings() -> None:
    """List and keep the twinnings (add, end)."""


@twinnings.command("list")
def twinnings_list() -> None:
    """List twinnings: id, name, check-in rhythm, each side's last check-in."""
    rows = _in_transaction(lambda tx: places.twinnings(tx, actor()), readonly=True)
    for row in rows:
        p = row.partnership
        state = p.rhythm or "—" if p.active else f"ended {p.ended}"
        click.echo(
            f"{p.id:>4}  {p.name[:40]:<40} {state:<12} "
            f"north {_when(row.north_checkin)}  south {_when(row.south_checkin)}"
        )
    click.echo(counted(len(rows), "twinning", "twinnings"), err=True)


@twinnings.command("add")
@click.argument("north")
@click.argument("south")
@click.option("--since", type=int, help="First year of the twinning.")
@click.option(
    "--checkin",
    type=click.Choice(places.RHYTHMS),
    default="quarterly",
    show_default=True,
    help="How often both sides check in.",
)
def twinnings_add(north: str, south: str, since: int | None, checkin: str) -> None:
    """Add a twinning between NORTH (Belgian) and SOUTH (partner) municipalities."""
    created = _in_transaction(
        lambda tx: places.add_twinning(
            tx, actor(), north, south, _now(), since=since, checkin=checkin
        )
    )
    click.echo(f"added #{created.id} {created.name} ({created.slug})")


@twinnings.command("end")
@click.argument("twinning_id", type=int)
def twinnings_end(twinning_id: int) -> None:
    """End the twinning TWINNING_ID today (see `sdgbot twinnings list`)."""
    ended = _in_transaction(lambda tx: places.end_twinning(tx, actor(), twinning_id, _now()))
    click.echo(f"ended {ended.name}")


__all__ = ["municipalities", "twinnings"]
