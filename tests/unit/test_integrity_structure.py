"""The quick check's structure readers on hand-made bytes (media/ebml.py, media/mp4boxes.py,
media/ebml_tail.py): every verdict and the reason it gives."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from vpo.media import ebml, ebml_tail, mp4boxes
from vpo.media.integrity import check_structure


def element(eid: bytes, body: bytes, *, unknown: bool = False) -> bytes:
    size = b"\x01\xff\xff\xff\xff\xff\xff\xff" if unknown else b"\x01" + len(body).to_bytes(7, "big")
    return eid + size + body


EBML_HEADER = element(b"\x1a\x45\xdf\xa3", element(b"\x42\x82", b"matroska"))
SEGMENT = b"\x18\x53\x80\x67"


def matroska(duration_ms: float, cluster_ms: int, blocks: list[int], *, unknown: bool = False) -> bytes:
    info = element(b"\x15\x49\xa9\x66", element(b"\x2a\xd7\xb1", (1_000_000).to_bytes(3, "big"))
                   + element(b"\x44\x89", struct.pack(">d", duration_ms)))  # fmt: skip
    cluster_body = element(b"\xe7", cluster_ms.to_bytes(2, "big"))
    for rel in blocks:
        cluster_body += element(b"\xa3", b"\x81" + struct.pack(">h", rel) + b"\x80" + b"frame" * 10)
    body = info + element(b"\x1f\x43\xb6\x75", cluster_body)
    return EBML_HEADER + element(SEGMENT, body, unknown=unknown)


def test_a_whole_matroska_file_passes_and_a_cut_one_names_both_sizes() -> None:
    data = matroska(1000, 0, [0, 500, 990])
    assert ebml.check(data, len(data))[0] is None
    cut = data[:60]
    reason, _ = ebml.check(cut, len(cut))
    assert reason == f"truncated: the Segment ends at {len(data):,} bytes, the file has 60"


def test_unknown_size_segment_passes_and_a_cut_header_is_truncated() -> None:
    live = matroska(1000, 0, [0], unknown=True)
    assert ebml.check(live[:70], 70)[0] is None
    assert (
        ebml.check(EBML_HEADER[:14], 14)[0]
        == f"truncated: the EBML header ends at {len(EBML_HEADER)} bytes, the file has 14"
    )
    assert (
        ebml.check(b"\x1a\x45\xdf", 3)[0]
        == "truncated: the file ends inside the Matroska headers, at 3 bytes"
    )


def _end(tmp_path: Path, data: bytes) -> str | None:
    path = tmp_path / "x.mkv"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        _, segment = ebml.check(data[:4096], len(data))
        assert segment is not None
        return ebml_tail.check_end(fd, segment, len(data), 2.0)
    finally:
        os.close(fd)


def test_the_last_cluster_must_reach_the_declared_duration(tmp_path: Path) -> None:
    assert _end(tmp_path, matroska(10_000, 8_000, [0, 1000, 1900])) is None  # ends at 9.9 s
    assert _end(tmp_path, matroska(10_000, 2_000, [0, 1000, 1500])) == (
        "incomplete: the streams end at 3.5 s, the container says 10.0 s"
    )


def test_a_zero_filled_end_is_incomplete(tmp_path: Path) -> None:
    data = matroska(10_000, 8_000, [0, 1900])
    segment_grows = data + bytes(ebml_tail.TAIL_BYTES)
    # the Segment's declared size covers the zeros, as in a preallocated download
    head = EBML_HEADER + SEGMENT + b"\x01" + (len(segment_grows) - len(EBML_HEADER) - 12).to_bytes(7, "big")
    padded = head + segment_grows[len(head) :]
    assert "bytes are zeros" in (_end(tmp_path, padded) or "")


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def _boxes(tmp_path: Path, data: bytes) -> str | None:
    path = tmp_path / "x.mp4"
    path.write_bytes(data)
    try:
        check_structure(os.fsencode(path))
    except ValueError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (box(b"ftyp", b"isom") + box(b"moov", b"x" * 20) + box(b"mdat", b"y" * 100), None),
        (box(b"ftyp", b"isom") + box(b"mdat", b"y" * 100) + box(b"moov", b"x" * 20) + bytes(30), None),
        (
            (box(b"ftyp", b"isom") + box(b"moov", b"x" * 20) + box(b"mdat", b"y" * 100))[:80],
            "truncated: the 'mdat' box ends at 148 bytes, the file has 80",
        ),
        (
            box(b"ftyp", b"isom") + box(b"free", b"") + box(b"mdat", b"y" * 100),
            "unfinished: no 'moov' box (the index of the samples; top-level boxes: ftyp, free, mdat)",
        ),
        (
            box(b"ftyp", b"isom") + box(b"moov", b"x") + b"abc",
            "truncated: 3 bytes after the last box (at 21) are too few for a box header",
        ),
    ],
)
def test_mp4_boxes_must_tile_the_file_and_hold_a_moov(
    tmp_path: Path, data: bytes, reason: str | None
) -> None:
    assert mp4boxes.looks_like(data)
    assert _boxes(tmp_path, data) == reason


def test_an_empty_file_is_named_as_such(tmp_path: Path) -> None:
    assert _boxes(tmp_path, b"") == "empty file (0 bytes)"
