"""Makers and checks for the batch and output-file class.

A maker writes (or creates) the file at `path`: FIFOs, sockets, links to devices, link loops, folders
that cannot be read, trees deeper than any stack, JSON Lines lines too deep or too long. A check is
given the entry's work folder after the run and asserts what the manifest's keys cannot say (a FIFO
still a FIFO, one row per case however often it was reached, a stale `.partial` gone).
"""

from __future__ import annotations

import csv
import io
import os
import socket as sockets
import stat
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FIRE = ROOT / "cases" / "zhanyi-2023" / "projects" / "fire-insurance.yaml"
SEED = ROOT / "tests" / "data" / "seeds" / "000_9a5c883a7752c8ed.txt"
DEAD_PID = 2**31 - 2  # beyond any pid_max: no process has it
LONG_AGO = 1_000_000_000  # 2001: older than any run


def _fire_json() -> str:
    from engine.load import load_document
    from engine.report import dumps

    return dumps(load_document(FIRE).data, indent=0).replace("\n", "")


# ------------------------------------------------------------------ special files -------


def fifo(path: Path) -> None:
    os.mkfifo(path)


def socket(path: Path) -> None:
    server = sockets.socket(sockets.AF_UNIX)
    server.bind(str(path))  # the socket's node stays after it is closed
    server.close()


def link_to_dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def link_to_dev_null(path: Path) -> None:
    path.symlink_to(os.devnull)


def link_to_dev_urandom(path: Path) -> None:
    path.symlink_to("/dev/urandom")


# ------------------------------------------------------------------ links -------------


def link_to_here(path: Path) -> None:
    path.symlink_to(".")


def link_to_parent(path: Path) -> None:
    path.symlink_to("..")


def link_to_itself(path: Path) -> None:
    path.symlink_to(path.name)


def link_loop_pair(path: Path) -> None:
    """`path` → `<name>-other<suffix>` → `path`."""
    other = path.with_name(f"{path.stem}-other{path.suffix}")
    path.symlink_to(other.name)
    other.symlink_to(path.name)


def link_to_nothing(path: Path) -> None:
    path.symlink_to("gone-for-ever.yaml")


def link_to_fire(path: Path) -> None:
    """A symbolic link to the `fire.yaml` laid out beside it."""
    path.symlink_to("fire.yaml")


def hard_link_to_fire(path: Path) -> None:
    os.link(path.with_name("fire.yaml"), path)


def link_to_real_csv(path: Path) -> None:
    path.symlink_to("real.csv")


def link_to_case_in_work(path: Path) -> None:
    """A link to `case.yaml` in the work folder (an input of the command)."""
    path.symlink_to(path.parent / "case.yaml")


# ------------------------------------------------------------------ folders -------------


def locked_folder(path: Path) -> None:
    """A folder whose listing is refused: chmod 000; as root (who may read anything), a kernel folder
    even root may not list, or, failing that, a folder whose path is too long to open."""
    path.mkdir()
    (path / "case.yaml").write_bytes(FIRE.read_bytes())
    path.chmod(0)
    try:
        os.listdir(path)
    except PermissionError:
        return
    path.chmod(0o755)
    (path / "case.yaml").unlink()
    path.rmdir()
    try:
        os.listdir("/proc/1/map_files")
    except PermissionError:
        path.symlink_to("/proc/1/map_files")
        return
    except OSError:
        pass
    too_long_path(path)


def too_long_path(path: Path) -> None:
    """Folders 200 characters a name, nested until the path is longer than any the system opens."""
    path.mkdir()
    descriptor = os.open(path, os.O_RDONLY)
    length = len(str(path))
    try:
        while length < 5000:
            name = "d" * 200
            os.mkdir(name, dir_fd=descriptor)
            inner = os.open(name, os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
            length += 201
        case = os.open("case.yaml", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=descriptor)
        os.write(case, FIRE.read_bytes())
        os.close(case)
    finally:
        os.close(descriptor)


def deep_tree(path: Path) -> None:
    """500 folders one inside the other, a case at the bottom: deeper than a recursive walk could go."""
    folder = path
    for _ in range(500):
        folder = folder / "d"
    folder.mkdir(parents=True)
    (folder / "fire.yaml").write_bytes(FIRE.read_bytes())


def folder(path: Path) -> None:
    path.mkdir()


def odd_names(path: Path) -> None:
    """Broken cases whose names hold an escape sequence, a line break, a bidi override and a byte that is not UTF-8."""
    path.mkdir(exist_ok=True)
    for name in ("esc-\x1b[2J\x1b[31m.yaml", "line\nbreak.yaml", "bidi-\u202etxt.yaml"):
        (path / name).write_text("name: [unclosed\n", encoding="utf-8")
    with open(os.path.join(os.fsencode(path), b"bad-\xff.yaml"), "wb") as stream:
        stream.write(b"name: [unclosed\n")


def thirty_broken(path: Path) -> None:
    path.mkdir(exist_ok=True)
    for number in range(30):
        (path / f"broken-{number:02d}.yaml").write_text("name: [unclosed\n", encoding="utf-8")


def stale_partial(path: Path) -> None:
    """A `.partial` left by a killed run (its pid gone, last written long ago)."""
    path.write_text("案例,名称\n半截", encoding="utf-8")
    os.utime(path, (LONG_AGO, LONG_AGO))


# ------------------------------------------------------------------ documents -----------


def deep_yaml(path: Path) -> None:
    """400 KB of nested block sequences: the YAML C parser's stack overflows on it (SIGSEGV) unless refused first."""
    path.write_text("- " * 200_000 + "x\n", encoding="utf-8")


def one_table(path: Path) -> None:
    """One 项目支出绩效自评表 of the seed file (lines 63–90), for commands that write one case."""
    path.write_text("\n".join(SEED.read_text(encoding="utf-8").splitlines()[62:90]) + "\n", encoding="utf-8")


def jsonl_deep_line(path: Path) -> None:
    path.write_text(f"{_fire_json()}\n{'[' * 100_000}{']' * 100_000}\n{_fire_json()}\n", encoding="utf-8")


def jsonl_brackets_in_strings(path: Path) -> None:
    """Brackets inside a string are text, not nesting: the case is scored."""
    text = _fire_json().replace('"name": "农村房屋火灾保险服务"', '"name": "农村房屋火灾保险服务' + "[{" * 300 + '"', 1)
    path.write_text(text + "\n", encoding="utf-8")


def jsonl_long_line(path: Path) -> None:
    """Line 2 is 3 MB (one string); lines 1 and 3 are cases."""
    path.write_text(f'{_fire_json()}\n{{"name": "{"长" * 1_000_000}"}}\n{_fire_json()}\n', encoding="utf-8")


def jsonl_long_last_line(path: Path) -> None:
    """The last line is 2 MB without a line break."""
    path.write_text(f"{_fire_json()}\n" + "x" * 2_000_000, encoding="utf-8")


def jsonl_numbers(path: Path) -> None:
    fire = _fire_json()
    lines = [fire.replace('"executed": 38.50', '"executed": ' + "9" * 5000, 1),
             fire.replace('"executed": 38.50', '"executed": 1e999999999', 1),
             fire.replace('"executed": 38.50', '"executed": NaN', 1),
             fire]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def jsonl_not_utf8(path: Path) -> None:
    path.write_bytes(b'{"name": "\xff\xfe"}\n' + _fire_json().encode("utf-8") + b"\n")


def jsonl_bom_crlf_blank(path: Path) -> None:
    """A BOM before line 1, CRLF line ends, blank lines: line numbers stay those an editor shows."""
    fire = _fire_json()
    path.write_bytes(b"\xef\xbb\xbf" + f"{fire}\r\n\r\n   \r\n{fire}\r\n".encode())


def jsonl_not_objects(path: Path) -> None:
    path.write_text(f'[1, 2]\n"text"\nnull\n{_fire_json()}\n', encoding="utf-8")


# ------------------------------------------------------------------ checks --------------


def _rows(work: Path, name: str = "results.csv") -> list[list[str]]:
    return list(csv.reader(io.StringIO((work / name).read_text(encoding="utf-8-sig"))))[1:]


def one_row_per_case(work: Path) -> None:
    """Every case (by its file's identity) in one row only: `fire` once however often it was reached."""
    names = Counter(row[1] for row in _rows(work) if row[1])
    assert names and set(names.values()) == {1}, names


def still_fifo(work: Path) -> None:
    assert stat.S_ISFIFO(os.lstat(work / "out.csv").st_mode) or stat.S_ISFIFO(os.lstat(work / "out.yaml").st_mode)


def fifo_out_yaml_untouched(work: Path) -> None:
    assert stat.S_ISFIFO(os.lstat(work / "out.yaml").st_mode)


def fifo_out_csv_untouched(work: Path) -> None:
    assert stat.S_ISFIFO(os.lstat(work / "out.csv").st_mode)


def socket_untouched(work: Path) -> None:
    assert stat.S_ISSOCK(os.lstat(work / "out.csv").st_mode)


def devnull_untouched(work: Path) -> None:
    assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)
    for name in ("out.csv", "out.yaml"):
        if os.path.lexists(work / name):
            assert os.readlink(work / name) == os.devnull


def no_partial_left(work: Path) -> None:
    left = [p for p in work.rglob("*") if p.name.endswith((".partial", ".tmp"))]
    assert left == [], left


def stale_partial_removed(work: Path) -> None:
    assert not (work / f".results.csv.{DEAD_PID}-0badc0de.partial").exists()
    assert len(_rows(work)) == 1
    no_partial_left(work)


def link_still_a_link(work: Path) -> None:
    assert (work / "out.csv").is_symlink() and (work / "case.yaml").read_bytes() == FIRE.read_bytes()


def written_through_link(work: Path) -> None:
    assert (work / "link.csv").is_symlink() and len(_rows(work, "real.csv")) == 1


def locked_folder_kept(work: Path) -> None:
    path = work / "cases" / "locked"
    if not path.is_symlink():
        path.chmod(0o755)  # so the work folder can be removed afterwards
