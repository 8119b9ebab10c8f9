"""The benchmark stays runnable (a smoke run on a few cases; speed itself is not a test)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_evaluation_benchmark_runs_and_the_two_scorers_agree():
    completed = subprocess.run([sys.executable, str(ROOT / "bench" / "evaluation.py"), "--cases", "60", "--repeat", "1"],
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert "totals and grades agree" in completed.stdout
    assert "of hand-written" in completed.stdout


def test_import_benchmark_runs_over_every_format_of_the_corpus():
    completed = subprocess.run([sys.executable, str(ROOT / "bench" / "importing.py"), "--quick"],
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    formats = [line.split()[0] for line in completed.stdout.splitlines()[1:] if line.startswith(".")]
    assert {".txt", ".html", ".docx", ".xlsx", ".xls", ".ods", ".pdf", ".md", ".csv"} <= set(formats)
