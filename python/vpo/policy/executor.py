"""Applying one file's plan safely: a lock, a backup, the tool, verification, restore.

Two shapes, one rule: until the result is verified, the original can always be had back.

- Flags on Matroska (mkvpropedit) are changed in place, on the file itself (same inode,
  no remux, only header bytes rewritten). A copy is taken first (a reflink where the file
  system can, so nearly free on btrfs/XFS) as `.NAME.vpo-backup-PID.EXT`; if the tool
  fails or the result does not verify, the copy takes the file's place again.
- A reorder or another container (mkvmerge, ffmpeg) writes a hidden temporary file beside
  the original; it is probed and verified, then the original gets a second name (the
  backup, a hard link) and the result takes its place with one rename.

No temporary file survives a failure. A kill -9 or power loss can leave hidden files (a
leading dot: scans never catalogue them). `recover()`, run by the next apply of the file,
puts things right: `.vpo-tmp-PID-*` outputs of dead processes are deleted; a
`.NAME.vpo-backup-PID.EXT` of a dead process that is the catalogued original is either a
second name of the file (dropped) or the original the tool changed or replaced before the
catalogue heard of it (renamed back, so file and catalogue agree and the apply is simply
done again). A backup VPO cannot identify is left for a person to look at.
"""
from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from vpo.config.settings import ToolsSettings
from vpo.errors import VpoError
from vpo.media import remux
from vpo.media.models import ProbeResult, Track
from vpo.media.probe import ProberConfig, probe_file
from vpo.media.siblings import alive, hidden_sibling, stale_siblings
from vpo.policy.evaluate import Plan
from vpo.policy.verify import verify

log = logging.getLogger(__name__)

BACKUP_SUFFIX = b".vpo-backup"  # not a video extension: scans never catalogue backups


class ApplyFailed(VpoError):
    exit_code = 1
    code = "APPLY_FAILED"


@dataclass(frozen=True)
class Applied:
    result: ProbeResult
    method: str
    backup: bytes | None


def method_for(container: str, plan: Plan) -> str:
    """The tool that carries out `plan`: mkvpropedit (flags on Matroska and WebM, in place),
    mkvmerge (Matroska reorders), ffmpeg (everything else). WebM reorders use ffmpeg's WebM
    muxer: mkvmerge's WebM mode refuses tracks it can only pass through, such as the WebVTT
    subtitles ffmpeg writes, and without it the result would no longer be WebM."""
    if container in remux.MATROSKA and not plan.reorders:
        return "mkvpropedit"
    if container == "matroska":
        return "mkvmerge"
    return "ffmpeg"


def temp_sibling(path: bytes) -> bytes:
    """`/d/.vpo-tmp-PID-RANDOM.EXT`: where a remux writes. Same directory (atomic rename),
    hidden (never scanned), unique, and plain ASCII whatever the media file is called: it
    is the one name a tool (mkvmerge) is given, and mkvtoolnix mangles non-ASCII names."""
    folder, name = os.path.split(path)
    ext = os.path.splitext(name)[1]
    if not (ext[1:].isascii() and ext[1:].isalnum()):
        ext = b""
    return os.path.join(folder, f".vpo-tmp-{os.getpid()}-{secrets.token_hex(4)}".encode() + ext)


_TEMP_NAME = re.compile(rb"^\.vpo-tmp-(\d+)-[0-9a-f]{8}(\.[A-Za-z0-9]+)?$")


def remove_stale_temps(folder: bytes) -> list[bytes]:
    """Delete remux outputs that a dead apply left in `folder` (killed, power loss).
    Only temporaries: a leftover backup may be the one intact copy, and is never deleted."""
    removed: list[bytes] = []
    try:
        names = os.listdir(folder or b".")
    except OSError:
        return removed
    for entry in names:
        match = _TEMP_NAME.match(entry)
        if not match or alive(int(match.group(1))):
            continue
        try:
            os.unlink(os.path.join(folder, entry))
            removed.append(os.path.join(folder, entry))
            log.info("removed %s, left by process %s", os.fsdecode(os.path.join(folder, entry)), match.group(1))
        except OSError:
            pass
    return removed


def backup_sibling(path: bytes) -> bytes:
    """`/d/.NAME.vpo-backup-PID.EXT` (the shared naming: a person can tell whose it is);
    never an existing file, which could be the only copy a crashed run left."""
    backup = hidden_sibling(path, "backup")
    while os.path.lexists(backup):
        stem, ext = os.path.splitext(backup)
        backup = stem + f"-{secrets.token_hex(2)}".encode() + ext
    return backup


@contextmanager
def file_lock(path: bytes, expected: tuple[int, int] | None = None) -> Iterator[None]:
    """Exclusive, non-blocking: a second apply on the same file fails at once. With
    `expected` (size, mtime_ns), a file that changed before the lock was taken (another
    process applied a plan to it meanwhile) fails too: its plan was made for other tracks."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise ApplyFailed(f"cannot open the file: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ApplyFailed("another VPO process is changing this file") from None
        if expected is not None:
            st = os.fstat(fd)
            try:
                now = os.stat(path)
            except OSError:
                now = None
            if (now is None or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino)
                    or (st.st_size, st.st_mtime_ns) != expected):
                raise ApplyFailed("the file changed while its plan was made; run `vpo scan` and try again")
        yield
    finally:
        os.close(fd)


def execute(path: bytes, container: str, current: list[Track], duration: float | None, plan: Plan,
            tools: ToolsSettings, *, keep_backup: bool, prober: ProberConfig | None = None,
            expected: tuple[int, int] | None = None) -> Applied:
    """Carry out `plan` on `path`, verified with `prober` (the one the catalogue uses).
    Raises ApplyFailed or ToolError with the original in place, unchanged."""
    prober = prober or ProberConfig()
    try:
        with file_lock(path, expected):
            return _apply(path, method_for(container, plan), current, duration, plan, tools, keep_backup, prober)
    except OSError as exc:  # a full disk, a read-only directory, ...: the file is intact
        where = os.fsdecode(exc.filename) if isinstance(exc.filename, (str, bytes)) else None
        raise ApplyFailed(f"{exc.strerror or exc}" + (f": {where}" if where else "")) from None


def _apply(path: bytes, method: str, current: list[Track], duration: float | None, plan: Plan,
           tools: ToolsSettings, keep_backup: bool, prober: ProberConfig) -> Applied:
    remove_stale_temps(os.path.dirname(path))
    if method == "mkvpropedit":
        return _apply_in_place(path, current, duration, plan, tools, keep_backup, prober)
    temp = temp_sibling(path)
    backup = backup_sibling(path)
    moved = False  # True once the original has been renamed to `backup` (no hard links)
    try:
        _produce(method, path, temp, current, plan, tools)
        result = _verified(temp, plan, duration, prober)
        _same_owner_and_mode(path, temp)
        _sync(temp)  # the result's bytes are on disk before any name points at them
        try:
            os.link(path, backup)  # the original stays reachable under its name throughout
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
                raise
            os.replace(path, backup)  # no hard links here: a moment without the name
            moved = True
        os.replace(temp, path)
    except BaseException:
        _remove(temp)
        if moved and not os.path.exists(path):
            os.replace(backup, path)
        elif os.path.exists(path):
            _remove(backup)  # the original never moved; a second name for it is not needed
        raise
    _sync_folder(os.path.dirname(path))
    return Applied(result, method, _settle_backup(backup, path, keep_backup))


def _apply_in_place(path: bytes, current: list[Track], duration: float | None, plan: Plan,
                    tools: ToolsSettings, keep_backup: bool, prober: ProberConfig) -> Applied:
    """mkvpropedit on the file itself, after a backup copy that takes its place again on
    any failure (and that `recover()` recognises if this process is killed)."""
    backup = backup_sibling(path)
    try:
        _copy(path, backup)
        shutil.copystat(path, backup)  # the catalogued (size, mtime): recover() knows it
        _sync(backup)
    except BaseException:
        _remove(backup)
        raise
    before = os.stat(path)
    try:
        changes = {a.track: bool(a.to) for a in plan.actions if a.track is not None}
        remux.set_flags_in_place(tools.mkvpropedit, path, current, changes)
        result = _verified(path, plan, duration, prober)
        _sync(path)
    except BaseException:
        now = os.stat(path)
        old_enough = time.time_ns() - before.st_mtime_ns > 2_000_000_000  # a write shows in mtime
        if old_enough and (now.st_size, now.st_mtime_ns) == (before.st_size, before.st_mtime_ns):
            _remove(backup)  # the tool never wrote to the file: it is the original
        else:
            os.replace(backup, path)  # the untouched copy is the original again
            _sync_folder(os.path.dirname(path))
        raise
    return Applied(result, "mkvpropedit", _settle_backup(backup, path, keep_backup))


def _produce(method: str, path: bytes, temp: bytes, current: list[Track], plan: Plan,
             tools: ToolsSettings) -> None:
    """Write the planned file to `temp` (mkvmerge, ffmpeg); `path` is only read."""
    if method == "mkvmerge":
        remux.mkvmerge_remux(tools.mkvmerge, path, temp, plan.order, plan.final, current)
    else:
        remux.ffmpeg_remux(tools.ffmpeg, path, temp, plan.order, plan.final)


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
    for backup, pid in stale_siblings(path, "backup"):
        try:
            with _lock_if_present(path):
                what = _recover_one(path, backup, catalogued, dry_run)
        except (ApplyFailed, OSError) as exc:  # locked by a live apply, or it vanished meanwhile
            log.debug("left %s as it is: %s", os.fsdecode(backup), getattr(exc, "message", exc))
            continue
        if what is None:
            if dry_run:
                continue
            log.warning("%s was left by process %d, which was killed while applying a policy; it is not "
                        "the catalogued file: compare it with %s (vpo inspect) and keep the good one",
                        os.fsdecode(backup), pid, os.fsdecode(path), extra={"operation": "recover"})
            continue
        log.log(logging.INFO if dry_run else logging.WARNING,
                "%s: %s%s (process %d was killed while applying a policy)", os.fsdecode(path),
                "would have " if dry_run else "", what, pid, extra={"operation": "recover", "file": os.fsdecode(path)})
        done.append(what)
    try:
        with _lock_if_present(path):
            what = _recover_kept(path, catalogued, dry_run)
    except (ApplyFailed, OSError) as exc:
        log.debug("left %s as it is: %s", os.fsdecode(path + BACKUP_SUFFIX), getattr(exc, "message", exc))
        what = None
    if what is not None:
        log.log(logging.INFO if dry_run else logging.WARNING,
                "%s: %s%s (an apply was killed before it could record the result)", os.fsdecode(path),
                "would have " if dry_run else "", what, extra={"operation": "recover", "file": os.fsdecode(path)})
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
        _sync_folder(os.path.dirname(path))
    return "restored the original" if now is None else "restored the original over an unrecorded result"


def _recover_kept(path: bytes, catalogued: tuple[int, int] | None, dry_run: bool) -> str | None:
    """A kept backup `NAME.EXT.vpo-backup` that is still the catalogued file while the file
    is another: the apply that put the result in place died before it recorded it. The
    original goes back, as for a working backup."""
    if catalogued is None:
        return None
    kept_path = path + BACKUP_SUFFIX
    try:
        kept = os.lstat(kept_path)
        now = os.stat(path)
    except FileNotFoundError:
        return None  # no kept backup; or no file, which a person deleted: not VPO's to bring back
    if (not stat.S_ISREG(kept.st_mode) or (kept.st_size, kept.st_mtime_ns) != catalogued
            or (now.st_size, now.st_mtime_ns) == catalogued or (now.st_dev, now.st_ino) == (kept.st_dev, kept.st_ino)):
        return None
    if not dry_run:
        os.replace(kept_path, path)
        _sync_folder(os.path.dirname(path))
    return f"restored the original from {os.fsdecode(kept_path)} over an unrecorded result"


@contextmanager
def _lock_if_present(path: bytes) -> Iterator[None]:
    """The apply lock on `path` (ApplyFailed when a live process holds it); nothing to lock
    when there is no file."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ApplyFailed("another VPO process is changing this file") from None
        yield
    finally:
        os.close(fd)


def _same_owner_and_mode(original: bytes, new: bytes) -> None:
    """The new file takes the original's permissions and, when allowed, owner. Not its
    mtime: the content changed, and backup tools and other catalogues must see that."""
    shutil.copymode(original, new)
    st = os.stat(original)
    try:
        os.chown(new, st.st_uid, st.st_gid)
    except PermissionError:
        pass


def _verified(path: bytes, plan: Plan, duration: float | None, prober: ProberConfig) -> ProbeResult:
    try:
        result = probe_file(path, prober)
    except ValueError as exc:
        raise ApplyFailed(f"verification failed: cannot read the result ({exc})") from None
    problem = verify(plan.final, duration, result)
    if problem:
        raise ApplyFailed(f"verification failed: {problem}")
    return result


def _settle_backup(backup: bytes, path: bytes, keep: bool) -> bytes | None:
    """Keep the first original as `NAME.vpo-backup` (an older one is the truer original).
    Runs after the new file is in place, so it never fails the apply: a backup that
    cannot be renamed keeps its hidden name, and the log says where it is."""
    try:
        if not keep:
            _remove(backup)
            return None
        final = path + BACKUP_SUFFIX
        if os.path.lexists(final):
            _remove(backup)
            return final
        os.replace(backup, final)
        return final
    except OSError as exc:
        log.warning("the original is kept as %s (%s)", os.fsdecode(backup), exc.strerror or exc)
        return backup


def _copy(src: bytes, dst: bytes) -> None:
    """A new file `dst` with the bytes of `src`: copy_file_range where the platform has it
    (a reflink on btrfs/XFS makes this nearly free), a plain copy otherwise."""
    try:
        with open(src, "rb") as fin, open(dst, "xb") as fout:
            if not _copy_range(fin.fileno(), fout.fileno()):
                shutil.copyfileobj(fin, fout, 1 << 20)
    except OSError as exc:
        _remove(dst)
        raise ApplyFailed(f"cannot copy the file: {exc.strerror or exc}") from None


def _copy_range(fin: int, fout: int) -> bool:
    """True when copy_file_range copied everything; False when it cannot be used here
    (nothing was written then)."""
    copy_file_range = getattr(os, "copy_file_range", None)
    if copy_file_range is None:
        return False
    first = True
    while True:
        try:
            n = copy_file_range(fin, fout, 1 << 30)
        except OSError as exc:
            if first and exc.errno in (errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL):
                return False
            raise
        if n == 0:
            return True
        first = False


def _sync(path: bytes) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_folder(folder: bytes) -> None:
    """Make the renames in `folder` durable; best effort (not every platform can)."""
    try:
        fd = os.open(folder or b".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: bytes) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
