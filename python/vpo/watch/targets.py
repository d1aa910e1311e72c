"""The roots one watcher may take on together: each once, none inside another, all in one
catalogue (a watcher has one database; run one per catalogue)."""

from __future__ import annotations

import os

from vpo.errors import UsageError
from vpo.watch.lock import overlaps
from vpo.watch.models import WatchRoot


def check_targets(targets: list[WatchRoot]) -> None:
    if not targets:
        raise UsageError(
            "nothing to watch: give a PATH, or name the library in a profile (`roots: [...]`)",
            details={},
        )
    for i, a in enumerate(targets):
        for b in targets[i + 1 :]:
            if overlaps(a.path, b.path):
                raise UsageError(
                    f"{a.shown} ({_whose(a)}) and {b.shown} ({_whose(b)}) overlap: a root may be "
                    "watched once, with one profile's settings",
                    details={"roots": [a.shown, b.shown]},
                )
    first = targets[0]
    for other in targets[1:]:
        if other.settings.database_target != first.settings.database_target:
            raise UsageError(
                f"{_whose(first)} and {_whose(other)} use different catalogues: run one `vpo watch "
                "--profile NAME` for each",
                details={"profiles": [first.profile, other.profile]},
            )


def _whose(target: WatchRoot) -> str:
    return f"profile {target.profile}" if target.profile else "no profile"


def normalised(path: str) -> bytes:
    return os.path.abspath(os.fsencode(path)).rstrip(b"/") or b"/"
