"""The end of a Matroska file's streams, read straight from its last Cluster.

The quick check's second half for Matroska and WebM (SPEC section 14): the Segment Info
declares the duration; the last Cluster's timestamp plus its last block's relative
timestamp (and BlockDuration, when stored) is where the streams really end. Reading the
file's last MiB and the Info near its start costs about a millisecond; seeking and
demuxing with libavformat cost a third of a probe (it reads the Cues, then every packet
from the previous keyframe on), see docs/integrity.md.

A file that is whole in size but not in content (a preallocated download that never
finished: zeros where the last clusters should be) passes the Segment size check and is
caught here: its last readable Cluster ends early, or its last MiB is nothing but zeros.
"""

from __future__ import annotations

import os
import struct
from typing import NamedTuple

from vpo.media.ebml import Truncated, read_vint, unknown_size

INFO_ID = 0x1549A966
CLUSTER_ID = 0x1F43B675
CLUSTER_MAGIC = b"\x1f\x43\xb6\x75"
TIMESTAMP_SCALE_ID = 0x2AD7B1
DURATION_ID = 0x4489
TIMESTAMP_ID = 0xE7
SIMPLEBLOCK_ID = 0xA3
BLOCKGROUP_ID = 0xA0
BLOCK_ID = 0xA1
BLOCK_DURATION_ID = 0x9B
SKIPPABLE = (0xBF, 0xEC)  # CRC-32, Void
SEEKHEAD_ID = 0x114D9B74
SEEK_ID = 0x4DBB
SEEK_ID_ID = 0x53AB
SEEK_POSITION_ID = 0x53AC
CUES_ID = 0x1C53BB6B
CUES_MAGIC = b"\x1c\x53\xbb\x6b"
CUE_POINT_ID = 0xBB
CUE_TRACK_POSITIONS_ID = 0xB7
CUE_CLUSTER_POSITION_ID = 0xF1
CUES_BYTES = 4 << 20  # a two-hour film's Cues are ~100 KiB
CLUSTER_BYTES = 16 << 20  # a last Cluster bigger than this is not read: no verdict
INFO_BYTES = 64 * 1024  # the Info sits after the SeekHead, in the first few KiB
TAIL_BYTES = 256 * 1024  # most clusters start within it; bigger ones are found through the Cues


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big") if data else 0


class Info(NamedTuple):
    scale: int  # ns per tick
    duration: float | None  # in ticks
    cues: int | None  # the Cues' position, relative to the Segment's content


def segment_info(fd: int, segment_start: int) -> Info:
    """The Segment Info's scale and duration, and where the SeekHead says the Cues are."""
    data = os.pread(fd, INFO_BYTES, segment_start)
    pos = 0
    scale, duration, cues = 1_000_000, None, None
    try:
        while pos < len(data):
            element, pos, _ = read_vint(data, pos, keep_marker=True)
            size, pos, length = read_vint(data, pos, keep_marker=False)
            if element == CLUSTER_ID or unknown_size(size, length):
                break
            end = min(pos + size, len(data))
            if element == SEEKHEAD_ID:
                for seek, body in _children(data, pos, end):
                    if seek == SEEK_ID:
                        found = dict(_children(data, body[0], body[1]))
                        target = found.get(SEEK_ID_ID)
                        if target and data[target[0] : target[1]] == CUES_MAGIC and SEEK_POSITION_ID in found:
                            where = found[SEEK_POSITION_ID]
                            cues = _uint(data[where[0] : where[1]])
            elif element == INFO_ID:
                for child, (start, stop) in _children(data, pos, end):
                    value = data[start:stop]
                    if child == TIMESTAMP_SCALE_ID:
                        scale = _uint(value) or 1_000_000
                    elif child == DURATION_ID and len(value) in (4, 8):
                        duration = struct.unpack(">f" if len(value) == 4 else ">d", value)[0]
                break  # the SeekHead comes first
            pos += size
    except (Truncated, ValueError):
        pass
    return Info(scale, duration, cues)


def _children(data: bytes, pos: int, end: int) -> list[tuple[int, tuple[int, int]]]:
    """(id, (content start, content end)) of the elements in data[pos:end]."""
    out = []
    while pos < end:
        element, pos, _ = read_vint(data, pos, keep_marker=True)
        size, pos, _ = read_vint(data, pos, keep_marker=False)
        out.append((element, (pos, min(pos + size, end))))
        pos += size
    return out


def _last_cue_cluster(fd: int, segment_start: int, cues: int, file_size: int) -> int | None:
    """The absolute position of the Cluster the last cue point names, or None."""
    at = segment_start + cues
    if at >= file_size:
        return None
    head = os.pread(fd, 12, at)
    element, pos, _ = read_vint(head, 0, keep_marker=True)
    if element != CUES_ID:
        return None
    size, pos, _ = read_vint(head, pos, keep_marker=False)
    data = os.pread(fd, min(size, CUES_BYTES), at + pos)
    last = None
    for point, (start, stop) in _children(data, 0, len(data)):
        if point != CUE_POINT_ID:
            continue
        for child, (a, b) in _children(data, start, stop):
            if child == CUE_TRACK_POSITIONS_ID:
                for grand, (c, d) in _children(data, a, b):
                    if grand == CUE_CLUSTER_POSITION_ID:
                        value = _uint(data[c:d])
                        last = value if last is None else max(last, value)
    return None if last is None else segment_start + last


def _last_cluster(fd: int, pos: int, file_size: int) -> tuple[int, int] | None:
    """From the Cluster at `pos`, follow the declared sizes to the last one: (start, end)."""
    found = None
    while pos + 4 < file_size:
        head = os.pread(fd, 12, pos)
        element, body, _ = read_vint(head, 0, keep_marker=True)
        if element != CLUSTER_ID:
            break
        size, body, length = read_vint(head, body, keep_marker=False)
        end = file_size if unknown_size(size, length) else pos + body + size
        found = (pos, min(end, file_size))
        if unknown_size(size, length):
            break
        pos = end
    return found


def _block_time(data: bytes, pos: int) -> int:
    """The relative timestamp (int16) of the (Simple)Block whose content starts at `pos`."""
    _, pos, _ = read_vint(data, pos, keep_marker=False)  # track number
    if pos + 2 > len(data):
        raise Truncated
    return int(struct.unpack(">h", data[pos : pos + 2])[0])


def _block_group_end(data: bytes, pos: int, stop: int, base: int) -> int | None:
    """The end (in ticks) of the Block in the BlockGroup whose content spans `pos`-`stop`:
    its time plus its BlockDuration (0 when none is stated); None when it holds no Block."""
    block, duration = None, 0
    while pos < stop:
        child, pos, _ = read_vint(data, pos, keep_marker=True)
        size, pos, _ = read_vint(data, pos, keep_marker=False)
        if child == BLOCK_ID:
            block = base + _block_time(data, pos)
        elif child == BLOCK_DURATION_ID:
            duration = _uint(data[pos : pos + size])
        pos += size
    return None if block is None else block + duration


def _cluster_end(data: bytes, start: int) -> int | None:
    """The end (in ticks) of the last block of the Cluster at `start`, or None when the
    bytes there are not a Cluster after all (an ID lookalike inside a frame)."""
    pos = start + 4
    try:
        size, pos, length = read_vint(data, pos, keep_marker=False)
        end = len(data) if unknown_size(size, length) else min(pos + size, len(data))
        base = None
        best: int | None = None
        while pos < end:
            element, pos, _ = read_vint(data, pos, keep_marker=True)
            size, pos, length = read_vint(data, pos, keep_marker=False)
            if base is None:
                if element in SKIPPABLE:
                    pos += size
                    continue
                if element != TIMESTAMP_ID or size > 8:
                    return None
                base = _uint(data[pos : pos + size])
            elif element == SIMPLEBLOCK_ID:
                t = base + _block_time(data, pos)
                best = t if best is None else max(best, t)
            elif element == BLOCKGROUP_ID:
                block_end = _block_group_end(data, pos, min(pos + size, len(data)), base)
                if block_end is not None:
                    best = block_end if best is None else max(best, block_end)
            elif element == CLUSTER_ID or unknown_size(size, length):
                break
            pos += size
        return best if best is not None else base
    except (Truncated, ValueError):
        return best if base is not None else None


def check_end(fd: int, segment_start: int, file_size: int, tolerance: float) -> str | None:
    """Why the streams end well before the declared duration, or None (also when the file
    declares no duration, or its last Cluster cannot be found cheaply: no verdict).

    The last Cluster: searched for in the file's last MiB; failing that (clusters of
    several MiB), reached from the last cue point by the Clusters' declared sizes.
    """
    info = segment_info(fd, segment_start)
    if info.duration is None:
        return None
    start = max(segment_start, file_size - TAIL_BYTES)
    data = os.pread(fd, file_size - start, start)
    ticks = None
    pos = len(data)
    while (found := data.rfind(CLUSTER_MAGIC, 0, pos)) >= 0:
        ticks = _cluster_end(data, found)
        if ticks is not None:
            break
        pos = found
    if ticks is None and info.cues is not None:
        try:
            first = _last_cue_cluster(fd, segment_start, info.cues, file_size)
            last = _last_cluster(fd, first, file_size) if first is not None else None
            if last is not None and last[1] - last[0] <= CLUSTER_BYTES:
                ticks = _cluster_end(os.pread(fd, last[1] - last[0], last[0]), 0)
        except (Truncated, ValueError):
            ticks = None
    if ticks is None:
        if len(data) >= 4096 and data.count(0) == len(data):
            return f"incomplete: the last {len(data):,} bytes are zeros (an unfinished download or copy?)"
        return None
    declared, end = info.duration * info.scale / 1e9, ticks * info.scale / 1e9
    if declared - end > tolerance:
        return f"incomplete: the streams end at {end:.1f} s, the container says {declared:.1f} s"
    return None
