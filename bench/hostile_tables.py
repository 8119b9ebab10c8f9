"""Hostile tables benchmark: the CPU time and peak memory of each entry of tests/hostile/tables.

    python bench/hostile_tables.py [--only ID-PART] [--engine-root DIR]

Each entry's files are made as the corpus test makes them, and its command (`engine import`, `score`,
`check`, `batch`) is run as a user would run it, in a child process: printed are the child's CPU seconds
(user + system, so a busy machine does not inflate them) and its peak resident memory (ru_maxrss from
wait4, which sees what lxml and calamine allocate outside Python), each against the targets — 2 s and
200 MB — beside a baseline (the same interpreter importing a plain nine-row table), and the count over a
target. The test suite asserts only outcomes; the costs are measured here. `--engine-root` runs another
checkout's engine on the same files (to see what an entry cost before a fix); a child killed by a signal
or past 120 s of CPU or 8 GB of address space is reported as such.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.load import load_document  # noqa: E402

SECONDS, MEGABYTES = 2.0, 200
CLASS = ROOT / "tests" / "hostile" / "tables"
PLACES = {"root": str(ROOT), "project": str(ROOT / "schemes/project-self-eval/2023.yaml")}
CPU_CEILING = 120  # seconds: a child past this is stopped and reported as such
MEMORY_CEILING = 8 * 1024 ** 3  # bytes of address space: past it an allocation fails (a crash, reported)


def _maker(name: str):  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("hostile_tables_make", CLASS / "make.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def _fill(text: str, places: dict[str, str]) -> str:
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    return text


def measure(arguments: list[str], work: Path, engine_root: Path) -> tuple[float, float, int]:
    """(CPU seconds, peak MB, exit status or -signal) of `python -m engine ARGS` run in `work`."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (CPU_CEILING, CPU_CEILING + 5))
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))

    environment = {**os.environ, "PYTHONPATH": str(engine_root), "ENGINE_DEBUG": ""}
    child = subprocess.Popen([sys.executable, "-m", "engine", *arguments], cwd=work, env=environment,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=limit)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode


def entries(only: str | None) -> list[dict]:
    found = load_document(CLASS / "manifest.yaml").data
    return [entry for entry in found if not only or only in entry["id"]]


def baseline(engine_root: Path) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        _maker("xlsx_table")(work / "t.xlsx")
        seconds, megabytes, _ = measure(["import", str(work / "t.xlsx")], work, engine_root)
    return seconds, megabytes


def main() -> list[str]:
    """Run and print; the entries over a target or killed (empty when all are met), for bench/run.py."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run the entries whose id contains this")
    parser.add_argument("--engine-root", type=Path, default=ROOT, help="the checkout whose engine runs the commands")
    args = parser.parse_args()
    base_seconds, base_megabytes = baseline(args.engine_root)
    print(f"baseline (a nine-row table imported): {base_seconds:.2f} s CPU, {base_megabytes:.0f} MB peak")
    print(f"{'entry':52} {'exit':>5} {'CPU s':>6} {'peak MB':>8}")
    over = []
    for entry in entries(args.only):
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            places = {**PLACES, "dir": str(work)}
            for name, spec in (entry.get("files") or {}).items():
                target = work / name
                target.parent.mkdir(parents=True, exist_ok=True)
                _maker(spec["make"])(target)
            arguments = [_fill(str(part), places) for part in entry["run"]]
            seconds, megabytes, code = measure(arguments, work, args.engine_root)
        shown = f"sig{-code}" if code < 0 else str(code)
        flag = "  OVER" if seconds > SECONDS or megabytes > MEGABYTES else ""
        print(f"{entry['id']:52} {shown:>5} {seconds:6.2f} {megabytes:8.0f}{flag}")
        if flag or code < 0:
            over.append(entry["id"])
    print(f"entries over {SECONDS:g} s CPU or {MEGABYTES} MB, or killed: {len(over)}"
          + "".join(f"\n  {name}" for name in over))
    return over


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
