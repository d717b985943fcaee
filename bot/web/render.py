"""Pages from Jinja2 templates: autoescaped, one template per page, all extending `base.html`.

Everything a person typed reaches a page only through ``{{ … }}``, which escapes it; no
template marks user data safe. Templates get `t` (a console text in the visitor's language),
the visit (user, CSRF token, one-time note) and a few formatting filters.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from bot.i18n import LANGUAGE_NAMES, LANGUAGES
from bot.web.context import FLASH_COOKIE, visit
from bot.web.texts import console_texts

TEMPLATES = Path(__file__).parent / "templates"
DISPLAY_ZONE = ZoneInfo("Europe/Brussels")
"""Times are shown in the programme's zone (coordinators work from Brussels)."""


def _when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(DISPLAY_ZONE).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment (autoescape on for every template)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.globals["LANGUAGES"] = LANGUAGES
    env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    return env


def page(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    """Render `template` for this request's visitor."""
    current = visit(request)
    lang = current.lang
    texts = console_texts()

    def t(key: str, **values: Any) -> str:
        return texts.get(key, lang, **values)

    body = (
        environment()
        .get_template(template)
        .render(
            t=t,
            lang=lang,
            visit=current,
            user=current.user,
            csrf=current.csrf,
            path=request.path,
            flash=current.flash,
            **context,
        )
    )
    response = web.Response(text=body, content_type="text/html", status=status)
    if current.flash is not None:
        response.del_cookie(FLASH_COOKIE, path="/")
    return response


def fragment(request: web.Request, template: str, **context: Any) -> web.Response:
    """A piece of a page for htmx (same variables as `page`, no one-time note consumed)."""
    current = visit(request)
    texts = console_texts()
    body = (
        environment()
        .get_template(template)
        .render(
            t=lambda key, **values: texts.get(key, current.lang, **values),
            lang=current.lang,
            visit=current,
            user=current.user,
            csrf=current.csrf,
            path=request.path,
            flash=None,
            **context,
        )
    )
    return web.Response(text=body, content_type="text/html")


__all__ = ["environment", "fragment", "page"]
