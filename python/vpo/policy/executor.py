"""Applying one file's plan safely: a lock, a backup, the tool, verification, restore.

The original is recoverable at every moment: in-place edits work on a file whose backup
copy already exists; remuxes write a hidden temporary file beside the original and only
replace it once the result has been probed and verified. No temporary file survives a
failure. A kill -9 or power loss can leave one, always hidden (a leading dot: scans never
catalogue it): `.vpo-tmp-PID-*` outputs are removed by the next apply in that folder once
their process is gone; `.NAME.vpo-backup-PID.EXT` copies are left for a person to look at.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from vpo.config.settings import ToolsSettings
from vpo.errors import VpoError
from vpo.media import remux
from vpo.media.models import ProbeResult, Track
from vpo.media.probe import ProberConfig, probe_file
from vpo.media.siblings import hidden_sibling
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
        if not match or _alive(int(match.group(1))):
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


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
            if method_for(container, plan) == "mkvpropedit":
                return _in_place(path, current, duration, plan, tools, keep_backup, prober)
            return _remux(path, container, current, duration, plan, tools, keep_backup, prober)
    except OSError as exc:  # a full disk, a read-only directory, ...: the file is intact
        where = os.fsdecode(exc.filename) if isinstance(exc.filename, (str, bytes)) else None
        raise ApplyFailed(f"{exc.strerror or exc}" + (f": {where}" if where else "")) from None


def _in_place(path: bytes, current: list[Track], duration: float | None, plan: Plan,
              tools: ToolsSettings, keep_backup: bool, prober: ProberConfig) -> Applied:
    changes = {a.track: bool(a.to) for a in plan.actions if a.track is not None}
    owner = os.stat(path)
    backup = backup_sibling(path)
    _copy(path, backup)
    try:
        remux.set_flags_in_place(tools.mkvpropedit, path, current, changes)
        result = _verified(path, plan, duration, prober)
    except BaseException:
        os.replace(backup, path)  # the untouched copy (bytes, mode, mtime) takes its place again
        try:
            os.chown(path, owner.st_uid, owner.st_gid)
        except PermissionError:
            pass
        raise
    return Applied(result, "mkvpropedit", _settle_backup(backup, path, keep_backup))


def _remux(path: bytes, container: str, current: list[Track], duration: float | None, plan: Plan,
           tools: ToolsSettings, keep_backup: bool, prober: ProberConfig) -> Applied:
    remove_stale_temps(os.path.dirname(path))
    temp = temp_sibling(path)
    backup = backup_sibling(path)
    moved = False  # True once the original has been renamed to `backup` (no hard links)
    method = method_for(container, plan)
    try:
        if method == "mkvmerge":
            remux.mkvmerge_remux(tools.mkvmerge, path, temp, plan.order, plan.final, current)
        else:
            remux.ffmpeg_remux(tools.ffmpeg, path, temp, plan.order, plan.final)
        result = _verified(temp, plan, duration, prober)
        _same_owner_and_mode(path, temp)
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
    return Applied(result, method, _settle_backup(backup, path, keep_backup))


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
    """Copy with copy_file_range (reflinks on btrfs/XFS make this nearly free)."""
    try:
        shutil.copy2(src, dst)
    except OSError as exc:
        _remove(dst)
        raise ApplyFailed(f"cannot make a backup copy: {exc.strerror or exc}") from None


def _remove(path: bytes) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
