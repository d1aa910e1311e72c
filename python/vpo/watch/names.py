"""Which paths under a watched root the watcher handles: the video files a scan of the root
would catalogue, minus the names `watch.ignore` lists and VPO's own working files. Pure."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence

from vpo.media.siblings import is_own_name


class NameFilter:
    """`wanted(path)`: a file under `root` the watcher may handle.

    Never: a name in a hidden directory or a hidden name (scans skip them), a name
    matching a `watch.ignore` pattern (case-insensitive glob on the file name: `*.part`
    also ignores `X.PART`), a name VPO writes itself (`.vpo-tmp-*`, kept originals), a
    name without one of the scan's extensions."""

    def __init__(self, root: bytes, *, ignore: Sequence[str], extensions: Sequence[str]) -> None:
        self.root = root.rstrip(b"/")
        self._patterns = [os.fsencode(p.lower()) for p in ignore]
        self._extensions = {os.fsencode(e).lstrip(b".").lower() for e in extensions}

    def under_root(self, path: bytes) -> bytes | None:
        """`path` relative to the root, or None when it is not strictly under it."""
        prefix = self.root + b"/"
        return path[len(prefix) :] if path.startswith(prefix) and len(path) > len(prefix) else None

    def hidden(self, path: bytes) -> bool:
        """Under a hidden directory, or hidden itself (relative to the root)."""
        rel = self.under_root(path)
        return rel is None or rel.startswith(b".") or b"/." in rel

    def ignored_name(self, name: bytes) -> bool:
        lowered = name.lower()
        return is_own_name(name) or any(fnmatch.fnmatchcase(lowered, p) for p in self._patterns)

    def video_name(self, name: bytes) -> bool:
        dot = name.rfind(b".")
        return dot > 0 and name[dot + 1 :].lower() in self._extensions

    def wanted(self, path: bytes) -> bool:
        if self.hidden(path):
            return False
        name = path.rpartition(b"/")[2]
        return self.video_name(name) and not self.ignored_name(name)
