"""Fixtures for running the real `vpo` console script against a private VPO_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import engine
import media

VPO = Path(sys.executable).with_name("vpo")


@dataclass
class Result:
    args: list[Any]
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout must be exactly one JSON document (nothing else may reach stdout)."""
        return json.loads(self.stdout)

    def __repr__(self) -> str:
        return f"<vpo {self.args!r} exit {self.code}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}>"


RunVpo = Callable[..., Result]


@pytest.fixture
def vpo_home(tmp_path: Path) -> Path:
    home = tmp_path / "vpo-home"
    return home


ENGINES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `engines` run twice: catalogue in SQLite, and in PostgreSQL."""
    if (
        metafunc.definition.get_closest_marker("engines")
        and "db_engine" in metafunc.fixturenames
        and engine.RUN_ENGINE == "sqlite"
    ):
        metafunc.parametrize("db_engine", ENGINES, indirect=True)


@pytest.fixture
def vpo_env(vpo_home: Path, db_engine: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPO_")}
    env["VPO_HOME"] = str(vpo_home)
    if db_engine == "postgresql":
        engine.use_postgres(vpo_home)
    else:
        engine.use_sqlite(vpo_home)
    env.update(engine.env_for(vpo_home))
    return env


@pytest.fixture
def vpo(vpo_env: dict[str, str]) -> RunVpo:
    """`vpo(*args, env=None, timeout=120) -> Result`: the installed console script, for real.

    Arguments may be str, bytes (raw file names) or Path.
    """

    def run(*args: Any, env: dict[str, str] | None = None, timeout: float = 120) -> Result:
        argv = [os.fsencode(a) if isinstance(a, (bytes, Path)) else str(a) for a in args]
        done = subprocess.run(
            [str(VPO), *argv],
            capture_output=True,
            timeout=timeout,
            env={**vpo_env, **(env or {})},
            stdin=subprocess.DEVNULL,
        )
        return Result(
            list(args),
            done.returncode,
            done.stdout.decode("utf-8", "surrogateescape"),
            done.stderr.decode("utf-8", "surrogateescape"),
        )

    return run


def age_tree(root: Path | bytes, seconds: float = 3600) -> None:
    """Set every file's mtime well in the past, so no scan sees it as racily fresh."""
    stamp = time.time() - seconds
    for dirpath, _dirs, files in os.walk(os.fsencode(root)):
        for name in files:
            os.utime(os.path.join(dirpath, name), (stamp, stamp))


@pytest.fixture
def library(corpus_copy: media.Corpus) -> media.Corpus:
    """A private copy of the standard corpus whose files are an hour old."""
    age_tree(corpus_copy.root)
    return corpus_copy
