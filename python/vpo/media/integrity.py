"""The quick check's structure half: is the container whole? (SPEC section 14)

Runs before every probe (`media.probe.probe_file`): a few small reads, no decoding.
Matroska: the EBML header and a Segment that ends within the file (unless its size is
unknown). MP4/MOV: top-level boxes that tile the file, `moov` present. Other containers
have no declared size to compare with; the end-of-streams half (`media.tail`) covers
the ones that declare a duration. Raises ValueError(reason) like a probe that fails.
"""

from __future__ import annotations

import os

from vpo.media import ebml, mp4boxes


def check_structure(path: bytes) -> None:
    """Raise ValueError(reason) when the container's own structure says the file is broken."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise ValueError(exc.strerror or str(exc)) from None
    try:
        size = os.fstat(fd).st_size
        if size == 0:
            raise ValueError("empty file (0 bytes)")
        head = os.pread(fd, ebml.HEAD_BYTES, 0)
        reason = None
        if head.startswith(ebml.MAGIC):
            reason = ebml.check(head, size)
        elif mp4boxes.looks_like(head):
            reason = mp4boxes.check(fd, size)
    except OSError as exc:
        raise ValueError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if reason is not None:
        raise ValueError(reason)
