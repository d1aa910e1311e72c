"""Files a test run makes once for all its test processes (pytest-xdist workers): the first
process that asks makes the file, under a lock; the others wait for it and use it."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

import pytest


def folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder every process of this run shares: beside the workers' own temporary folders
    (`popen-gw0`, `popen-gw1`, ...) under xdist, in the run's temporary folder otherwise."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name
    shared.mkdir(exist_ok=True)
    return shared


def made_once(path: Path, make: Callable[[Path], object]) -> Path:
    """`path`, made by `make(temporary path)` if no process of the run has made it yet. The
    temporary path has the same suffix; it becomes `path` only when complete."""
    with open(path.with_name(path.name + ".lock"), "wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            temp = path.with_name(f".{os.getpid()}-{path.name}")
            make(temp)
            os.replace(temp, path)
    return path
