"""Matroska's outer structure: the EBML header and the Segment that follows it.

A Matroska file is an EBML header element and then one Segment element whose header
declares its size (or "unknown", for a live stream written to a pipe). A file cut short
(an unfinished download, a failed copy) keeps its headers intact, so libavformat lists
its tracks happily; the Segment's declared size is what says the rest is missing.
Reads at most the first few KiB of the file.
"""

from __future__ import annotations

EBML_ID = 0x1A45DFA3
SEGMENT_ID = 0x18538067
VOID_ID = 0xEC
MAGIC = b"\x1a\x45\xdf\xa3"
HEAD_BYTES = 4096  # the EBML header is ~40 bytes; Void elements before the Segment are rare


class Truncated(Exception):
    """The bytes end inside an element header."""


def read_vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int, int]:
    """(value, next position, length) of the EBML variable-length integer at `pos`."""
    if pos >= len(data):
        raise Truncated
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ValueError(f"corrupt: invalid EBML length marker at byte {pos:,}")
    if pos + length > len(data):
        raise Truncated
    value = first if keep_marker else first & (0xFF >> length)
    for b in data[pos + 1 : pos + length]:
        value = (value << 8) | b
    return value, pos + length, length


def unknown_size(value: int, length: int) -> bool:
    """An all-ones size means "unknown" (a live stream)."""
    return value == (1 << (7 * length)) - 1


def check(head: bytes, file_size: int) -> tuple[str | None, int | None]:
    """(the reason the Matroska file whose first bytes are `head` is broken, or None;
    where the Segment's content starts, when it was found).

    `head` is the first min(HEAD_BYTES, file_size) bytes of a file of `file_size` bytes.
    """
    try:
        ebml_id, pos, _ = read_vint(head, 0, keep_marker=True)
        if ebml_id != EBML_ID:
            return "not Matroska: no EBML header", None
        size, pos, length = read_vint(head, pos, keep_marker=False)
        if unknown_size(size, length):
            return "corrupt: the EBML header has no size", None
        end = pos + size
        if end > file_size:
            return f"truncated: the EBML header ends at {end:,} bytes, the file has {file_size:,}", None
        pos = end
        while True:
            start = pos
            element, pos, _ = read_vint(head, pos, keep_marker=True)
            size, pos, length = read_vint(head, pos, keep_marker=False)
            if element == SEGMENT_ID:
                break
            if element != VOID_ID:
                return f"corrupt: expected the Segment at byte {start:,}, found element 0x{element:X}", None
            pos += size
    except Truncated:
        if len(head) < file_size:
            return None, None  # more padding before the Segment than we read: no verdict
        return f"truncated: the file ends inside the Matroska headers, at {file_size:,} bytes", None
    except ValueError as exc:
        return str(exc), None
    if unknown_size(size, length):
        return None, pos  # live-style stream: only its end can tell (ebml_tail)
    end = pos + size
    if end > file_size:
        return f"truncated: the Segment ends at {end:,} bytes, the file has {file_size:,}", pos
    return None, pos
