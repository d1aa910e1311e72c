"""Fixtures of the media-stack tests: the integration fixtures, the protocol fixtures
(tests/protocol/) and a library of tiny files in folders, as Radarr keeps films."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from integration.conftest import age_tree, vpo, vpo_env, vpo_home  # noqa: F401  (fixtures, re-exported)
from protocol.fixtures import emby, jellyfin, plex, radarr, sonarr  # noqa: F401  (fixtures, re-exported)

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
