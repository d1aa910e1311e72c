"""Where a Matroska file's headers end: just enough EBML to find the first Cluster.

mkvpropedit rewrites header elements (SeekHead, Info, Tracks, Tags, Chapters,
Attachments) in the space they already take, in a Void next to them, or, when there is
no room, at the end of the file; it never touches a Cluster. So the bytes it can change
in the original length are the ones before the first Cluster, plus the elements the
SeekHead points at after the clusters (Cues, Tags, ... that some muxers write at the
end). `layout()` names both regions reading a few kilobytes, whatever the file's size:
the top level before the first Cluster and the SeekHead, never the clusters themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

EBML = 0x1A45DFA3
SEGMENT = 0x18538067
CLUSTER = 0x1F43B675
SEEK_HEAD = 0x114D9B74
SEEK = 0x4DBB
SEEK_POSITION = 0x53AC

MAX_HEAD = 256 << 20  # headers (with attachments) bigger than this are not a normal file
HEAD_READ = 64 << 10  # read at once: the head of most files, SeekHead and all


class NotMatroska(ValueError):
    """The headers cannot be located; the reason says why."""


@dataclass(frozen=True)
class Layout:
    first_cluster: int  # absolute offset of the first Cluster: [0, first_cluster) is the head
    tail: int  # absolute offset from which the SeekHead's elements after the clusters start
    size: int  # the file's length


def element(data: bytes, pos: int) -> tuple[int, int, int | None]:
    """(id, header length, data size or None when unknown) of the element at `pos`.

    Both variable-size integers are read inline (media/ebml.py's read_vint reads one
    the same way): a dry run of a whole library reads ~20 elements of each Matroska
    file it would edit in place."""
    n = len(data)
    if pos >= n:
        raise NotMatroska("truncated header")
    at = pos + 9 - data[pos].bit_length()  # where the size starts
    if at > pos + 8:
        raise NotMatroska(f"invalid element at byte {pos}")
    if at >= n:
        raise NotMatroska("truncated header")
    size_len = 9 - data[at].bit_length()
    if size_len > 8:
        raise NotMatroska(f"invalid element at byte {at}")
    end = at + size_len
    if end > n:
        raise NotMatroska("truncated header")
    unknown = (1 << (7 * size_len)) - 1  # all ones: the size is unknown (a live stream)
    size = int.from_bytes(data[at:end], "big") & unknown
    return int.from_bytes(data[pos:at], "big"), end - pos, None if size == unknown else size


def _reader(f: BinaryIO) -> Callable[[int, int], bytes]:
    """`read(offset, n)` of the file open as `f`: the first HEAD_READ bytes are read at
    once (a whole small file, or the head of most films), the rest when asked for."""
    f.seek(0)
    head = f.read(HEAD_READ)
    whole = len(head) < HEAD_READ

    def read(offset: int, n: int) -> bytes:
        if whole or offset + n <= len(head):
            return head[offset : offset + n]
        f.seek(offset)
        return f.read(n)

    return read


def layout(f: BinaryIO, size: int) -> Layout:
    """The head and tail regions of the Matroska file open as `f` (of length `size`).
    Raises NotMatroska when they cannot be told apart safely."""
    _read = _reader(f)
    head = _read(0, 64)
    if not head.startswith(EBML.to_bytes(4, "big")):
        raise NotMatroska("no EBML header")
    ident, hlen, body = element(head, 0)
    if ident != EBML or body is None:
        raise NotMatroska("no EBML header")
    pos = hlen + body
    seg = _read(pos, 12)
    ident, hlen, seg_size = element(seg, 0)
    if ident != SEGMENT:
        raise NotMatroska("no Segment after the EBML header")
    if seg_size is None:
        raise NotMatroska("the Segment's size is unknown (a live or unfinished recording)")
    segment_data = pos + hlen
    pos = segment_data
    seek_positions: list[int] = []
    while True:
        if pos >= size or pos - segment_data > MAX_HEAD:
            raise NotMatroska("no Cluster found")
        buf = _read(pos, 12)
        ident, hlen, body = element(buf, 0)
        if ident == CLUSTER:
            first_cluster = pos
            break
        if body is None:
            raise NotMatroska("an element of unknown size before the first Cluster")
        if ident == SEEK_HEAD and body < (1 << 20):
            seek_positions += _seek_positions(_read(pos + hlen, body))
        pos += hlen + body
    after = [segment_data + p for p in seek_positions if segment_data + p > first_cluster]
    tail = min([p for p in after if p < size], default=size)
    return Layout(first_cluster=first_cluster, tail=tail, size=size)


def _seek_positions(data: bytes) -> list[int]:
    """The SeekPosition values (relative to the Segment's data) of a SeekHead's body."""
    out: list[int] = []
    pos = 0
    while pos < len(data):
        ident, hlen, body = element(data, pos)
        if body is None:
            break
        if ident == SEEK:
            inner, end = pos + hlen, pos + hlen + body
            while inner < end:
                sub, sub_hlen, sub_body = element(data, inner)
                if sub_body is None:
                    break
                if sub == SEEK_POSITION:
                    out.append(int.from_bytes(data[inner + sub_hlen : inner + sub_hlen + sub_body], "big"))
                inner += sub_hlen + sub_body
        pos += hlen + body
    return out
