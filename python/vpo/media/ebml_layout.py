"""Where a Matroska file's headers end: just enough EBML to find the first Cluster.

mkvpropedit rewrites header elements (SeekHead, Info, Tracks, Tags, Chapters,
Attachments) in the space they already take, in a Void next to them, or, when there is
no room, at the end of the file; it never touches a Cluster. So the bytes it can change
in the original length are the ones before the first Cluster, plus the elements the
SeekHead points at after the clusters (Cues, Tags, ... that some muxers write at the
end). `layout()` names both regions reading a few kilobytes, whatever the file's size:
the top level before the first Cluster and the SeekHead, never the clusters themselves.

The reading is Rust's (rust/src/ebml.rs, through scan/walker.py): a dry run of a
whole library reads this of every Matroska file it would edit in place, ~20 elements
each, which cost ~60 µs a file in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from vpo.scan.walker import matroska_layout


class NotMatroska(ValueError):
    """The headers cannot be located; the reason says why."""


@dataclass(frozen=True)
class Layout:
    first_cluster: int  # absolute offset of the first Cluster: [0, first_cluster) is the head
    tail: int  # absolute offset from which the SeekHead's elements after the clusters start
    size: int  # the file's length


def layout(f: BinaryIO, size: int) -> Layout:
    """The head and tail regions of the Matroska file open as `f` (of length `size`; read
    at offsets, `f`'s own position stays). Raises NotMatroska when they cannot be told
    apart safely, OSError when the file cannot be read."""
    fd = f.fileno()  # outside the try: io.UnsupportedOperation is a ValueError too
    try:
        first_cluster, tail = matroska_layout(fd, size)
    except ValueError as exc:
        raise NotMatroska(str(exc)) from None
    return Layout(first_cluster=first_cluster, tail=tail, size=size)
