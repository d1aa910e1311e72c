"""The roots a scan is asked for: normalised, and checked before any work starts.

A root that does not exist fails the scan. If the catalogue knows files under it (an
autofs path that is gone, a removed mount point) the failure is recorded as a scan job,
like an empty mount point; a path nobody catalogued is a typo and fails with no job.
"""

from __future__ import annotations

import os

from vpo.db import files as files_db
from vpo.db.connection import Database
from vpo.errors import RootNotFoundError, UsageError


def normalize_roots(paths: list[bytes], *, must_exist: bool = True) -> tuple[bytes, ...]:
    """Absolute, deduplicated; a root inside another root is dropped. Missing roots fail
    (unless `must_exist` is false)."""
    roots = []
    for raw in paths:
        root = os.path.abspath(raw)
        if must_exist and not os.path.exists(root):
            raise RootNotFoundError(
                f"path does not exist: {os.fsdecode(root)}", details={"path": os.fsdecode(root)}
            )
        roots.append(root)
    roots.sort()
    kept: list[bytes] = []
    for root in roots:
        if not any(root == k or root.startswith(k.rstrip(b"/") + b"/") for k in kept):
            kept.append(root)
    return tuple(kept)


def check_file_roots(roots: tuple[bytes, ...], extensions: tuple[str, ...]) -> None:
    """A file named on the command line that the scan would not catalogue fails at once,
    saying why, instead of a scan that discovers nothing."""
    wanted = {e.lower() for e in extensions}
    for root in roots:
        if not os.path.isfile(root):
            continue
        ext = os.path.splitext(root)[1].decode("utf-8", "replace").lstrip(".").lower()
        if ext not in wanted:
            shown = os.fsdecode(root)
            raise UsageError(
                f"{shown}: .{ext or '(no extension)'} files are not catalogued "
                f"(scan.extensions: {', '.join(extensions)}; add one with --extensions)",
                details={"path": shown, "extensions": list(extensions)},
            )


def vanished_roots(db: Database, roots: tuple[bytes, ...]) -> list[RootNotFoundError]:
    """Why each missing root fails. A path nobody catalogued fails at once, with no job (a
    typo); one the catalogue knows files under is recorded as a failed scan job."""
    problems = []
    for root in roots:
        if os.path.exists(root):
            continue
        shown = os.fsdecode(root)
        known = files_db.count_present_under(db.conn, root)
        if not known:
            raise RootNotFoundError(f"path does not exist: {shown}", details={"path": shown})
        problems.append(
            RootNotFoundError(
                f"path does not exist: {shown}, but the library knows {known:,} files under it; "
                "is it unmounted? Nothing was marked missing",
                details={"path": shown, "known_files": known},
            )
        )
    return problems
