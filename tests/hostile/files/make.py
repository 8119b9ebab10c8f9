"""Makers for the special files of this class: each creates the file at `path`.

A FIFO would make a careless reader wait for ever, /dev/zero never ends, a sparse file claims
gigabytes it does not hold on disk, a socket cannot be read at all: each must be refused before
it is opened, by what `stat` says of it.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path


def fifo(path: Path) -> None:
    os.mkfifo(path)


def zero_device(path: Path) -> None:
    os.symlink("/dev/zero", path)


def null_device(path: Path) -> None:
    os.symlink("/dev/null", path)


def urandom_device(path: Path) -> None:
    os.symlink("/dev/urandom", path)


def sparse_gigabyte(path: Path) -> None:
    with open(path, "wb") as stream:  # 1 GiB by its size, a few bytes on disk
        stream.seek(1024 ** 3 - 1)
        stream.write(b"\n")


def sparse_six_megabytes(path: Path) -> None:
    with open(path, "wb") as stream:  # just over the 5 MB limit of a YAML file
        stream.write(b"scheme: project-self-eval\n")
        stream.seek(6 * 1024 * 1024)
        stream.write(b"\n")


def unix_socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))  # left bound: the node stays while the test runs


def folder(path: Path) -> None:
    path.mkdir()


def dangling_link(path: Path) -> None:
    os.symlink(path.parent / "nowhere.yaml", path)


def link_to_fifo(path: Path) -> None:
    target = path.parent / ".the-fifo"
    os.mkfifo(target)
    os.symlink(target, path)


def self_link(path: Path) -> None:
    os.symlink(path, path)
