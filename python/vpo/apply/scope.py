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


class RelativePaths:
    """A file's path under each root that holds it (text, surrogate-escaped), its
    absolute path last (a glob may say `/media/**`); the roots are prepared once for a
    whole library."""

    def __init__(self, roots: tuple[bytes, ...]) -> None:
        # (the root and its `/`, how many characters its text takes with that `/`): a root
        # ends at a `/`, so its bytes decode to a prefix of the file's text
        self.prefixes = [(r.rstrip(b"/") + b"/", len(os.fsdecode(r.rstrip(b"/"))) + 1) for r in roots]

    def __call__(self, path: bytes) -> tuple[str, ...]:
        text = os.fsdecode(path)
        out = [text[skip:].lstrip("/") for prefix, skip in self.prefixes if path.startswith(prefix)]
        out.append(text)
        return tuple(out)
