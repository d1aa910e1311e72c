"""Where a file sits in the library, for rules' `path` conditions: its path under each
scan root that holds it (the roots of every scan, plus the directories given to apply)."""

from __future__ import annotations

import os
from collections.abc import Iterable

from vpo.db import jobs as jobs_db
from vpo.db.dialect import Connection


def scan_roots(conn: Connection, extra: Iterable[bytes] = ()) -> tuple[bytes, ...]:
    roots = {os.path.abspath(p) for p in extra if os.path.isdir(p)}
    for target in jobs_db.scan_targets(conn):
        roots.update(os.fsencode(p) for p in target)
    return tuple(sorted(roots))


def relative_paths(path: bytes, roots: tuple[bytes, ...]) -> tuple[str, ...]:
    """The file's path under each root that holds it (text, surrogate-escaped), its
    absolute path last (a glob may say `/media/**`)."""
    text = os.fsdecode(path)  # a root ends at a `/`, so its bytes decode to a prefix of this
    out = [
        text[len(os.fsdecode(root.rstrip(b"/"))) + 1 :].lstrip("/")
        for root in roots
        if path.startswith(root.rstrip(b"/") + b"/")
    ]
    out.append(text)
    return tuple(out)
