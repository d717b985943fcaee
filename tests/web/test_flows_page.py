"""``/flows``: validation and diagrams; ``/flows/<id>/simulate``: a sandbox that never counts."""

from __future__ import annotations

import html
import re
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.outputs.report.data import collect
from bot.programme.actors import Actor
from bot.programme.stats import quarter_stats
from bot.storage.models import SANDBOX_CHANNEL, FlowRun
from tests.web.conftest import Console

QUESTION = re.compile(r'class="bubble question" data-step="([^"]+)" data-kind="([^"]+)"')
OPTION = re.compile(
    r'name="seq" value="(\d+)">\s*<input type="hidden" name="option" '
    r'value="([^"]+)">'
)
TYPED = {
    "number": ["2030", "3", "12"],
    "text": ["Ça avance bien"],
    "date": ["20/09/2027"],
    "lookup": ["Herent"],
}


async def completed_runs(tx: Any) -> int:
    return int(
        (
            await tx.session.execute(
                select(func.count(FlowRun.id)).where(FlowRun.status == "completed")
            )
        ).scalar_one()
    )


async def test_list_and_diagram(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    page = await (await client.get("/flows")).text()
    assert "sdg_assessment" in page and "fr, nl, es, en" in page
    diagram = await (await client.get("/flows/post2030")).text()
    assert 'class="graph"' in diagram and 'href="#s-' in diagram and "flowchart TD" in diagram
    assert (await client.get("/flows/nope")).status == 404


def _answer(page: str, seen: set[str]) -> dict[str, str] | None:
    """The form fields of a plausible answer to the page's last question (None: no question)."""
    if 'name="text" value="1"' in page:  # a confirmation: yes
        return {"text": "1"}
    questions = QUESTION.findall(page)
    if not questions:
        return None
    step, kind = questions[-1]
    options = OPTION.findall(page[page.rindex('data-step="' + step) :])
    repeat = step in seen
    tries = sum(1 for s in seen if s.startswith(step + "#"))
    if 'class="bubble error"' in page:  # the last answer was refused: try another one
        seen.add(f"{step}#{tries}")
        tries += 1
    seen.add(step)
    if kind == "ratings":
        count = len({option.split("=")[0] for _, option in options}) or 1
        return {"text": " ".join(["3"] * count)}
    if kind == "yesno" and options:
        return {"action": "option", "seq": options[0][0], "option": "no" if repeat else "yes"}
    if kind == "scale" and options:
        seq, option = options[min(2, len(options) - 1)]
        return {"action": "option", "seq": seq, "option": option}
    if 'value="submit"' in page and options:
        return {"action": "multi", "seq": options[0][0], "option": options[0][1]}
    if options:
        return {"action": "option", "seq": options[0][0], "option": options[0][1]}
    candidates = TYPED.get(kind, ["3", "2030"])
    return {"text": candidates[tries % len(candidates)]}


async def walk(console: Console, client: TestClient, flow_id: str, lang: str) -> str:
    path = f"/flows/{flow_id}/simulate"
    page = await (
        await console.post(client, path, {"action": "start", "lang": lang}, page=path)
    ).text()
    seen: set[str] = set()
    for _ in range(300):
        fields: Any = _answer(page, seen)
        if fields is None:
            return page
        token = await console.csrf(client, "/")
        if fields.get("action") == "multi":
            await client.post(
                path,
                data={
                    "action": "option",
                    "seq": fields["seq"],
                    "option": fields["option"],
                    "lang": lang,
                    "csrf_token": token,
                },
            )
            fields = {"action": "submit", "seq": fields["seq"]}
        response = await client.post(path, data={**fields, "lang": lang, "csrf_token": token})
        assert response.status == 200, await response.text()
        page = await response.text()
    raise AssertionError("the flow did not end")


async def test_the_simulator_walks_a_flow_to_its_end_and_nothing_counts(console: Console) -> None:
    from bot.programme.exports import _records

    client = await console.client()
    await console.sign_in(client)
    start = await (await client.get("/flows/post2030/simulate")).text()
    assert "Commencer" in start or "Start" in start
    last = await walk(console, client, "post2030", "es")
    assert "Le questionnaire est terminé." in html.unescape(last)  # the console speaks fr
    assert "¿Algo más?" in last  # the sandbox person was spoken to in Spanish
    async with console.store.transaction(readonly=True) as tx:
        sandbox = [u for u in await tx.users(reachable_only=False) if u.channel == SANDBOX_CHANNEL]
        assert len(sandbox) == 1 and sandbox[0].language == "es"
        completed = await completed_runs(tx)
        stats = await quarter_stats(tx, Actor.terminal("t"), console.clock())
    assert completed == 1  # the run exists, for the sandbox person…
    assert stats.completed == 0 and stats.people == 0  # …but counts nowhere
    exported = [r async for r in _records(console.store, "post2030", None, None, None)]
    assert exported == []
    report = await collect(console.store, console.clock())
    assert report.users == 1  # the coordinator only
    assert all(d.started == 0 for d in report.dropoffs.values()) or not report.dropoffs
    # Starting again erases the sandbox person and their runs.
    await console.post(
        client,
        "/flows/post2030/simulate",
        {"action": "start", "lang": "fr"},
        page="/flows/post2030/simulate",
    )
    async with console.store.transaction(readonly=True) as tx:
        again = [u for u in await tx.users(reachable_only=False) if u.channel == SANDBOX_CHANNEL]
        assert await completed_runs(tx) == 0
    assert len(again) == 1 and again[0].language == "fr"


async def test_simulator_answers_are_escaped(console: Console) -> None:
    client = await console.client()
    await console.sign_in(client)
    path = "/flows/onboarding/simulate"
    await console.post(client, path, {"action": "start", "lang": "en"}, page=path)
    token = await console.csrf(client, "/")
    await client.post(
        path,
        data={"action": "option", "seq": "1", "option": "en", "lang": "en", "csrf_token": token},
    )
    page = await (
        await client.post(
            path, data={"text": "<script>alert(1)</script>", "lang": "en", "csrf_token": token}
        )
    ).text()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
