"""Output files: refused onto what is not a regular file, written with the umask's permissions (or the
replaced file's), never half-written, never over a file that changed since the run looked at it."""

from __future__ import annotations

import errno
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PROJECT_SCHEME, ZHANYI_PROJECTS

from engine.cli import main
from engine.files import AtomicFile, OutputError, check_target, write_atomic

FIRE = next(p for p in ZHANYI_PROJECTS if p.stem == "fire-insurance")
NOT_REGULAR = ("这不是普通文件（是设备、管道或套接字），不能当作输出文件，加 --force 也不会替换它"
               "（提示：请写一个普通的文件名；要输出到屏幕，不写 -o 即可）")


@pytest.fixture
def umask():
    """Set the umask for one test; the previous one is put back."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_permissions_the_umask_gives(mask, expected, umask, tmp_path):
    umask(mask)
    write_atomic(tmp_path / "out.txt", "text")
    assert mode(tmp_path / "out.txt") == expected  # not mkstemp's 0o600 whatever the umask


@pytest.mark.parametrize("kept", [0o640, 0o600, 0o664])
def test_a_replaced_file_keeps_its_own_permissions(kept, umask, tmp_path):
    umask(0o022)
    target = tmp_path / "out.txt"
    target.write_text("old")
    target.chmod(kept)
    write_atomic(target, "new", force=True)
    assert (target.read_text(), mode(target)) == ("new", kept)


def test_a_fifo_a_socket_and_a_device_are_never_replaced_even_with_force(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    sock = tmp_path / "s.txt"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    try:
        for target in (fifo, sock, Path(os.devnull)):
            with pytest.raises(OutputError) as caught:
                write_atomic(target, "text", force=True)
            assert str(caught.value.problems[0]) == f"{target}: {NOT_REGULAR}"
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and stat.S_ISSOCK(os.lstat(sock).st_mode)
        assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)
    finally:
        server.close()
    assert leftovers(tmp_path) == []


def test_score_onto_a_device_is_refused_with_force_and_the_device_stays(tmp_path):
    # As root, the old rename over -o /dev/null replaced the device node by a regular file.
    result = CliRunner().invoke(main, ["score", str(PROJECT_SCHEME), str(FIRE), "-o", os.devnull, "--force"])
    assert (result.exit_code, result.stderr) == (2, f"{os.devnull}: {NOT_REGULAR}\n")
    assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)


def test_a_folder_is_no_output_file(tmp_path):
    with pytest.raises(OutputError) as caught:
        write_atomic(tmp_path, "text", force=True)
    assert str(caught.value.problems[0]) == f"{tmp_path}: 这是一个文件夹，不能当作输出文件"


def test_a_link_to_an_input_or_a_hard_link_of_one_is_refused(tmp_path):
    case = tmp_path / "case.yaml"
    case.write_bytes(FIRE.read_bytes())
    (tmp_path / "soft.txt").symlink_to(case)
    os.link(case, tmp_path / "hard.txt")
    for name in ("soft.txt", "hard.txt"):
        result = CliRunner().invoke(main, ["score", str(PROJECT_SCHEME), str(case), "-o", str(tmp_path / name), "--force"])
        assert (result.exit_code, result.stderr) == (
            2, f"{tmp_path / name}: 不能把结果写到输入文件上，否则原文件会丢失（提示：请换一个输出文件名）\n")
    assert case.read_bytes() == FIRE.read_bytes()


def test_a_link_to_another_file_is_written_through_and_stays_a_link(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomic(link, "new", force=True)
    assert link.is_symlink() and real.read_text() == "new" and leftovers(tmp_path) == []


def test_a_link_to_nothing_is_refused(tmp_path):
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "elsewhere" / "x.txt")
    with pytest.raises(OutputError) as caught:
        write_atomic(link, "new", force=True)
    assert str(caught.value.problems[0]) == (
        f"{link}: 这是一个符号链接，指向的 {tmp_path / 'elsewhere' / 'x.txt'} 不存在，不写入（提示：请写一个普通的文件名）")
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("failing", ["fsync", "replace", "link"])
def test_a_full_disk_leaves_the_old_file_and_no_temporary_file(failing, tmp_path, monkeypatch):
    # fsync: the data does not fit; replace: over an existing file; link: a new file put in place.
    target = tmp_path / "report.html"
    if failing != "link":
        target.write_text("the previous report")

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, failing, full)
    result = CliRunner().invoke(main, ["score", str(PROJECT_SCHEME), str(FIRE), "--format", "html", "-o", str(target),
                                       "--force"])
    assert (result.exit_code, result.stderr) == (2, f"{target}: 写文件失败：磁盘空间不足，原文件未改动\n")
    if failing == "link":
        assert list(tmp_path.iterdir()) == []
    else:
        assert target.read_text() == "the previous report"
        assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_target_changed_since_the_run_looked_is_not_replaced(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("before")
    seen = check_target(target, force=True)
    target.write_text("written by another run meanwhile")
    file = AtomicFile(seen)
    file.stream.write(b"ours")
    with pytest.raises(OutputError) as caught:
        file.commit()
    assert str(caught.value.problems[0]) == (
        f"{target}: 文件在本次运行期间被改动（可能另有程序写入了它），未覆盖；本次输出未写入（提示：请确认后重新运行）")
    assert target.read_text() == "written by another run meanwhile" and leftovers(tmp_path) == []


def test_a_target_created_since_the_run_looked_is_not_replaced_and_ours_is_kept_aside(tmp_path):
    target = tmp_path / "results.csv"
    seen = check_target(target)  # absent at the start
    (tmp_path / "results-1.csv").write_text("an older side copy")
    target.write_text("created by another run meanwhile")
    file = AtomicFile(seen, ".partial", keep_aside=True)
    file.stream.write(b"ours")
    with pytest.raises(OutputError) as caught:
        file.commit()
    aside = tmp_path / "results-2.csv"
    assert str(caught.value.problems[0]) == (
        f"{target}: 结果文件在本次运行期间被改动（可能另有一次运行写入了它），未覆盖；本次结果另存为 {aside}")
    assert (target.read_text(), aside.read_text()) == ("created by another run meanwhile", "ours")
    assert (tmp_path / "results-1.csv").read_text() == "an older side copy" and leftovers(tmp_path) == []


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


def test_stale_partial_files_of_gone_runs_are_removed_and_live_ones_kept(tmp_path):
    dead, alive = _dead_pid(), os.getppid()
    old = tmp_path / f".results.csv.{dead}-0badc0de.partial"
    recent = tmp_path / f".results.csv.{dead}-0000beef.partial"
    running = tmp_path / f".results.csv.{alive}-12345678.partial"
    other = tmp_path / f".other.csv.{dead}-0badc0de.partial"
    for path in (old, recent, running, other):
        path.write_text("left by a killed run")
    for path in (old, running, other):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    file = AtomicFile(check_target(tmp_path / "results.csv"), ".partial", clean_stale=True)
    file.stream.write(b"x")
    file.commit()
    assert leftovers(tmp_path) == sorted([recent.name, running.name, other.name])
