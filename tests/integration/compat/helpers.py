"""Helpers of the compatibility tests (SPEC 19): a tiny library of multichannel files,
scanned, a policy applied to it, and what the job recorded."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import media
from integration.conftest import Result, age_tree
from integration.scanutil import query, run_vpo
from media_surround import Audio, Sub, make_surround


def library(tmp_path: Path, files: dict[str, tuple[list[Audio], list[Sub]]], duration: float = 2.0) -> Path:
    """`files`: {name: (audio, subtitles)} made under tmp_path/lib, aged and scanned."""
    root = tmp_path / "lib"
    for name, (audio, subs) in files.items():
        container = "mp4" if name.endswith(".mp4") else "matroska"
        make_surround(root / name, audio, subtitles=subs, duration=duration, container=container)
    age_tree(root)
    done = run_vpo(home(tmp_path), "scan", root)
    assert done.code == 0, done
    return root


def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def apply(tmp_path: Path, policy: str, *args: Any) -> Result:
    path = tmp_path / "policy.yaml"
    path.write_text(policy)
    return run_vpo(home(tmp_path), "apply", "--policy", path, "--json", *args, tmp_path / "lib")


def streams(path: Path) -> list[dict[str, Any]]:
    """ffprobe's streams: index, type, codec, channels, language, title, default, forced."""
    return [
        {
            "type": s["codec_type"],
            "codec": s["codec_name"],
            "channels": s.get("channels"),
            "language": (s.get("tags") or {}).get("language"),
            "title": (s.get("tags") or {}).get("title"),
            "default": bool(s["disposition"]["default"]),
            "forced": bool(s["disposition"]["forced"]),
        }
        for s in media.ffprobe(path)["streams"]
    ]


def job_rows(tmp_path: Path, job_id: str) -> list[dict[str, Any]]:
    rows = query(home(tmp_path), "SELECT details FROM job_files WHERE job_id = ?", job_id)
    return [json.loads(r[0]) for r in rows]


def file_id(tmp_path: Path, path: Path) -> int | None:
    rows = query(home(tmp_path), "SELECT id FROM files WHERE path = ?", os.fsencode(path))
    return rows[0][0] if rows else None


def only(result: Result) -> dict[str, Any]:
    """The one file of an apply's JSON."""
    assert result.code == 0, result
    files = result.json()["files"]
    assert len(files) == 1, files
    return files[0]
