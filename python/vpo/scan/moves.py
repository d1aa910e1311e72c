"""Which catalogued file a new file is, moved: one that vanished in this scan (the lowest
id with the new file's size and sampled fingerprint), else one that went missing before.

The files that vanished are few and known: their fingerprints are read once, so a lookup
costs nothing however many catalogued files share a fingerprint (hard links, copies of one
film), and the catalogue is asked for missing files only if it holds any.
"""

from __future__ import annotations

from vpo.db import files as files_db
from vpo.db.dialect import Connection


class Moves:
    def __init__(self, conn: Connection, vanished: dict[int, bytes]) -> None:
        self.conn = conn
        self.vanished = vanished  # id -> path, of the files this scan did not find
        self.by_print: dict[tuple[int, str], list[int]] = {}
        for fid, size, fingerprint in files_db.prints_of(conn, sorted(vanished)):
            if fingerprint is not None:
                self.by_print.setdefault((size, fingerprint), []).append(fid)
        self.any_missing = files_db.any_missing(conn)

    def find(self, size: int, fingerprint: str) -> tuple[int, bytes] | None:
        """(id, old path) of the file that moved, if one matches."""
        for fid in self.by_print.get((size, fingerprint), ()):
            if fid in self.vanished:
                return fid, self.vanished[fid]
        return files_db.missing_with_print(self.conn, size, fingerprint) if self.any_missing else None

    def taken(self, fid: int) -> None:
        self.vanished.pop(fid, None)
