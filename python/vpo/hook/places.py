"""Where a path Radarr or Sonarr named belongs: this host's name of it (`paths:`, as for
another host: what they see is the catalogue side), and the profile whose `roots` hold it
(the longest root wins), else none: the defaults, no policy."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from vpo.hostpaths import Mapping, to_local


@dataclass(frozen=True)
class Library:
    profile: str
    roots: tuple[bytes, ...]  # absolute, normalised


@dataclass(frozen=True)
class Place:
    profile: str | None  # None: under no profile's roots (and no --profile)
    root: bytes  # the profile's root holding the path, else the nearest folder of it


class Places:
    """`override`: a --profile or $VPO_PROFILE, which every path gets (its roots, if one
    holds the path, bound the scan; else the path's folder does)."""

    def __init__(self, libraries: Sequence[Library], mapping: Mapping, override: str | None = None) -> None:
        self.mapping = mapping
        self.override = override
        pairs = [(root, lib.profile) for lib in libraries for root in lib.roots]
        if override is not None:
            pairs = [(root, name) for root, name in pairs if name == override]
        self.roots = sorted(pairs, key=lambda p: len(p[0]), reverse=True)

    def local(self, path: str) -> bytes:
        """This host's name of a path as Radarr or Sonarr see it."""
        return os.path.normpath(to_local(os.fsencode(path), self.mapping))

    def of(self, path: bytes) -> Place:
        for root, name in self.roots:
            if path == root or path.startswith(root.rstrip(b"/") + b"/"):
                return Place(name, root)
        return Place(self.override, nearest_folder(path))


def nearest_folder(path: bytes) -> bytes:
    """The folder holding `path` or, when that is gone too (a film's folder deleted with
    it), the nearest one above it that is still there."""
    folder = os.path.dirname(path)
    while folder not in (b"", b"/") and not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    return folder or b"/"
