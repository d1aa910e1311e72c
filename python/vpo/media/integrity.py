"""The quick check, in Python, before every probe (SPEC section 14): is the container whole?

Runs in `media.probe.probe_file` for every backend: a few small reads, no decoding.
Matroska/WebM: the EBML header and a Segment that ends within the file (unless its size
is unknown), then the end of the streams read from the last Cluster (`ebml_tail`).
MP4/MOV: top-level boxes that tile the file, `moov` present. Other containers have no
declared size; for those that declare a duration, the PyAV probe compares it with the
last packets (`media.tail`). Raises ValueError(reason) like a probe that fails.
"""

from __future__ import annotations

import os

from vpo.media import ebml, ebml_tail, mp4boxes
from vpo.media.regular_file import open_regular
from vpo.media.tail import TOLERANCE_SECONDS


def check_structure(path: bytes) -> None:
    """Raise ValueError(reason) when the container's own structure says the file is broken."""
    try:
        fd = open_regular(path)  # a FIFO is refused, never waited on
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from None
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            raise ValueError("empty file (0 bytes)")
        head = os.pread(fd, ebml.HEAD_BYTES, 0)
        reason = None
        if head.startswith(ebml.MAGIC):
            reason, segment = ebml.check(head, size)
            if reason is None and segment is not None:
                reason = ebml_tail.check_end(fd, segment, size, TOLERANCE_SECONDS)
        elif mp4boxes.looks_like(head):
            reason = mp4boxes.check(fd, size)
    except OSError as exc:
        raise ValueError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if reason is not None:
        raise ValueError(reason)
