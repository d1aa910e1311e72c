"""media/ebml_layout.py (rust/src/ebml.rs) on hand-built element streams, and the migration
that rebuilds `jobs` for the `undo` type and the `skipped` status on a database holding
history."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest

from vpo.db import migrations, migrations_sqlite
from vpo.media import ebml_layout

EBML, SEGMENT, CLUSTER = 0x1A45DFA3, 0x18538067, 0x1F43B675
SEEK_HEAD, SEEK, SEEK_POSITION = 0x114D9B74, 0x4DBB, 0x53AC


def el(ident: int, body: bytes, *, unknown: bool = False) -> bytes:
    """An element: its id bytes, an 8-byte size (or the unknown-size marker), its body."""
    size = b"\x01\xff\xff\xff\xff\xff\xff\xff" if unknown else b"\x01" + len(body).to_bytes(7, "big")
    return ident.to_bytes((ident.bit_length() + 7) // 8, "big") + size + body


def seek(position: int) -> bytes:
    return el(
        SEEK,
        el(0x53AB, b"\x1c\x53\xbb\x6b") + el(SEEK_POSITION, position.to_bytes(4, "big")),
    )


def matroska(
    *, unknown: bool = False, cluster: bool = True, cues_at_end: bool = True
) -> tuple[bytes, int, int]:
    """A file: EBML header, Segment(SeekHead, Info, Tracks, Void, Cluster, Cluster, Cues).
    Returns (bytes, offset of the first Cluster, offset of the Cues)."""
    header = el(EBML, el(0x4282, b"matroska"))
    info = el(0x1549A966, b"\x00" * 20)
    tracks = el(0x1654AE6B, b"\x00" * 40)
    void = el(0xEC, b"\x00" * 30)
    clusters = el(CLUSTER, b"\x11" * 500) + el(CLUSTER, b"\x22" * 500) if cluster else b""
    seek_len = len(el(SEEK_HEAD, seek(0)))
    before_clusters = seek_len + len(info) + len(tracks) + len(void)
    cues_at = before_clusters + len(clusters)  # relative to the Segment's data
    head = el(SEEK_HEAD, seek(cues_at if cues_at_end else 0))
    cues = el(0x1C53BB6B, b"\x33" * 50)
    body = head + info + tracks + void + clusters + cues
    segment = el(SEGMENT, body, unknown=unknown)
    data_start = len(header) + 12
    return header + segment, data_start + before_clusters, data_start + cues_at


def layout_of(data: bytes) -> ebml_layout.Layout:
    """The layout of a file holding `data` (read through its descriptor, as apply does)."""
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.flush()
        return ebml_layout.layout(f, len(data))


def test_the_head_ends_at_the_first_cluster_and_the_tail_starts_at_the_cues() -> None:
    data, first, cues = matroska()
    layout = layout_of(data)
    assert (layout.first_cluster, layout.tail, layout.size) == (first, cues, len(data))
    assert data[first : first + 4] == b"\x1f\x43\xb6\x75"


def test_no_seek_entry_after_the_clusters_means_no_tail() -> None:
    data, _first, _ = matroska(cues_at_end=False)
    assert layout_of(data).tail == len(data)


@pytest.mark.parametrize(
    "kwargs,reason",
    [(dict(unknown=True), "size is unknown"), (dict(cluster=False), "no Cluster")],
)
def test_headers_that_cannot_be_located_say_why(kwargs: dict[str, bool], reason: str) -> None:
    data, _, _ = matroska(**kwargs)
    with pytest.raises(ebml_layout.NotMatroska, match=reason):
        layout_of(data)


def test_not_matroska_at_all() -> None:
    with pytest.raises(ebml_layout.NotMatroska, match="no EBML header"):
        layout_of(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64)


def test_the_jobs_rebuild_keeps_history_indexes_and_foreign_keys(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "library.db")
    conn.execute("PRAGMA foreign_keys = ON")
    scripts = migrations_sqlite.SQLITE
    for script in scripts[: scripts.index(migrations_sqlite.V_JOB_KINDS)]:
        conn.executescript(script)
    conn.execute(
        "INSERT INTO files (path, size, mtime_ns, scan_status, first_seen, last_scanned) "
        "VALUES (x'2f61', 1, 1, 'ok', 't', 't')"
    )
    conn.execute(
        "INSERT INTO jobs (id, type, status, target, created_at) VALUES ('j1', 'apply', 'completed', '[]', 't')"
    )
    conn.execute(
        "INSERT INTO job_files (job_id, file_id, path, outcome) VALUES ('j1', 1, x'2f61', 'applied')"
    )
    indexes = set(conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'"))
    conn.commit()
    conn.execute("BEGIN")
    for statement in migrations.statements(migrations_sqlite.V_JOB_KINDS):
        conn.execute(statement)
    conn.commit()
    assert conn.execute("SELECT job_id, file_id, outcome FROM job_files").fetchall() == [("j1", 1, "applied")]
    assert set(conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")) == indexes
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.execute(
        "INSERT INTO jobs (id, type, status, target, created_at) VALUES ('j2', 'undo', 'skipped', '[]', 't')"
    )
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO jobs (id, type, status, target, created_at) VALUES ('j3', 'nope', 'done', '[]', 't')"
        )
    conn.execute("DELETE FROM files")  # SET NULL still
    conn.execute("DELETE FROM jobs WHERE id = 'j1'")  # CASCADE still
    assert conn.execute("SELECT count(*) FROM job_files").fetchone() == (0,)
    conn.close()
