"""Applying one file's plan safely: a lock, a backup, the tool, verification, restore.

The original is recoverable at every moment: in-place edits work on a file whose backup
copy already exists; remuxes write a hidden temporary file beside the original and only
replace it once the result has been probed and verified. No temporary file survives.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from contextlib import contextmanager
from collections.abc import Iterator
from dataclasses import dataclass

from vpo.config.settings import ToolsSettings
from vpo.errors import ToolError, VpoError
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


@contextmanager
def file_lock(path: bytes) -> Iterator[None]:
    """Exclusive, non-blocking: a second apply on the same file fails at once."""
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ApplyFailed("another VPO process is changing this file") from None
        yield
    finally:
        os.close(fd)


def execute(path: bytes, container: str, current: list[Track], duration: float | None, plan: Plan,
            tools: ToolsSettings, *, keep_backup: bool) -> Applied:
    with file_lock(path):
        if container in remux.MATROSKA and not plan.reorders:
            return _in_place(path, current, duration, plan, tools, keep_backup)
        return _remux(path, container, current, duration, plan, tools, keep_backup)


def _in_place(path: bytes, current: list[Track], duration: float | None, plan: Plan,
              tools: ToolsSettings, keep_backup: bool) -> Applied:
    changes = {a.track: bool(a.to) for a in plan.actions if a.track is not None}
    backup = hidden_sibling(path, "backup")
    _copy(path, backup)
    try:
        remux.set_flags_in_place(tools.mkvpropedit, path, current, changes)
        result = _verified(path, plan, duration)
    except BaseException:
        os.replace(backup, path)  # the untouched copy takes the original's place again
        raise
    return Applied(result, "mkvpropedit", _settle_backup(backup, path, keep_backup))


def _remux(path: bytes, container: str, current: list[Track], duration: float | None, plan: Plan,
           tools: ToolsSettings, keep_backup: bool) -> Applied:
    temp = hidden_sibling(path, "tmp")
    backup = hidden_sibling(path, "backup")
    try:
        if container in remux.MATROSKA:
            method = "mkvmerge"
            remux.mkvmerge_remux(tools.mkvmerge, path, temp, plan.order, plan.final, current)
        else:
            method = "ffmpeg"
            remux.ffmpeg_remux(tools.ffmpeg, path, temp, plan.order, plan.final)
        result = _verified(temp, plan, duration)
        shutil.copystat(path, temp)
        st = os.stat(path)
        try:
            os.chown(temp, st.st_uid, st.st_gid)
        except PermissionError:
            pass
        os.link(path, backup)  # the original stays reachable until the new file is in place
        os.replace(temp, path)
    except BaseException:
        _remove(temp)
        if os.path.exists(path):
            _remove(backup)  # the original never moved; a second name for it is not needed
        raise
    return Applied(result, method, _settle_backup(backup, path, keep_backup))


def _verified(path: bytes, plan: Plan, duration: float | None) -> ProbeResult:
    try:
        result = probe_file(path, ProberConfig())
    except ValueError as exc:
        raise ApplyFailed(f"verification failed: cannot read the result ({exc})") from None
    problem = verify(plan.final, duration, result)
    if problem:
        raise ApplyFailed(f"verification failed: {problem}")
    return result


def _settle_backup(backup: bytes, path: bytes, keep: bool) -> bytes | None:
    """Keep the first original as `NAME.vpo-backup` (an older one is the truer original)."""
    if not keep:
        _remove(backup)
        return None
    final = path + BACKUP_SUFFIX
    if os.path.exists(final):
        _remove(backup)
        return final
    os.replace(backup, final)
    return final


def _copy(src: bytes, dst: bytes) -> None:
    """Copy with copy_file_range (reflinks on btrfs/XFS make this nearly free)."""
    try:
        shutil.copy2(src, dst)
    except OSError as exc:
        _remove(dst)
        raise ToolError(f"cannot make a backup copy: {exc.strerror or exc}") from None


def _remove(path: bytes) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
