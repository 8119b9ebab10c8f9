"""Every benchmark, one command: evaluation against a hand-written scorer, then `engine batch` end to end.

    python bench/run.py            # 2,000 cases for evaluation, 20,000 files for the batch
    python bench/run.py --quick    # 2,000 files for the batch

Then `engine import` on the corpus of real tables: tables per second per format, against parsing
the same files with the format's own library, and the readers' bounds. Targets (issues 2 and 6): evaluation ≥ 60 % of the hand-written scorer; batch with one job ≥ 70 %
of a plain PyYAML C-loader parse loop; two jobs ≥ 1.6× one; peak memory at N ≤ 1.2× at N/10;
a cold `engine score` ≤ 1.5× a bare import of its dependencies. Hostile input (issue 13): every refusal under
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
    quick = "--quick" in sys.argv
    print("== evaluation: compiled scheme vs hand-written scorer ==")
    sys.argv = [sys.argv[0]]
    evaluation.main()
    print("\n== engine batch, end to end ==")
    sys.argv = [sys.argv[0], "--cases", "2000" if quick else "20000"]
    batch.main()
    print("\n== engine import: the corpus of published tables, per format ==")
    sys.argv = [sys.argv[0]] + (["--repeat", "2"] if quick else [])
    importing.main()
    print("\n== hostile input: CPU time and memory of each refusal ==")
    hostile.main()
    print("\n== hostile tables: CPU time and peak memory of each refusal, in a child process ==")
    sys.argv = [sys.argv[0]]
    missed = hostile_tables.main() or []
    print("\n== engine batch with one poisoned case of each hostile class ==")
    sys.argv = [sys.argv[0]] + (["--cases", "2000"] if quick else [])
    missed += batch_hostile.main() or []
    if missed:
        print("\ntargets missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
