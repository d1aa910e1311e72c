"""Fixtures of the media stack's tests (Radarr/Sonarr's hook, refreshes, notifications): the
real CLI on real tiny media (tests/integration/conftest.py's `vpo`, `vpo_home`,
`make_video`), a library folder, and films made beside it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from integration.conftest import RunVpo, age_tree
from integration.watching.conftest import Film, film, lib
from integration.watching.helpers import file_row, jobs_of, rows, write_profile

__all__ = ["Film", "RunVpo", "age_tree", "file_row", "film", "jobs_of", "lib", "rows", "write_profile"]

Hook = Callable[..., Any]


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
