"""`sdgbot vlr MUNICIPALITY --lang xx --out FILE`: a Voluntary Local Review starter.

A thin caller of `bot.programme.vlr.write_vlr`: the document (DOCX or HTML, by the file's
extension) follows the UCLG / UN-Habitat guidelines and is filled with the municipality's
answers; "✍" marks what people must write.
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.support import actor, counted, fail, load_settings, run_coroutine
from bot.i18n import LANGUAGES
from bot.programme.actors import NotAllowed, NotFound


@click.command("vlr")
@click.argument("municipality")
@click.option(
    "--lang", type=click.Choice(list(LANGUAGES)), required=True, help="Language of the document."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="FILE.docx (Word) or FILE.html (a web page).",
)
@click.option("--country", help="The municipality's country (ISO code), if its name is not unique.")
def vlr(municipality: str, lang: str, out: Path, country: str | None) -> None:
    """Write a Voluntary Local Review starter for MUNICIPALITY from its answers."""
    from bot.programme.vlr import VlrError, write_vlr

    try:
        report = run_coroutine(
            write_vlr(load_settings(), actor(), municipality, lang=lang, out=out, country=country)
        )
    except (VlrError, NotFound) as exc:
        fail(str(exc))
    except NotAllowed as exc:
        fail(str(exc), 1)
    click.echo(
        f"{out}: VLR starter for {report.municipality} ({lang}); "
        f"{counted(len(report.tools), 'tool', 'tools')} answered, "
        f"{counted(len(report.heroes), 'hero', 'heroes')} with consent"
    )
