"""The journal of an in-place edit: the bytes mkvpropedit can touch, saved before it runs.

A journal is one file in `$VPO_HOME/journal/`: a JSON header (the file's path and
identity: device, inode, size, mtime_ns, sampled fingerprint; the job; the regions) and
the saved bytes of each region (the headers before the first Cluster, and the SeekHead's
elements after the clusters, see media/ebml_layout.py). Writing the regions back and truncating
the file to its original length puts the original back byte for byte, whatever the tool
did in between (an element it moved to the end of the file is cut off); the original
mtime is set again, so the file is also the one the catalogue knows.

Its name says its state: `pending-PID-RANDOM.vpoj` while the edit is not recorded (a
dead PID's pending journal is a killed edit: `rollback.py` puts the file back), then
`undo-RANDOM.vpoj` once the verified result is recorded on its job and originals are
kept (`vpo jobs undo` writes it back; `vpo backups clean` may delete it).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from typing import Any

from vpo.edit.fileops import sync_folder
from vpo.media import ebml_layout
from vpo.media.regular_file import open_regular, open_regular_file
from vpo.media.siblings import alive

MAGIC = b"VPOJ1\n"
SAMPLES = 32
SAMPLE_BYTES = 64 << 10
_PENDING = re.compile(rb"^pending-(\d+)-[0-9a-f]{8}\.vpoj$")


@dataclass(frozen=True)
class Journal:
    file: bytes  # the journal's own path
    path: bytes  # the media file
    dev: int
    ino: int
    size: int
    mtime_ns: int
    fingerprint: str | None
    regions: tuple[tuple[int, int], ...]  # (offset, length) saved, in file order
    middle: tuple[int, int]  # the range no edit may change: [first cluster, tail)
    middle_sample: str
    job_id: str | None
    pid: int
    keep: bool  # whether the journal stays, as the undo record, once its edit is recorded

    @property
    def saved_bytes(self) -> int:
        return sum(n for _, n in self.regions)

    def header(self) -> dict[str, Any]:
        return {
            "path": self.path.hex(),
            "dev": self.dev,
            "ino": self.ino,
            "size": self.size,
            "mtime_ns": self.mtime_ns,
            "fingerprint": self.fingerprint,
            "regions": [list(r) for r in self.regions],
            "middle": list(self.middle),
            "middle_sample": self.middle_sample,
            "job_id": self.job_id,
            "pid": self.pid,
            "keep": self.keep,
        }


def sample(fd: int, start: int, end: int) -> str:
    """A fingerprint of [start, end) from SAMPLES blocks spread evenly over it (the whole
    range when it is small): constant work whatever the file's size."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{start}:{end}".encode())
    length = end - start
    if length <= SAMPLES * SAMPLE_BYTES:
        h.update(os.pread(fd, length, start))
        return h.hexdigest()
    step = (length - SAMPLE_BYTES) // (SAMPLES - 1)
    for i in range(SAMPLES):
        h.update(os.pread(fd, SAMPLE_BYTES, start + i * step))
    return h.hexdigest()


def write(folder: bytes, path: bytes, fingerprint: str | None, job_id: str | None, *, keep: bool) -> Journal:
    """Save the regions of `path` an in-place edit can touch, fsynced, as a pending
    journal in `folder`. Raises ebml_layout.NotMatroska when they cannot be located."""
    os.makedirs(folder, mode=0o700, exist_ok=True)  # private: it names the library's files
    with open_regular_file(path) as f:
        st = os.fstat(f.fileno())
        where = ebml_layout.layout(f, st.st_size)
        regions = [(0, where.first_cluster)]
        if where.tail < st.st_size:
            regions.append((where.tail, st.st_size - where.tail))
        blobs = [os.pread(f.fileno(), n, off) for off, n in regions]
        middle = (where.first_cluster, where.tail)
        journal = Journal(
            file=os.path.join(folder, f"pending-{os.getpid()}-{secrets.token_hex(4)}.vpoj".encode()),
            path=os.path.abspath(path),
            dev=st.st_dev,
            ino=st.st_ino,
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            fingerprint=fingerprint,
            regions=tuple(regions),
            middle=middle,
            middle_sample=sample(f.fileno(), *middle),
            job_id=job_id,
            pid=os.getpid(),
            keep=keep,
        )
    temp = journal.file + b".tmp"
    header = json.dumps(journal.header()).encode()
    with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(MAGIC + len(header).to_bytes(8, "big") + header)
        for blob in blobs:
            out.write(blob)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, journal.file)
    sync_folder(folder)
    return journal


def read(file: bytes) -> tuple[Journal, list[bytes]]:
    """A journal and its saved regions. Raises ValueError when it is not one (cut short)."""
    with open(file, "rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise ValueError("not a VPO journal")
        length = int.from_bytes(f.read(8), "big")
        h = json.loads(f.read(length))
        regions = tuple((int(a), int(b)) for a, b in h["regions"])
        blobs = [f.read(n) for _, n in regions]
    if any(len(b) != n for b, (_, n) in zip(blobs, regions)):
        raise ValueError("the journal is cut short")
    journal = Journal(
        file=file,
        path=bytes.fromhex(h["path"]),
        dev=h["dev"],
        ino=h["ino"],
        size=h["size"],
        mtime_ns=h["mtime_ns"],
        fingerprint=h["fingerprint"],
        regions=regions,
        middle=(h["middle"][0], h["middle"][1]),
        middle_sample=h["middle_sample"],
        job_id=h["job_id"],
        pid=h["pid"],
        keep=bool(h.get("keep", True)),
    )
    return journal, blobs


def untouched(journal: Journal, path: bytes) -> str | None:
    """None when the bytes no edit may change are as they were and the file did not
    shrink; otherwise what is wrong."""
    fd = open_regular(path)
    try:
        size = os.fstat(fd).st_size
        if size < journal.size:
            return f"the file shrank from {journal.size:,} to {size:,} bytes"
        if sample(fd, *journal.middle) != journal.middle_sample:
            return "bytes after the headers changed"
    finally:
        os.close(fd)
    return None


def restore(file: bytes, path: bytes) -> None:
    """Write the journal's regions back into `path`, cut it to the original length, give
    it the original mtime; fsynced. The caller holds the file's lock."""
    journal, blobs = read(file)
    fd = open_regular(path, os.O_WRONLY)
    try:
        for (offset, _), blob in zip(journal.regions, blobs):
            os.pwrite(fd, blob, offset)
        os.ftruncate(fd, journal.size)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.utime(path, ns=(journal.mtime_ns, journal.mtime_ns))


def keep_as_undo(journal: Journal) -> bytes:
    """The name the journal takes once its edit is recorded: `undo-RANDOM.vpoj`."""
    folder = os.path.dirname(journal.file)
    return os.path.join(folder, b"undo-" + journal.file.rsplit(b"-", 1)[1])


def claim(file: bytes) -> bytes:
    """Make an undo journal pending again, under this process's pid, before it is written
    back (`vpo jobs undo`): if this process is killed mid-way, the next command finishes
    putting the original back, as for a killed edit. Returns its new name."""
    pending = os.path.join(
        os.path.dirname(file), f"pending-{os.getpid()}-".encode() + file.rsplit(b"-", 1)[1]
    )
    os.replace(file, pending)
    sync_folder(os.path.dirname(file))
    return pending


def dead_pending(folder: bytes) -> list[bytes]:
    """Pending journals of processes that no longer exist: killed edits (oldest first);
    also removes dead processes' unfinished `.tmp` journals (no edit started)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    found = []
    for name in names:
        if name.endswith(b".vpoj.tmp"):
            match = _PENDING.match(name[: -len(b".tmp")])
            if match and not alive(int(match.group(1))):
                try:
                    os.unlink(os.path.join(folder, name))
                except OSError:
                    pass
            continue
        match = _PENDING.match(name)
        if match and not alive(int(match.group(1))):
            found.append(os.path.join(folder, name))
    return found
