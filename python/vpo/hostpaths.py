"""Paths per host (SPEC section 16): the catalogue knows a file by the path the scanning
host saw; another host mounts the same library elsewhere. `paths` in a host's config maps
catalogue roots to its own mount points, longest root first; a path under no mapped root
is the same on this host."""

from __future__ import annotations

import os

Mapping = tuple[tuple[str, str], ...]  # (catalogue root, local mount point)


def _pairs(mapping: Mapping, *, reverse: bool = False) -> list[tuple[bytes, bytes]]:
    pairs = [(os.fsencode(a.rstrip("/") or "/"), os.fsencode(b.rstrip("/") or "/")) for a, b in mapping]
    if reverse:
        pairs = [(b, a) for a, b in pairs]
    return sorted(pairs, key=lambda p: len(p[0]), reverse=True)


def _translate(path: bytes, pairs: list[tuple[bytes, bytes]]) -> bytes:
    for root, other in pairs:
        if path == root:
            return other
        if path.startswith(root.rstrip(b"/") + b"/"):
            return other.rstrip(b"/") + b"/" + path[len(root.rstrip(b"/")) + 1 :]
    return path


def to_local(path: bytes, mapping: Mapping) -> bytes:
    """Where this host finds the file the catalogue knows as `path`."""
    return _translate(path, _pairs(mapping)) if mapping else path


def to_catalogue(path: bytes, mapping: Mapping) -> bytes:
    """The catalogue's name of a path on this host."""
    return _translate(path, _pairs(mapping, reverse=True)) if mapping else path
