"""A file VPO itself has just written (apply, transcode, undo): what the catalogue records
of it, without a rescan.

Two steps, because a transcode measures its output before the rename that puts it in
place (a rename keeps the inode, size and mtime) and records it inside the transaction
that renames it, and an apply keeps the size and fingerprint in its job's history:

    written = measure(path)
    with db.transaction() as conn:
        update_catalogue(conn, record.id, path, written, result)
        tracker.add_files(conn, [(record.id, path, "applied", {"result": written.summary(), ...})])
"""

from __future__ import annotations

import os
from typing import NamedTuple

from vpo.db import files as files_db
from vpo.db.dialect import Connection
from vpo.media.models import ProbeResult
from vpo.timeutil import now_iso


class Written(NamedTuple):
    stat: os.stat_result
    fingerprint: str | None  # the sampled fingerprint (scan/walker.py), None if unreadable

    @property
    def size(self) -> int:
        return self.stat.st_size

    def summary(self) -> dict[str, object]:
        """What a job's history keeps to know the file again (undo compares both)."""
        return {"size": self.size, "fingerprint": self.fingerprint}


def measure(path: bytes) -> Written:
    """The file's stat and sampled fingerprint, now."""
    from vpo.scan.walker import fingerprints  # loads the extension only when a file changed

    st = os.stat(path)
    return Written(st, fingerprints([path])[0][0])


def update_catalogue(
    conn: Connection, file_id: int, path: bytes, written: Written, result: ProbeResult
) -> None:
    """The row of `file_id` now describes `written` at `path` with the tracks of `result`
    (racy, so the next scan looks at it once more; see db/files.py)."""
    st = written.stat
    entry = (path, st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino)
    files_db.update_probe_result(
        conn, file_id, entry, result=result, fingerprint=written.fingerprint, now=now_iso()
    )
