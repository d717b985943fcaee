"""The console in a real browser: Debian's Chromium driven by Playwright.

What people do, end to end: sign in with a one-time link (a used or expired one is refused), add
a municipality and a twinning, compose a broadcast in two languages that reaches each person
once in their language on the fake Bot API and shows on its delivery page, see a hostile name
as text, walk a flow in the simulator without it counting anywhere, a POST without its CSRF
token refused. Skipped when Chromium is missing, unless ``SDGBOT_REQUIRE_BROWSER=1`` (CI),
where that fails. Never ``playwright install``: it downloads browsers, which fails here.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.programme import broadcasts
from bot.programme.actors import Actor
from bot.scheduling.rate import Pacer
from bot.scheduling.runner import build_planner, build_sender
from bot.storage.models import User
from tests.web.conftest import Console

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("SDGBOT_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]


def _unavailable(reason: str) -> None:
    if os.environ.get("SDGBOT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (SDGBOT_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def browser_console(sqlite_console: Console) -> Console:
    """A console on SQLite (the browser tests are about pages, not dialects)."""
    return sqlite_console


@pytest.fixture
async def page(browser_console: Console) -> AsyncIterator[Any]:
    """A fresh browser tab; a script dialog (an injected alert) fails the test."""
    executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    if executable is None:
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
        raise
    dialogs: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=ARGS)
        context = await browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
        tab = await context.new_page()
        tab.on("dialog", lambda dialog: dialogs.append(dialog.message))
        tab.set_default_timeout(15_000)
        try:
            yield tab
        finally:
            await browser.close()
    assert dialogs == [], f"a script ran in the page: {dialogs}"


def url(console: Console, path: str) -> str:
    return str(console.server.make_url(path))


async def sign_in(console: Console, page: Any, external_id: str = "42", **fields: Any) -> User:
    user = await console.user(external_id, **fields)
    await page.goto(url(console, await console.link(user)))
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(url(console, "/"))
    return user


async def test_sign_in_once_and_refused_links(browser_console: Console, page: Any) -> None:
    console = browser_console
    user = await console.user("42", name="Ana Coordinator", language="en")
    link = url(console, await console.link(user))
    await page.goto(link)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(url(console, "/"))
    assert await page.get_by_role("heading", name="The programme this month").is_visible()
    await page.get_by_role("button", name="Sign out").click()
    assert await page.get_by_text("You are signed out.").is_visible()
    await page.goto(link)  # the same link again
    await page.get_by_role("button", name="Sign in").click()
    assert await page.get_by_text("This link no longer works").is_visible()
    expired = url(console, await console.link(user))
    console.clock.now += timedelta(minutes=16)
    await page.goto(expired)
    await page.get_by_role("button", name="Sign in").click()
    assert await page.get_by_text("This link no longer works").is_visible()
    await page.goto(url(console, "/people"))
    assert await page.get_by_text("Sign in through the bot").is_visible()


async def test_a_post_without_csrf_is_refused(browser_console: Console, page: Any) -> None:
    console = browser_console
    await sign_in(console, page, language="en")
    response = await page.context.request.post(
        url(console, "/municipalities"), form={"name": "Forged", "country": "BJ"}
    )
    assert response.status == 403
    async with console.store.transaction(readonly=True) as tx:
        assert await tx.municipality_named("Forged", "BJ") is None


async def test_add_a_municipality_and_a_twinning(browser_console: Console, page: Any) -> None:
    console = browser_console
    await sign_in(console, page, language="en")
    await page.goto(url(console, "/municipalities"))
    await page.get_by_text("Add a municipality").click()
    await page.get_by_label("Name", exact=True).fill("Bohicon")
    await page.get_by_label("Country", exact=True).last.select_option("BJ")
    await page.get_by_role("button", name="Add").click()
    assert await page.get_by_role("heading", name="Bohicon").is_visible()
    await page.goto(url(console, "/twinnings"))
    await page.get_by_text("Add a twinning").click()
    await page.get_by_label("Belgian municipality").fill("Aartselaar")
    await page.get_by_label("Partner municipality").fill("bohicon")
    await page.get_by_label("Since (year)").fill("2020")
    await page.get_by_role("button", name="Add").click()
    assert await page.get_by_text("Aartselaar–Bohicon").is_visible()


async def test_a_broadcast_in_two_languages_reaches_each_person_once(
    browser_console: Console, page: Any
) -> None:
    from telegram import Bot

    from tests.fakes.bot_api import FakeBotApi
    from tests.scheduling.ptb_transport import BotTransport

    console = browser_console
    people = {"7001": "fr", "7002": "nl", "7003": "es"}
    async with console.store.transaction() as tx:
        for external, lang in people.items():
            await tx.get_or_create_user(
                "telegram", external, name=f"Person {external}", language=lang, country="BE"
            )
    await sign_in(console, page, language="en")
    await page.goto(url(console, "/broadcasts"))
    await page.get_by_label("Text in Français").fill("Bonjour, l’atelier ODD a lieu jeudi.")
    await page.get_by_label("Text in Nederlands").fill("Dag, de SDG-workshop is donderdag.")
    await page.get_by_label("Audience").fill("country:BE role:user")
    await page.get_by_text("People reached: 3").wait_for()  # the live count (htmx)
    await page.get_by_role("button", name="Preview").click()
    assert await page.locator(".card").get_by_text("People reached: 3").is_visible()
    await page.get_by_role("button", name="Schedule it").click()
    await page.get_by_text("The broadcast is scheduled.").wait_for()
    async with FakeBotApi() as api:
        for external in people:
            api.user(int(external), first_name=f"Person {external}")
        async with Bot(api.token, base_url=api.base_url) as bot:
            settings = console.service.settings
            await build_planner(console.service, settings).run_once()
            sender = build_sender(console.service, BotTransport(bot), settings, pacer=Pacer(1000))
            assert await sender.run_once() == 3
            assert await sender.run_once() == 0  # nothing twice
        texts = {external: [m.plain for m in api.messages_to(int(external))] for external in people}
    assert [len(t) for t in texts.values()] == [1, 1, 1]
    assert "Bonjour" in texts["7001"][0] and "Dag" in texts["7002"][0]
    assert "Bonjour" in texts["7003"][0]  # no Spanish text: the first one given
    await page.reload()
    for external in people:
        assert await page.get_by_text(f"Person {external}").is_visible()
    assert await page.locator(".badge.sent").count() >= 3


async def test_a_hostile_name_is_shown_as_text(browser_console: Console, page: Any) -> None:
    console = browser_console
    hero = "<script>alert(1)</script>"
    async with console.store.transaction() as tx:
        await tx.get_or_create_user("telegram", "666", name=hero)
    await sign_in(console, page, language="en")
    await page.goto(url(console, "/people"))
    assert await page.get_by_text(hero).is_visible()
    await page.goto(url(console, "/flows/onboarding/simulate"))
    await page.get_by_role("button", name="Start").click()
    await page.get_by_role("button", name="English").click()
    await page.get_by_label("Your answer").fill(hero)
    await page.get_by_role("button", name="Send").click()
    assert await page.get_by_text(hero).first.is_visible()


async def test_the_simulator_walks_a_flow_to_its_end_and_it_counts_nowhere(
    browser_console: Console, page: Any
) -> None:
    from bot.programme.exports import _records

    console = browser_console
    await sign_in(console, page, language="en")
    await page.goto(url(console, "/flows/post2030/simulate"))
    await page.get_by_label("Language").last.select_option("en")
    await page.get_by_role("button", name="Start").click()
    for _ in range(60):
        if await page.get_by_text("The questionnaire is finished.").count():
            break
        question = page.locator(".bubble.question").last
        kind = await question.get_attribute("data-kind") if await question.count() else None
        options = page.locator(".chat form.inline button")
        refused = await page.locator(".bubble.error").count()
        if kind in {"choice", "yesno", "scale", "multi"} and await options.count():
            await options.first.click()
            if kind == "multi":
                await page.locator(".chat form.inline button.primary").click()
        else:
            await page.get_by_label("Your answer").fill("3" if refused else "2030")
            await page.get_by_role("button", name="Send").click()
    assert await page.get_by_text("The questionnaire is finished.").is_visible()
    exported = [r async for r in _records(console.store, "post2030", None, None, None)]
    assert exported == []


async def test_overview_screenshot(browser_console: Console, page: Any, tmp_path: Path) -> None:
    """The overview with some activity, as the README shows it."""
    console = browser_console
    async with console.store.transaction() as tx:
        places = [await tx.add_municipality(name, "BE") for name in ("Herent", "Aalst", "Gent")]
        for number in range(14):
            user = await tx.get_or_create_user(
                "telegram",
                str(8000 + number),
                name=f"Person {number}",
                language="fr",
                country="BE",
                municipality_id=places[number % 3].id,
            )
            await tx.update_user(user, last_seen_at=console.clock())
            if number < 2:
                await tx.update_user(user, requested_role="coordinator")
            await tx.create_run(
                user.id,
                "sdg_assessment",
                "1",
                state={},
                municipality_id=user.municipality_id,
                started_at=console.clock(),
            )
    await broadcasts.create(
        console.store,
        Actor.terminal("ana"),
        texts={"*": "Atelier ODD jeudi"},
        audience=[],
        at=console.clock() + timedelta(days=1),
        now=console.clock(),
    )
    await sign_in(console, page, name="Ana", language="en")
    await page.goto(url(console, "/"))
    shot = tmp_path / "overview.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("SDGBOT_WRITE_SCREENSHOT") == "1":
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copy(shot, REPO / "docs" / "console-overview.png")
