"""Hostile-input benchmark: the CPU time and peak memory of refusing each hostile input.

    python bench/hostile.py [--only ID-PART] [--engine-root DIR]

Each formula of tests/hostile/formulas.yaml is put into the shipped project scheme and loaded (and a
case scored when it loads), and each YAML trap is parsed, in this process: printed are the CPU seconds
(process time, so a busy machine does not inflate it) and the peak memory (tracemalloc) of the worst
ones, each against its limit — 1 s and 100 MB — and the count over the limit.

Then every entry of tests/hostile/schemes (schemes, cases and test files that once ended in exit 3 or
killed the process: YAML the C parser crashed on, numbers, tags, merges, formulas, extends, set: paths)
is run as a user runs it, in a child process, against 2 s CPU and 200 MB peak resident memory (wait4,
which sees what the C parser allocates outside Python). `--engine-root` runs another checkout's engine
on the same files, to see what an entry cost before a fix. The test suite checks only that every input
is refused or bounded with a located message; the bounds are measured here.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402
from engine.errors import EngineError  # noqa: E402
from engine.load import load_document, parse_document  # noqa: E402

SECONDS, MEGABYTES = 1.0, 100
SCHEME = ROOT / "schemes" / "project-self-eval" / "2023.yaml"
CASE = ROOT / "cases" / "zhanyi-2023" / "projects" / "fire-insurance.yaml"
ORIGINAL = "formula: ratio(全年执行数, 全年预算数, if_zero=na) * 100"


def formula_text(spec) -> str:  # noqa: ANN001
    if isinstance(spec, dict):
        return spec.get("prefix", "") + spec["repeat"] * spec["times"] + spec.get("then", "") + \
            spec.get("close", "") * spec["times"]
    return spec


def measured(action) -> tuple[float, float, str]:  # noqa: ANN001
    tracemalloc.start()
    start = time.process_time()
    try:
        action()
        outcome = "accepted"
    except EngineError:
        outcome = "refused"
    seconds = time.process_time() - start
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return seconds, peak, outcome


def formulas(folder: Path) -> list[tuple[str, float, float, str]]:
    rows = []
    text = SCHEME.read_text(encoding="utf-8")
    for case in load_document(ROOT / "tests" / "hostile" / "formulas.yaml").data:
        if case.get("cycle"):
            body = text.replace("derived:\n", 'derived:\n  甲: {formula: 乙 + 1}\n  乙: {formula: "甲 * 2"}\n', 1)
        else:
            body = text.replace(ORIGINAL, "formula: " + json.dumps(formula_text(case["formula"]), ensure_ascii=False))
        path = folder / "hostile.yaml"
        path.write_text(body, encoding="utf-8")

        def attempt() -> None:
            engine.score_file(engine.load_scheme(path), CASE)

        rows.append((f"formula: {case['name']}", *measured(attempt)))
    return rows


def yaml_traps() -> list[tuple[str, float, float, str]]:
    laughs = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 9) + "]" for i in range(1, 10)]
    traps = {
        "billion laughs": "\n".join(laughs),
        "200,000 nested flow brackets": "a: " + "[" * 200_000 + "]" * 200_000,
        "5 MB of one scalar": "a: " + "x" * (5 * 1024 * 1024 - 10),
        "100,000 keys": "\n".join(f"k{i}: {i}" for i in range(100_000)),
        # issue 13: what crashed the C composer, or cost seconds and most of a gigabyte, before it ran
        "500 KB of - - - - on one line": "- " * (250 * 1024) + "x",
        "40,000 nested - on one line": "- " * 40_000 + "x",
        "3,000 mappings nested by indentation": "".join(" " * i + "k:\n" for i in range(3000)),
        "2,000,000 flow numbers [1,1,…]": "a: [" + "1," * 2_000_000 + "1]",
        "a million ? keys": "? a\n" * 1_000_000,
        "a 120,000-character block scalar": "a: |\n" + "  x\n" * 60_000,
        "5,000-digit number": "a: " + "9" * 5000,
        "a mapping that merges itself": "a: &a {b: 1, <<: *a}",
    }
    return [(f"yaml: {name}", *measured(lambda text=text: parse_document(text, "trap.yaml"))) for name, text in traps.items()]


# ------------------------------------------------------------------ tests/hostile/schemes, in a child --

CHILD_SECONDS, CHILD_MEGABYTES = 2.0, 200
SCHEMES_CLASS = ROOT / "tests" / "hostile" / "schemes"
PLACES = {"root": str(ROOT), "project": str(SCHEME), "fire": str(CASE),
          "four": str(ROOT / "schemes/four-dimension/2023.yaml"),
          "department": str(ROOT / "schemes/department-self-eval/2023.yaml"),
          "zhongfang": str(ROOT / "cases/zhongfang-2023/department.yaml")}
CPU_CEILING = 60  # seconds: a child past this is stopped and reported as such
MEMORY_CEILING = 8 * 1024 ** 3  # bytes of address space


def _fill(text: str, places: dict[str, str]) -> str:
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    return text


def _maker(name: str):  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("hostile_schemes_make", SCHEMES_CLASS / "make.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def lay_out(entry: dict, work: Path, places: dict[str, str]) -> None:
    """The entry's files, as tests/test_hostile_corpus.py lays them out."""
    for name, spec in (entry.get("files") or {}).items():
        target = work / name
        if isinstance(spec, str):
            target.write_text(_fill(spec, places), encoding="utf-8")
        elif "copy" in spec:
            data = Path(_fill(spec["copy"], places)).read_bytes()
            for old, new in spec.get("replace") or ():
                data = data.replace(str(old).encode("utf-8"), _fill(str(new), places).encode("utf-8"))
            target.write_bytes(data)
        elif "text" in spec:
            target.write_text(_fill(spec["text"], places), encoding="utf-8")
        else:
            _maker(spec["make"])(target)


# `python -m engine ARGS`, reporting its own peak resident memory (VmHWM) as it exits. Not ru_maxrss from
# wait4: a child forked from this process, grown by the measurements above, keeps this process's high-water
# mark across exec.
_REPORTING = """
import atexit, os, runpy, sys
def report():
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM")).split()[1]
    with open(os.environ["HOSTILE_PEAK_FILE"], "w") as out:
        out.write(peak)
atexit.register(report)
sys.argv = ["engine", *sys.argv[1:]]
runpy.run_module("engine", run_name="__main__", alter_sys=True)
"""


def in_a_child(arguments: list[str], work: Path, engine_root: Path) -> tuple[float, float, int]:
    """(CPU seconds, peak MB, exit status or -signal) of `python -m engine ARGS` run in `work`; the peak is
    unknown (nan) for a child killed by a signal."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (CPU_CEILING, CPU_CEILING + 5))
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))

    with tempfile.NamedTemporaryFile("r", suffix=".peak") as peak:
        environment = {**os.environ, "PYTHONPATH": str(engine_root), "ENGINE_DEBUG": "", "HOSTILE_PEAK_FILE": peak.name}
        child = subprocess.Popen([sys.executable, "-c", _REPORTING, *arguments], cwd=work, env=environment,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 preexec_fn=limit)
        _, status, usage = os.wait4(child.pid, 0)
        written = Path(peak.name).read_text().strip()
    megabytes = int(written) / 1024 if written else float("nan")
    return usage.ru_utime + usage.ru_stime, megabytes, os.waitstatus_to_exitcode(status)


def schemes_class(only: str | None, engine_root: Path) -> list[str]:
    """Run each entry of tests/hostile/schemes in a child; print its cost; return those over a target or killed."""
    with tempfile.TemporaryDirectory() as folder:
        seconds, megabytes, _ = in_a_child(["score", str(SCHEME), str(CASE)], Path(folder), engine_root)
    print(f"baseline (engine score of a real case): {seconds:.2f} s CPU, {megabytes:.0f} MB peak")
    print(f"{'entry':48} {'exit':>5} {'CPU s':>6} {'peak MB':>8}")
    over = []
    for entry in load_document(SCHEMES_CLASS / "manifest.yaml").data:
        if only and only not in entry["id"]:
            continue
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            places = {**PLACES, "dir": str(work)}
            lay_out(entry, work, places)
            seconds, megabytes, code = in_a_child([_fill(str(part), places) for part in entry["run"]], work, engine_root)
        shown = f"sig{-code}" if code < 0 else str(code)
        flag = "  OVER" if seconds > CHILD_SECONDS or megabytes > CHILD_MEGABYTES else ""
        print(f"{entry['id']:48} {shown:>5} {seconds:6.2f} {megabytes:8.0f}{flag}")
        if flag or code < 0 or code == 3:
            over.append(entry["id"])
    print(f"entries over {CHILD_SECONDS:g} s CPU or {CHILD_MEGABYTES} MB, killed or exit 3: {len(over)}"
          + "".join(f"\n  {name}" for name in over))
    return over


def main() -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only the tests/hostile/schemes entries whose id contains this")
    parser.add_argument("--engine-root", type=Path, default=ROOT, help="the checkout whose engine runs those entries")
    args, _ = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as folder:
        rows = formulas(Path(folder)) + yaml_traps()
    rows.sort(key=lambda row: -max(row[1] / SECONDS, row[2] / MEGABYTES))
    print(f"{len(rows)} hostile inputs; the ten most costly, as a share of the limits ({SECONDS:g} s CPU, {MEGABYTES} MB):")
    for name, seconds, peak, outcome in rows[:10]:
        print(f"  {seconds / SECONDS:6.1%} of the time  {peak / MEGABYTES:6.1%} of the memory  {outcome:8}  {name}")
    over = [row for row in rows if row[1] > SECONDS or row[2] > MEGABYTES]
    print(f"over a limit: {len(over)}" + "".join(f"\n  {name}: {s:.2f} s, {m:.0f} MB" for name, s, m, _ in over))
    print(f"\n{SCHEMES_CLASS.relative_to(ROOT)}: each entry run as a user runs it, in a child process")
    return [name for name, *_ in over] + schemes_class(args.only, args.engine_root)


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
