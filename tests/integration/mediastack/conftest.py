"""Fixtures of the media stack's tests (Radarr/Sonarr's hook, refreshes, notifications): the
real CLI on real tiny media (tests/integration/conftest.py's `vpo`, `vpo_home`,
`make_video`), the protocol fixtures (tests/protocol/), a library of tiny files in folders
as Radarr keeps films, and films made beside it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from integration.conftest import RunVpo, age_tree
from integration.watching.conftest import Film, film, lib
from integration.watching.helpers import file_row, jobs_of, rows, write_profile
from protocol.fixtures import emby, jellyfin, plex, radarr, sonarr  # noqa: F401  (fixtures, re-exported)

__all__ = ["Film", "RunVpo", "age_tree", "file_row", "film", "jobs_of", "lib", "rows", "write_profile"]

Hook = Callable[..., Any]

# eng is not the default, jpn is: the policy makes eng the default (an in-place flags edit)
LAYOUT = {"audio": [("eng", None, False), ("jpn", None, True)], "tone": 1110}
POLICY = """\
schema_version: 1
audio_language_preference: [eng]
subtitle_language_preference: [eng]
"""


def make_films(make_video: Callable[..., Path], root: Path, folders: int, per_folder: int) -> list[Path]:
    """`folders` film folders under `root`, `per_folder` tiny files each (copies of one
    encode, each with its own bytes), an hour old."""
    paths = [
        make_video(root / f"Film {f + 1} (200{f})" / f"part{n + 1}.mkv", **LAYOUT)
        for f in range(folders)
        for n in range(per_folder)
    ]
    age_tree(root)
    return paths


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path


@pytest.fixture
def hook(vpo: RunVpo) -> Hook:
    """`hook(app, event, *args, **variables)`: `vpo hook ARGS` run as Radarr or Sonarr run it,
    with exactly their environment: `{app}_eventtype` and each `{app}_{name}` (lower case, as
    their StringDictionary leaves it; values as they give them)."""

    def run(app: str, event: str, *args: Any, **variables: str) -> Any:
        prefix = app.lower()
        env = {f"{prefix}_eventtype": event, **{f"{prefix}_{k.lower()}": v for k, v in variables.items()}}
        return vpo("hook", *args, env=env)

    return run
