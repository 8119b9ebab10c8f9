"""The benchmark stays runnable (a smoke run on a few cases; speed itself is not a test)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_evaluation_benchmark_runs_and_the_two_scorers_agree():
    completed = subprocess.run([sys.executable, str(ROOT / "bench" / "evaluation.py"), "--cases", "60", "--repeat", "1"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "totals and grades agree" in completed.stdout
    assert "of hand-written" in completed.stdout
