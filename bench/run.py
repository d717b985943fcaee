"""The benchmark: sdgbot against a bare python-telegram-bot baseline, in one run.

Usage::

    python -m bench.run            # the full run (a few minutes on 2 cores)
    python -m bench.run --quick    # tiny sizes, to check the harness works
    python -m bench.run --postgres postgresql://postgres@127.0.0.1:5432/postgres

Prints a table (metric, sdgbot, baseline, ratio, goal, pass/fail) and writes
``bench/results.json``. See ``bench/README.md`` for what each row measures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import matching
from bench import web as web_bench
from bench.broadcast import FIRST_WITHIN, BroadcastResult, missing, run_broadcast
from bench.conversations import Session, Sizes, Traffic, summary
from bench.database import fresh_database
from bench.fakeapi import UNLIMITED, BenchApi
from bench.procs import BotProcess, Memory, python
from bench.report import Row, percentile, render_table, write_results
from bench.scripts import ASSESSMENT, Step
from bench.seeding import RUN_NEXT, seed
from bench.users import SimulatedUser, run_together

__all__ = ["Plan", "main", "run"]

RESULTS = Path(__file__).resolve().parent / "results.json"


@dataclass(frozen=True)
class Plan:
    """The sizes of one benchmark run."""

    sizes: Sizes
    memory_users: int
    memory_runs: int
    broadcast_recipients: int
    matching_rounds: int
    web_people: int = 10_000
    web_runs: int = 5_000
    web_municipalities: int = 300
    web_requests: int = 30

    @classmethod
    def full(cls) -> Plan:
        """The sizes the issue asks for."""
        return cls(Sizes(400, 200, 5), 10_000, 2_000, 1_000, 5)

    @classmethod
    def quick(cls) -> Plan:
        """Tiny sizes: checks that every part runs, measures nothing meaningful."""
        return cls(
            Sizes(12, 6, 2),
            200,
            40,
            20,
            3,
            web_people=200,
            web_runs=40,
            web_municipalities=20,
            web_requests=2,
        )


BOTS = ("baseline", "baseline_http", "sdgbot")
"""The bots measured side by side: the bare bot, the bare bot on sdgbot's HTTP client, sdgbot."""


def _bot(kind: str, api: BenchApi, database_url: str, folder: Path) -> BotProcess:
    env = {"SDGBOT_TELEGRAM_TOKEN": api.token, "SDGBOT_TELEGRAM_API_URL": api.base_url}
    if kind.startswith("baseline"):
        http = "sdgbot" if kind == "baseline_http" else "httpx"
        argv = [python(), "-m", "bench.baseline", "--http", http]
        return BotProcess(kind, argv, env, folder / f"{kind}.log")
    env["SDGBOT_DATABASE_URL"] = database_url
    argv = [python(), "-m", "bench.sdgbot_proc", "--pace", "off"]
    return BotProcess(kind, argv, env, folder / f"{kind}.log")


async def _conversations(plan: Plan, folder: Path, postgres: str | None
                         ) -> tuple[dict[str, Traffic], dict[str, Memory]]:  # fmt: skip
    """The `BOTS` side by side, each scenario on each of them in turn.

    Returns:
        Each bot's figures and its memory at the end, by name.
    """
    async with fresh_database(postgres, folder, "sdgbot") as url:
        onboarded = (await seed(url, plan.sizes.assessment, 0)).first_id
        sessions: list[Session] = []
        try:
            for kind in BOTS:
                api = BenchApi(rate_limits=UNLIMITED)
                await api.start()
                bot = _bot(kind, api, url, folder)
                sessions.append(Session(api, bot, plan.sizes, baseline=kind != "sdgbot",
                                        onboarded=onboarded))  # fmt: skip
                await bot.start(api)
            for scenario in ("warm_up", "first_contact", "assessment", "usage"):
                for session in sessions:
                    _progress(f"{session.bot.name}: {scenario.replace('_', ' ')}")
                    await getattr(session, scenario)()
            return ({s.bot.name: s.finish() for s in sessions},
                    {s.bot.name: s.bot.memory() for s in sessions})  # fmt: skip
        finally:
            for session in sessions:
                await session.bot.stop(session.api)
                await session.api.stop()


async def _memory(plan: Plan, folder: Path, postgres: str | None) -> dict[str, Any]:
    """Seed users and runs, start sdgbot, let every user with a run answer; read its memory."""
    async with fresh_database(postgres, folder, "memory") as url:
        seeded = await seed(url, plan.memory_users, plan.memory_runs)
        api = BenchApi(rate_limits=UNLIMITED)
        await api.start()
        bot = _bot("sdgbot", api, url, folder)
        bot.log = folder / "sdgbot-memory.log"
        try:
            await bot.start(api)
            idle = bot.memory()
            users = [SimulatedUser(api, seeded.first_id + i, baseline=False)
                     for i in range(seeded.runs)]  # fmt: skip
            outcome = await run_together(users, [Step(RUN_NEXT[0], expect=RUN_NEXT[1])])
            loaded = bot.memory()
        finally:
            await bot.stop(api)
            await api.stop()
    return {"users": seeded.users, "runs": seeded.runs, "answers_per_run": seeded.answers_per_run,
            "idle_rss_mb": round(idle.rss_mb, 1), "rss_mb": round(loaded.rss_mb, 1),
            "peak_mb": round(loaded.peak_mb, 1), "answers_handled": outcome.updates,
            "p99_ms": round(percentile(outcome.latencies, 99) * 1000, 1)}  # fmt: skip


def _cpu_ms(traffic: Traffic) -> float:
    """The bot's CPU milliseconds per update over the assessment run."""
    return traffic.cpu_assessment * 1000 / max(traffic.assessment.updates, 1)


def _rows(sizes: Sizes, traffic: dict[str, Traffic], memory: dict[str, Any],
          base_memory: Memory, broadcast: BroadcastResult | str,
          times: matching.MatchTimes) -> list[Row]:  # fmt: skip
    base, same_http, sdg = traffic["baseline"], traffic["baseline_http"], traffic["sdgbot"]
    rows: list[Row] = []
    scenarios = ((f"{sizes.first_contact} users at once", "first_contact",
                  "one first message each"),
                 (f"{sizes.assessment} quick self-assessments", "assessment",
                  f"{len(ASSESSMENT)} inputs each, answering as soon as asked"))  # fmt: skip
    for label, outcome, how in scenarios:
        b, s = getattr(base, outcome), getattr(sdg, outcome)
        rows.append(Row.versus(f"{label}: updates/s", s.updates / s.seconds,
                               b.updates / b.seconds, goal="≥ 0.7 × baseline", at_least=0.7,
                               note=f"{s.updates} updates ({how}), from the first pushed to "
                                    f"the last answered"))  # fmt: skip
        for q in (50, 95):
            rows.append(Row.versus(f"{label}: latency p{q} ms",
                                   percentile(s.latencies, q) * 1000,
                                   percentile(b.latencies, q) * 1000))  # fmt: skip
        rows.append(Row.versus(f"{label}: latency p99 ms", percentile(s.latencies, 99) * 1000,
                               percentile(b.latencies, 99) * 1000, goal="≤ 1.5 × baseline",
                               at_most=1.5))  # fmt: skip
    for label, outcome, _ in scenarios:
        s, h = getattr(sdg, outcome), getattr(same_http, outcome)
        rows.append(Row.versus(f"{label}: updates/s, vs bare bot on sdgbot's HTTP",
                               s.updates / s.seconds, h.updates / h.seconds,
                               note="the bare bot with sdgbot's HTTP client instead of httpx: "
                                    "what sdgbot adds besides its transport"))  # fmt: skip
    harness = (
        sdg.harness_cpu_assessment / sdg.assessment.seconds,
        base.harness_cpu_assessment / base.assessment.seconds,
    )
    rows.append(Row.versus("assessment: bot CPU ms per update", _cpu_ms(sdg), _cpu_ms(base),
                           note="CPU time of the bot process alone; the fake API and the users "
                                f"used {harness[0]:.0%} of a core during sdgbot's run, "
                                f"{harness[1]:.0%} during the baseline's"))  # fmt: skip
    rows.append(Row.versus("assessment: bot CPU ms per update, vs bare bot on sdgbot's HTTP",
                           _cpu_ms(sdg), _cpu_ms(same_http)))  # fmt: skip
    if isinstance(broadcast, str):
        rows.append(Row.alone("broadcast: achieved / configured rate", None, goal="≥ 0.95",
                              note=f"not measured: {broadcast}"))  # fmt: skip
    else:
        rows.append(Row.alone("broadcast: achieved / configured rate",
                              broadcast.rate / broadcast.configured_rate, goal="≥ 0.95",
                              at_least=0.95,
                              note=f"{broadcast.delivered}/{broadcast.recipients} delivered at "
                                   f"{broadcast.rate:.1f}/s, configured "
                                   f"{broadcast.configured_rate:g}/s"))  # fmt: skip
        rows.append(Row.alone("broadcast: 429 answers", broadcast.too_many_requests, goal="= 0",
                              at_most=0))  # fmt: skip
    rows.append(Row.alone(f"memory: RSS MB, {memory['users']:,} users / {memory['runs']:,} runs",
                          memory["rss_mb"], goal="≤ 150 MB", at_most=150,
                          baseline=base_memory.rss_mb,
                          note=f"after every user with a run answered once; idle "
                               f"{memory['idle_rss_mb']} MB, peak {memory['peak_mb']} MB "
                               f"(baseline: RSS after its runs)"))  # fmt: skip
    for mode in ("normal", "lite"):
        usage = sdg.usage[mode]
        base_usage = base.usage["normal"]
        rows.append(Row.alone(f"assessment {mode}: text KB sent", usage.text_bytes / 1024,
                              goal="≤ 8 KB" if mode == "lite" else "",
                              at_most=8 if mode == "lite" else None,
                              baseline=base_usage.text_bytes / 1024,
                              note=f"{usage.inputs} inputs, {usage.messages} messages, "
                                   f"{usage.edits} edits, {usage.calls} API calls, "
                                   f"{usage.request_bytes / 1024:.1f} KB of requests"))  # fmt: skip
        rows.append(Row.alone(f"assessment {mode}: messages per step", usage.messages_per_input,
                              goal="≤ 1" if mode == "lite" else "",
                              at_most=1.0 if mode == "lite" else None,
                              baseline=base_usage.messages_per_input))  # fmt: skip
        rows.append(Row.alone(f"assessment {mode}: API calls per step",
                              usage.calls / usage.inputs,
                              baseline=base_usage.calls / base_usage.inputs))  # fmt: skip
    micros = times.micros
    rows.append(Row.alone("answer matching: p99 ms", percentile(micros, 99) / 1000, goal="≤ 1 ms",
                          at_most=1.0,
                          note=f"{len(micros)} typed answers over {times.questions} questions; "
                               f"p50 {percentile(micros, 50):.0f} µs, max "
                               f"{max(micros) / 1000:.2f} ms"))  # fmt: skip
    return rows


async def run(plan: Plan, folder: Path, postgres: str | None) -> tuple[list[Row], dict[str, Any]]:
    """Every measurement, in order; returns the table rows and the raw figures."""
    say = _progress
    say("answer matching")
    times = matching.measure(plan.matching_rounds)
    traffic, memories = await _conversations(plan, folder, postgres)
    say(f"sdgbot: memory with {plan.memory_users:,} users and {plan.memory_runs:,} runs")
    memory = await _memory(plan, folder, postgres)
    broadcast: BroadcastResult | str
    reason = missing()
    if reason is None:
        say(f"sdgbot: broadcast to {plan.broadcast_recipients:,} recipients")
        async with fresh_database(postgres, folder, "broadcast") as url:
            broadcast = await run_broadcast(url, plan.broadcast_recipients,
                                            folder / "sdgbot-broadcast.log")  # fmt: skip
        if broadcast.delivered == 0:
            broadcast = (f"`sdgbot run` sent none of the {broadcast.recipients} messages "
                         f"within {FIRST_WITHIN:.0f} s (no outbox scheduler?)")  # fmt: skip
    else:
        broadcast = reason
    say(f"web console: every page over {plan.web_people:,} people")
    web = await web_bench.measure(
        folder,
        postgres,
        people=plan.web_people,
        runs=plan.web_runs,
        municipalities=plan.web_municipalities,
        requests=plan.web_requests,
    )
    rows = _rows(plan.sizes, traffic, memory, memories["baseline"], broadcast, times)
    rows += web_bench.rows(web)
    details = {
        **{name: summary(figures) | {"rss_mb": round(memories[name].rss_mb, 1)}
           for name, figures in traffic.items()},
        "memory": memory,
        "broadcast": broadcast if isinstance(broadcast, str) else {
            "recipients": broadcast.recipients, "delivered": broadcast.delivered,
            "seconds": round(broadcast.seconds, 2), "rate": round(broadcast.rate, 2),
            "configured_rate": broadcast.configured_rate,
            "too_many_requests": broadcast.too_many_requests},
        "matching_us": {"count": len(times.micros), "questions": times.questions,
                        **{f"p{q}": round(percentile(times.micros, q), 1) for q in (50, 95, 99)},
                        "max": round(max(times.micros), 1)},
        "web": web.summary(),
        "database": "postgresql" if postgres else "sqlite",
        "quick": plan.memory_users < 1000,
        "load_average_1min": {"start": _LOAD_AT_START, "end": round(os.getloadavg()[0], 2)},
    }  # fmt: skip
    return rows, details


_STARTED = time.monotonic()
_LOAD_AT_START = round(os.getloadavg()[0], 2)  # other work on the machine skews the figures


def _progress(what: str) -> None:
    print(f"[{time.monotonic() - _STARTED:6.1f} s] {what}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit code 0 when it ran (failed goals show in the table), 1 if broken."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--postgres", metavar="URL",
                        help="run sdgbot on scratch databases of this server")  # fmt: skip
    parser.add_argument("--out", type=Path, default=None,
                        help="results file (default: bench/results.json)")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the logs and databases")
    args = parser.parse_args(argv)
    plan = Plan.quick() if args.quick else Plan.full()
    out = args.out if args.out is not None else (None if args.quick else RESULTS)
    with contextlib.ExitStack() as stack:
        if args.keep:
            folder = Path(tempfile.mkdtemp(prefix="sdgbot-bench-"))
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sdgbot-bench-")))
        try:
            rows, details = asyncio.run(run(plan, folder, args.postgres))
        except Exception as error:
            print(f"bench: {type(error).__name__}: {error}", file=sys.stderr)
            for log in sorted(folder.glob("*.log")):
                print(f"--- {log.name} (end)", file=sys.stderr)
                print(
                    "\n".join(log.read_text(errors="replace").splitlines()[-15:]), file=sys.stderr
                )
            return 1
    print(render_table(rows))
    if out is not None:
        write_results(out, rows, details)
        print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
