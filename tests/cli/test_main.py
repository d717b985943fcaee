"""The `sdgbot` command as people use it: one readable line on errors, exit codes, piped chat."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

DANGLING = """id: dangling
version: 1
title: Test
languages: [en]
steps:
  - id: a
    kind: yesno
    text: Question?
    next: nowhere
"""


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("SDGBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SDGBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    return tmp_path


def test_validate_accepts_the_shipped_flows(env: Path) -> None:
    result = CliRunner().invoke(main, ["flows", "validate"])
    assert result.exit_code == 0, result.output


def test_validate_rejects_a_dangling_next_and_bad_yaml_with_file_and_line(env: Path) -> None:
    (env / "dangling.yaml").write_text(DANGLING, encoding="utf-8")
    (env / "broken.yaml").write_text(
        "id: broken\nsteps:\n  - id: a\n    kind: [\n", encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["flows", "validate", "dangling.yaml", "broken.yaml"])
    assert result.exit_code == 1
    assert "dangling.yaml:9: step 'a': 'next' points to 'nowhere'" in result.output
    assert "broken.yaml:5: YAML syntax error" in result.output


def test_schema_is_json_and_graph_is_mermaid(env: Path) -> None:
    schema = json.loads(CliRunner().invoke(main, ["flows", "schema"]).output)
    assert "choice" in json.dumps(schema)
    graph = CliRunner().invoke(main, ["flows", "graph", "onboarding"]).output
    assert graph.startswith("flowchart TD") and "municipality" in graph


def test_a_bad_setting_is_one_line(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDGBOT_DEFAULT_LANGUAGE", "de")
    result = CliRunner().invoke(main, ["flows", "list"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "SDGBOT_DEFAULT_LANGUAGE" in result.output


def test_an_unreachable_database_is_one_line(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDGBOT_DATABASE_URL", "postgresql://127.0.0.1:1/nothing")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "cannot reach the database" in result.output
    assert "Traceback" not in result.output


def test_piped_chat_runs_onboarding_and_export_shows_it(env: Path) -> None:
    answers = "1\nMarie Dupont\n1\n1\nHerent\n"
    chat = CliRunner().invoke(main, ["chat", "--lang", "fr", "--user", "marie"], input=answers)
    assert chat.exit_code == 0, chat.output
    assert "Herent (Belgique)" in chat.output
    exported = CliRunner().invoke(main, ["export", "onboarding", "--format", "json"])
    records = json.loads(exported.output)
    assert records[0]["status"] == "completed"
    assert records[0]["municipality"] == "Herent"  # the run's municipality, then the answer
    assert records[0]["answers"]["answer.municipality"] == "Herent"
    assert records[0]["user"] == "console:marie"
    csv_out = CliRunner().invoke(main, ["export", "onboarding", "--format", "csv"]).output
    header = csv_out.splitlines()[0]
    assert header.startswith("run,user,municipality,country,flow,version,status")
    assert "answer.municipality" in header.split(",")


@pytest.mark.skipif(shutil.which("sdgbot") is None, reason="the package is not installed")
def test_the_installed_command_carries_its_flows(tmp_path: Path) -> None:
    # Run from an empty folder: the flows and content must come from the installed package.
    result = subprocess.run(
        ["sdgbot", "flows", "list"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "onboarding" in result.stdout and "sdg_assessment" in result.stdout


def test_python_dash_m_works(env: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "flows", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent.parent,
    )
    assert result.returncode == 0, result.stderr
