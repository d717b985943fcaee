"""Signing in with a one-time link, sessions, CSRF and the security headers."""

from __future__ import annotations

from datetime import timedelta

from tests.web.conftest import Console


async def test_without_a_session_every_page_says_sign_in_and_shows_no_data(
    console: Console,
) -> None:
    await console.user("7", name="Secret Person")
    client = await console.client()
    for path in ("/", "/people", "/municipalities", "/audit"):
        response = await client.get(path)
        text = await response.text()
        assert response.status == 401
        assert "Sign in through the bot" in text or "via le bot" in text
        assert "Secret Person" not in text


async def test_a_link_signs_in_once_and_the_cookie_is_httponly(console: Console) -> None:
    user = await console.user("42", name="Ana")
    client = await console.client()
    path = await console.link(user)
    assert path.startswith("/login/")
    looked = await client.get(path)  # a link preview: the link is not spent
    assert looked.status == 200
    response = await console.open_link(client, path)
    assert response.status == 303
    cookie = response.headers.getall("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("sdgbot_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie  # the console's address is http here
    page = await client.get("/")
    assert page.status == 200
    assert "Ana" in await page.text()
    # The same link again, in another browser: refused.
    other = await console.client()
    again = await console.open_link(other, path)
    assert again.status == 403
    assert (await other.get("/")).status == 401


async def test_an_expired_link_is_refused(console: Console) -> None:
    user = await console.user("42")
    path = await console.link(user)
    console.clock.now += timedelta(minutes=16)
    client = await console.client()
    response = await console.open_link(client, path)
    assert response.status == 403
    assert (await client.get("/")).status == 401


async def test_only_the_hash_of_a_link_is_stored(console: Console) -> None:
    from sqlalchemy import select

    from bot.storage.models import WebLoginToken

    path = await console.link(await console.user("42"))
    token = path.removeprefix("/login/")
    async with console.store.transaction() as tx:
        stored = (await tx.session.execute(select(WebLoginToken.token_hash))).scalars().all()
    assert len(stored) == 1 and token not in stored[0]


async def test_a_post_without_csrf_is_refused_and_changes_nothing(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    response = await client.post("/language", data={"lang": "nl"}, allow_redirects=False)
    assert response.status == 403
    wrong = await client.post(
        "/language", data={"lang": "nl", "csrf_token": "x"}, allow_redirects=False
    )
    assert wrong.status == 403
    page = await client.get("/")
    assert '<html lang="fr">' in await page.text() or '<html lang="en">' in await page.text()
    ok = await console.post(client, "/language", {"lang": "nl", "back": "/"})
    assert ok.status == 303
    assert '<html lang="nl">' in await (await client.get("/")).text()


async def test_sign_out_ends_the_session(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    response = await console.post(client, "/logout", {})
    assert response.status == 200
    assert (await client.get("/")).status == 401


async def test_a_demoted_coordinator_is_signed_out(console: Console) -> None:
    client = await console.client()
    user = await console.sign_in(client)
    assert (await client.get("/")).status == 200
    async with console.store.transaction() as tx:
        fresh = await tx.user(user.id)
        assert fresh is not None
        await tx.update_user(fresh, role="user")
    assert (await client.get("/")).status == 401


async def test_an_erased_person_is_signed_out(console: Console) -> None:
    from bot.programme.privacy import forget_user

    client = await console.client()
    user = await console.sign_in(client)
    async with console.store.transaction() as tx:
        fresh = await tx.user(user.id)
        assert fresh is not None
        await forget_user(tx, fresh)
    assert (await client.get("/")).status == 401


async def test_a_session_expires_when_left_alone(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    console.clock.now += timedelta(hours=9)
    assert (await client.get("/")).status == 401


async def test_plain_users_get_no_link(console: Console) -> None:
    import pytest

    from bot.programme.actors import NotAllowed

    user = await console.user("9", role="user")
    with pytest.raises(NotAllowed):
        await console.link(user)


async def test_security_headers(console: Console) -> None:
    client = await console.client()
    response = await client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    static = await client.get("/static/htmx.min.js")
    assert static.status == 200


async def test_overview_counts_this_month(console: Console) -> None:
    from datetime import UTC, datetime

    from bot.programme.overview import month_start

    assert month_start(datetime(2027, 3, 31, 23, 30, tzinfo=UTC)) == datetime(
        2027, 3, 31, 22, 0, tzinfo=UTC
    )  # 1 April 00:00 in Brussels
    async with console.store.transaction() as tx:
        for number in range(3):
            user = await tx.get_or_create_user("telegram", str(300 + number))
            await tx.update_user(user, last_seen_at=console.clock())
            await tx.create_run(user.id, "post2030", "1", state={}, started_at=console.clock())
        asking = await tx.get_or_create_user("telegram", "399", name="Asking")
        await tx.update_user(asking, requested_role="coordinator")
    client = await console.client()
    await console.sign_in(client)
    page = await (await client.get("/")).text()
    assert '<p class="big">3</p>' in page  # three people seen in the bot this month
    assert '<p class="big">1</p>' in page  # one request waiting
    assert "/people?requests=1" in page
