"""Every benchmark, one command; exit 1 when any target is missed.

    python bench/run.py            # evaluation (3 and 20 rows), batch of 20,000 files, import, hostile input
    python bench/run.py --quick    # smaller batch sizes
    python bench/run.py --full     # the issue's sizes: 200,000 JSON Lines lines and files

Each figure is a ratio against its baseline measured in the same run, the median of several turns with
their min–max. Targets (issue 15): evaluation ≥ 80 % of a hand-written scorer reading the same bound
cases, on both shapes (must ≥ 60 % on 3 rows), with cross-checks ≥ 60 % of a hand-written scorer-and-checker; batch --jobs 1 ≥ 100 % of a
parse-only C-loader loop (must 85 %); JSON Lines ≥ 2× the YAML folder, linear; --jobs 2 ≥ 1.85×; peak
memory ≤ 1.1× at ten times the inputs; cold start ≤ 1.0× the bare imports. Import (issue 10): tables
per second per format against the format's own library. Hostile input (issue 13): every refusal under
2 s CPU and 200 MB; a batch with one poisoned case of each class under 2× the clean batch.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import batch  # noqa: E402
import batch_hostile  # noqa: E402
import evaluation  # noqa: E402
import hostile  # noqa: E402
import hostile_tables  # noqa: E402
import importing  # noqa: E402


def main() -> None:
    quick, full = "--quick" in sys.argv, "--full" in sys.argv
    print("== evaluation: compiled scheme vs hand-written scorer and checker ==")
    sys.argv = [sys.argv[0]]
    missed = evaluation.main() or []
    print("\n== engine batch, end to end ==")
    sys.argv = [sys.argv[0]] + (["--cases", "2000", "--turns", "2"] if quick else ["--full"] if full else [])
    missed += batch.main() or []
    print("\n== engine import: the corpus of published tables, per format ==")
    sys.argv = [sys.argv[0]] + (["--repeat", "2"] if quick else [])
    importing.main()
    print("\n== hostile input: CPU time and memory of each refusal ==")
    missed += [f"hostile: {name}" for name in hostile.main() or []]
    print("\n== hostile tables: CPU time and peak memory of each refusal, in a child process ==")
    sys.argv = [sys.argv[0]]
    missed += hostile_tables.main() or []
    print("\n== engine batch with one poisoned case of each hostile class ==")
    sys.argv = [sys.argv[0]] + (["--cases", "2000"] if quick else [])
    missed += batch_hostile.main() or []
    if missed:
        print("\ntargets missed: " + "; ".join(missed))
        sys.exit(1)
    print("\nevery target met")


if __name__ == "__main__":
    main()
