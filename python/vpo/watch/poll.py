"""One poll of a folder: the scan's walk and comparison with the catalogue, and nothing
else (no probe, no write, no job). What differs goes to the settling table; a scan job is
made only for what has settled (watch/pipeline.py).

With the catalogue in SQLite the walker itself drops the files equal to their trusted
row (as a no-change rescan does), so a poll of an unchanged library costs one walk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from vpo.catalogue import Known
from vpo.db import files as files_db
from vpo.db.connection import Database
from vpo.scan import walker
from vpo.scan.diff import in_scope, split_remaining
from vpo.scan.trusted import trusted_rows, walker_can_filter
from vpo.watch.settle import Seen


@dataclass
class PollResult:
    changed: list[tuple[bytes, Seen]] = field(default_factory=list)  # new, changed, back: (path, seen)
    gone: list[bytes] = field(default_factory=list)  # catalogued as present, not found
    found: int = 0  # video files found
    unreadable: str | None = None  # the folder itself could not be read: why

    @property
    def looks_unmounted(self) -> bool:
        """Nothing found where the catalogue knows files: an unmounted share, not deletions."""
        return self.found == 0 and bool(self.gone)


def poll(
    db: Database,
    folder: bytes,
    *,
    extensions: tuple[str, ...],
    follow_symlinks: bool,
    wanted: Callable[[bytes], bool],
) -> PollResult:
    """What under `folder` differs from the catalogue (size or mtime, new, back from
    missing), and which catalogued files are gone. `wanted` filters the changed paths."""
    trusted = trusted_rows(db, folder) if walker_can_filter(db) else None
    known = files_db.load_known(db.conn, folder, untrusted_only=trusted is not None)
    result = PollResult()
    unreadable: list[bytes] = []
    with walker.walk(
        folder, extensions=extensions, follow_symlinks=follow_symlinks, trusted=trusted
    ) as batches:
        for entries, errors in batches:
            for path, reason in errors:
                if path.rstrip(b"/") == folder.rstrip(b"/"):
                    result.unreadable = reason
                    return result
                unreadable.append(path)
            result.found += len(entries)
            if trusted is not None:
                known.update(files_db.known_for(db.conn, [e[0] for e in entries if e[0] not in known]))
            _compare(entries, known, wanted, result)
        result.found += batches.unchanged
        if trusted is not None:
            known.update(files_db.known_for(db.conn, batches.unseen()))
    newly, _already = split_remaining(in_scope(known, folder, extensions), unreadable)
    result.gone = [path for _, path in newly]
    return result


def _compare(
    entries: list[walker.Entry], known: dict[bytes, Known], wanted: Callable[[bytes], bool], out: PollResult
) -> None:
    for path, size, mtime_ns, _dev, _ino in entries:
        k = known.pop(path, None)
        if k is not None and not k.missing and (k.size, k.mtime_ns) == (size, mtime_ns):
            continue  # as catalogued (a racy row too: the next reconcile re-probes those)
        if wanted(path):
            out.changed.append((path, (size, mtime_ns)))
