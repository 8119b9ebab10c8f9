"""Makers for the special files of this class: each writes (or creates) the file at `path`."""

from __future__ import annotations

import os
from pathlib import Path


def fifo(path: Path) -> None:
    os.mkfifo(path)
