"""Putting things right after an apply that was killed mid-way (kill -9, power loss).

Run by the next apply of the file, before planning (see executor.py for the two shapes an
apply takes; an in-place edit's journal is rollback.py's). `.vpo-tmp-PID-*` outputs of
dead processes are deleted; a `.NAME.vpo-original-PID.EXT` (`.vpo-backup-PID` before the
one naming scheme) of a dead process that is the catalogued original is either a
second name of the file (dropped) or the original the tool changed or replaced before the
catalogue heard of it (renamed back, so file and catalogue agree and the apply is simply
done again). A backup VPO cannot identify is left for a person to look at.
"""

from __future__ import annotations

import logging
import os
import stat

from vpo.edit.fileops import ApplyFailed, lock_if_present, sync_folder
from vpo.media.siblings import kept_originals, remove_stale_temps, stale_siblings

LEGACY_TAG = "backup"  # `.NAME.vpo-backup-PID.EXT`, `NAME.EXT.vpo-backup` of older versions

log = logging.getLogger(__name__)


def recover(path: bytes, catalogued: tuple[int, int] | None, *, dry_run: bool = False) -> list[str]:
    """Undo what an apply killed mid-way left beside `path`; `catalogued` is the (size,
    mtime_ns) the catalogue holds for it. Returns what was done (also logged); with
    `dry_run`, what would be done, changing nothing.

    The executor only gives the original a backup name once the result is verified, so a
    dead process's backup that is the catalogued file is the original, and the file at
    `path` is that same file (the backup is a spare name), missing (a rename where hard
    links are not supported), or the verified result the catalogue never heard of. In
    every case the original goes back to its name: file and catalogue agree again, and
    the apply that follows does the work again. Skipped while another process holds the
    file's lock; never raises."""
    done: list[str] = []
    if not dry_run:
        remove_stale_temps(os.path.dirname(path))
    for backup, pid in [*stale_siblings(path), *stale_siblings(path, LEGACY_TAG)]:
        try:
            with lock_if_present(path):
                what = _recover_one(path, backup, catalogued, dry_run)
        except (ApplyFailed, OSError) as exc:  # locked by a live apply, or it vanished meanwhile
            log.debug("left %s as it is: %s", os.fsdecode(backup), getattr(exc, "message", exc))
            continue
        if what is None:
            if dry_run:
                continue
            log.warning(
                "%s was left by process %d, which was killed while applying a policy; it is not "
                "the catalogued file: compare it with %s (vpo inspect) and keep the good one",
                os.fsdecode(backup),
                pid,
                os.fsdecode(path),
                extra={"operation": "recover"},
            )
            continue
        log.log(
            logging.WARNING,  # a dry run says what it would do, as loudly as the real one
            "%s: %s%s (process %d was killed while applying a policy)",
            os.fsdecode(path),
            "would have " if dry_run else "",
            what,
            pid,
            extra={"operation": "recover", "file": os.fsdecode(path)},
        )
        done.append(what)
    try:
        with lock_if_present(path):
            what = _recover_kept(path, catalogued, dry_run)
    except (ApplyFailed, OSError) as exc:
        log.debug("left the kept originals of %s: %s", os.fsdecode(path), getattr(exc, "message", exc))
        what = None
    if what is not None:
        log.log(
            logging.WARNING,  # a dry run says what it would do, as loudly as the real one
            "%s: %s%s (an apply was killed before it could record the result)",
            os.fsdecode(path),
            "would have " if dry_run else "",
            what,
            extra={"operation": "recover", "file": os.fsdecode(path)},
        )
        done.append(what)
    return done


def _recover_one(path: bytes, backup: bytes, catalogued: tuple[int, int] | None, dry_run: bool) -> str | None:
    kept = os.lstat(backup)
    try:
        now: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        now = None
    if now is not None and (now.st_dev, now.st_ino) == (kept.st_dev, kept.st_ino):
        if not dry_run:
            os.unlink(backup)  # a second name of the very file: nothing to restore
        return "removed a spare name of the file"
    if not stat.S_ISREG(kept.st_mode) or catalogued is None or (kept.st_size, kept.st_mtime_ns) != catalogued:
        return None
    if not dry_run:
        os.replace(backup, path)
        sync_folder(os.path.dirname(path))
    return "restored the original" if now is None else "restored the original over an unrecorded result"


def _recover_kept(path: bytes, catalogued: tuple[int, int] | None, dry_run: bool) -> str | None:
    """A kept original `NAME.EXT.vpo-original[.N]` that is still the catalogued file while
    the file is another: the apply that put the result in place died before it recorded
    it. The original goes back, as for a working one."""
    if catalogued is None:
        return None
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return None  # no file, which a person deleted: not VPO's to bring back
    if (now.st_size, now.st_mtime_ns) == catalogued:
        return None
    for kept_path in [*reversed(kept_originals(path)), path + b".vpo-" + LEGACY_TAG.encode()]:
        try:
            kept = os.lstat(kept_path)
        except OSError:  # not there; or, for a long name, a legacy name too long to exist
            continue
        if (
            not stat.S_ISREG(kept.st_mode)
            or (kept.st_size, kept.st_mtime_ns) != catalogued
            or (now.st_dev, now.st_ino) == (kept.st_dev, kept.st_ino)
        ):
            continue
        if not dry_run:
            os.replace(kept_path, path)
            sync_folder(os.path.dirname(path))
        return f"restored the original from {os.fsdecode(kept_path)} over an unrecorded result"
    return None
