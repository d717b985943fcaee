"""The benchmark harness runs end to end with tiny sizes (``python -m bench.run --quick``).

No timing is asserted: the machine running the tests is not a benchmark machine. What is
checked is that every scenario ran against every bot (the bare bot on python-telegram-bot's
HTTP client and on sdgbot's, and sdgbot) and produced the figures the table needs.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import Row, percentile, render_table

ROOT = Path(__file__).resolve().parents[2]


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
    assert math.isnan(percentile([], 50))


def test_rows_judge_ratios_and_absolute_goals() -> None:
    fast = Row.versus("updates/s", 80.0, 100.0, goal="≥ 0.7 × baseline", at_least=0.7)
    slow = Row.versus("p99 ms", 200.0, 100.0, goal="≤ 1.5 × baseline", at_most=1.5)
    small = Row.alone("RSS MB", 120.0, goal="≤ 150 MB", at_most=150)
    missing = Row.alone("broadcast", None, goal="≥ 0.95", note="not measured: no sender")
    assert (fast.ratio, fast.passed) == (0.8, True)
    assert (slow.ratio, slow.passed) == (2.0, False)
    assert small.passed is True and missing.passed is None
    table = render_table([fast, slow, small, missing])
    assert "FAIL" in table and "not measured" in table and "- broadcast: not measured" in table


@pytest.mark.slow
def test_quick_run_measures_every_scenario(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, "PTB_TIMEDELTA": "true"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "metric" in done.stdout and "baseline" in done.stdout
    results = json.loads(out.read_text())
    details = results["details"]
    for bot in ("baseline", "baseline_http", "sdgbot"):
        figures = details[bot]
        assert figures["first_contact"]["updates"] == 12  # Plan.quick(): 12 users, one message
        assert figures["assessment"]["updates"] == 6 * 18  # 6 users, 18 inputs each
        assert figures["requests_rejected"] == 0 and figures["too_many_requests"] == 0
        assert figures["usage"]["normal"]["inputs"] == 18
    assert details["sdgbot"]["usage"]["lite"]["messages"] > 0
    assert details["memory"]["answers_handled"] == details["memory"]["runs"] == 40
    assert details["memory"]["rss_mb"] > 0
    assert details["matching_us"]["count"] > 500
    assert len(details["web"]["pages"]) == 14 and details["web"]["people"] > 0
    rows = {row["metric"]: row for row in results["rows"]}
    broadcast = rows["broadcast: achieved / configured rate"]
    if broadcast["sdgbot"] is None:
        assert broadcast["note"].startswith("not measured: ")
    else:
        assert details["broadcast"]["delivered"] == details["broadcast"]["recipients"]
    measured = [row for name, row in rows.items() if not name.startswith("broadcast")]
    assert all(row["sdgbot"] is not None for row in measured)
    same_http = [row for name, row in rows.items() if name.endswith("vs bare bot on sdgbot's HTTP")]
    assert len(same_http) == 3 and all(row["baseline"] > 0 for row in same_http)


async def test_web_pages_are_timed_and_weighed(tmp_path: Path) -> None:
    from bench import web

    result = await web.measure(tmp_path, None, people=60, runs=10, municipalities=10, requests=2)
    assert [page.path.split("/")[1] for page in result.pages] == [
        template.split("/")[1] for template in web.PAGES
    ]
    for page in result.pages:
        assert len(page.server_ms) == 2 and all(ms > 0 for ms in page.server_ms)
        assert page.html_bytes > 1000 and page.kb <= web.PAGE_KB, page.path
    assert any(page.asset_bytes > 50_000 for page in result.pages)  # htmx where it is used
    rows = web.rows(result)
    assert [row.metric for row in rows] == [
        "web console: slowest page p95 server ms",
        "web console: heaviest page KB with assets",
    ]
