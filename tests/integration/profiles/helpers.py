"""Helpers of the profiles tests (test_profiles_precedence, test_profiles_commands)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from integration.conftest import Result
from integration.scanutil import SPEC_ERROR_KEYS, assert_no_traceback

LIST_KEYS = {"name", "description", "default_policy", "path"}


SHOW_KEYS = {"name", "path", "profile", "effective", "sources"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def write_layers(home: Path) -> Path:
    """config.yaml < base < movies (extends base); kids extends movies."""
    write(
        home / "config.yaml",
        """
        scan:
          workers: 2
          prober: ffprobe
        jobs:
          retention_days: 45
    """,
    )
    write(
        home / "profiles" / "base.yaml",
        """
        name: base
        description: Shared by every library
        scan:
          workers: 3
          prune: true
    """,
    )
    write(
        home / "profiles" / "movies.yaml",
        """
        name: movies
        description: Settings for the movie library
        extends: base
        scan:
          workers: 4
          extensions: [mkv]
    """,
    )
    write(
        home / "profiles" / "kids.yaml",
        """
        name: kids
        extends: movies
        jobs:
          retention_days: 7
    """,
    )
    return home


# name -> (arguments around `scan --json ROOT`, extra environment)
RUNS: dict[str, tuple[list[str], dict[str, str]]] = {
    "defaults": ([], {}),
    "config": ([], {}),
    "profile": (["--profile", "movies"], {}),
    "flags": (
        [
            "--profile",
            "movies",
            "@",
            "--workers",
            "5",
            "--no-prune",
            "--extensions",
            "mkv,mp4",
            "--prober",
            "pyav",
        ],
        {},
    ),
    "env": ([], {"VPO_PROFILE": "movies"}),
    "global-over-env": (["--profile", "base"], {"VPO_PROFILE": "movies"}),
    "command-over-global": (["--profile", "base", "@", "--profile", "movies"], {"VPO_PROFILE": "kids"}),
    "empty-env": ([], {"VPO_PROFILE": ""}),
}


def json_error(result: Result, code: str) -> dict[str, Any]:
    assert result.code == 2, result
    assert_no_traceback(result)
    doc = result.json()
    assert set(doc) == SPEC_ERROR_KEYS, doc
    assert doc["error"] is True
    assert doc["code"] == code, doc
    return doc
