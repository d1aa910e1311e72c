"""Fixtures of the `vpo watch` tests: a library folder, films made outside it (so that
their arrival is one event), and watchers started as subprocesses, killed at the end if a
test left one running."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from integration.watching.helpers import Watcher

Start = Callable[..., Watcher]
Film = Callable[..., Path]


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    root.mkdir()
    return root


@pytest.fixture
def film(tmp_path: Path, make_video: Callable[..., Path]) -> Film:
    """`film(name, **make_video keywords)`: a tiny real video in a staging folder beside the
    library (same file system: a `mv` into the library is a rename)."""

    def make(name: str, **kwargs: Any) -> Path:
        return make_video(tmp_path / "staging" / name, **kwargs)

    return make


@pytest.fixture
def start_watch(vpo_home: Path, vpo_env: dict[str, str]) -> Iterator[Start]:
    """`start_watch(*args, env=None)`: `vpo watch ARGS` running in the background."""
    started: list[Watcher] = []

    def start(*args: Any, env: dict[str, str] | None = None) -> Watcher:
        watcher = Watcher(vpo_home, {**vpo_env, **(env or {})}, *args)
        started.append(watcher)
        return watcher

    yield start
    for watcher in started:
        watcher.kill()
