"""Fixtures of the transcode tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from integration.conftest import RunVpo, age_tree
from integration.transcoding.helpers import (
    Lib,
)


@pytest.fixture
def make_lib(
    tmp_path: Path, vpo: RunVpo, vpo_env: dict[str, str], vpo_home: Path, make_video: Callable[..., Path]
) -> Callable[..., Lib]:
    """`make_lib(name=make_video kwargs, ...)`: the files, an hour old, then `vpo scan`."""

    def make(**files: dict[str, Any]) -> Lib:
        root = tmp_path / "lib"
        for name, kwargs in files.items():
            make_video(root / name, **kwargs)
        age_tree(root)
        lib = Lib(root, vpo_home, vpo, vpo_env)
        scan = lib.ok("scan", root)
        assert scan["counts"]["added"] == len(files), scan
        return lib

    return make
