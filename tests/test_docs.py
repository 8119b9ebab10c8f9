"""The README's commands are the ones that work: CI runs its test command, and its score command runs."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    return [line.strip() for line in README.splitlines() if line.startswith("    pip install")]


def test_readme_gives_exactly_two_commands():
    first, second = readme_commands()
    assert first.startswith("pip install . && engine score ")
    assert second == 'pip install ".[test]" && python -m pytest && engine test'


def test_ci_runs_the_readme_test_command():
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_commands()[1] in ci_lines


def test_readme_score_command_prints_the_table_it_shows(monkeypatch):
    command = readme_commands()[0].split(" && ", 1)[1]
    args = shlex.split(command)[1:]
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0
    shown = README.split("## What `engine score` prints", 1)[1].split("```")[1].strip("\n")
    assert result.stdout.strip("\n") == shown


def test_installed_engine_works_from_any_directory(tmp_path):
    """The console script of this environment (a non-editable install in CI) finds its JSON Schemas."""
    script = Path(sys.executable).parent / "engine"
    assert script.exists(), "install the package first: pip install '.[test]'"
    command = readme_commands()[0].split(" && ", 1)[1]
    _, _, scheme, case = shlex.split(command)
    completed = subprocess.run([str(script), "score", str(ROOT / scheme), str(ROOT / case), "--format", "json"],
                               cwd=tmp_path, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert '"total": 100.00,' in completed.stdout
    assert '"grade": "优"' in completed.stdout


def test_every_command_has_help():
    for name, command in main.commands.items():
        assert command.help, f"engine {name} has no help text"
        assert f"engine {name}" in README, f"the README does not mention engine {name}"
