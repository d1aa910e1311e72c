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
leading dot: scans never catalogue them); `recover.recover()`, run by the next apply of
the file, puts things right. The file-level steps (lock, sibling names, copy, sync) are
in fileops.py.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import time
from dataclasses import dataclass

from vpo.config.settings import ToolsSettings
from vpo.media import remux
from vpo.media.models import ProbeResult, Track
from vpo.media.probe import ProberConfig, probe_file
from vpo.policy.edits import in_place_edits
from vpo.policy.evaluate import Plan
from vpo.policy.fileops import (
    BACKUP_SUFFIX,
    ApplyFailed,
    backup_sibling,
    copy_file,
    file_lock,
    remove,
    remove_stale_temps,
    sync,
    sync_folder,
    temp_sibling,
)
from vpo.policy.verify import verify

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Applied:
    result: ProbeResult
    method: str
    backup: bytes | None
    path: bytes | None = None  # the file's new name, when a container change renamed it


def method_for(container: str, plan: Plan) -> str:
    """The tool that carries out `plan`: mkvpropedit (flags on Matroska and WebM, in place),
    mkvmerge (Matroska reorders), ffmpeg (everything else). WebM reorders use ffmpeg's WebM
    muxer: mkvmerge's WebM mode refuses tracks it can only pass through, such as the WebVTT
    subtitles ffmpeg writes, and without it the result would no longer be WebM."""
    if container in remux.MATROSKA and not plan.rewrites:
        return "mkvpropedit"
    if container == "matroska" or plan.container:  # a container change: policy/convert.py
        return "mkvmerge"
    return "ffmpeg"


def execute(
    path: bytes,
    container: str,
    current: list[Track],
    duration: float | None,
    plan: Plan,
    tools: ToolsSettings,
    *,
    keep_backup: bool,
    prober: ProberConfig | None = None,
    expected: tuple[int, int] | None = None,
) -> Applied:
    """Carry out `plan` on `path`, verified with `prober` (the one the catalogue uses).
    Raises ApplyFailed or ToolError with the original in place, unchanged."""
    prober = prober or ProberConfig()
    try:
        with file_lock(path, expected):
            return _apply(
                path, method_for(container, plan), current, duration, plan, tools, keep_backup, prober
            )
    except OSError as exc:  # a full disk, a read-only directory, ...: the file is intact
        where = os.fsdecode(exc.filename) if isinstance(exc.filename, (str, bytes)) else None
        raise ApplyFailed(f"{exc.strerror or exc}" + (f": {where}" if where else "")) from None


def _apply(
    path: bytes,
    method: str,
    current: list[Track],
    duration: float | None,
    plan: Plan,
    tools: ToolsSettings,
    keep_backup: bool,
    prober: ProberConfig,
) -> Applied:
    remove_stale_temps(os.path.dirname(path))
    if method == "mkvpropedit":
        return _apply_in_place(path, current, duration, plan, tools, keep_backup, prober)
    if plan.container:
        from vpo.policy import convert

        return convert.convert(path, current, duration, plan, tools, keep_backup, prober)
    temp = temp_sibling(path)
    backup = backup_sibling(path)
    moved = False  # True once the original has been renamed to `backup` (no hard links)
    try:
        _produce(method, path, temp, current, plan, tools)
        result = _verified(temp, plan, duration, prober)
        _same_owner_and_mode(path, temp)
        sync(temp)  # the result's bytes are on disk before any name points at them
        try:
            os.link(path, backup)  # the original stays reachable under its name throughout
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
                raise
            os.replace(path, backup)  # no hard links here: a moment without the name
            moved = True
        os.replace(temp, path)
    except BaseException:
        remove(temp)
        if moved and not os.path.exists(path):
            os.replace(backup, path)
        elif os.path.exists(path):
            remove(backup)  # the original never moved; a second name for it is not needed
        raise
    sync_folder(os.path.dirname(path))
    return Applied(result, method, _settle_backup(backup, path, keep_backup))


def _apply_in_place(
    path: bytes,
    current: list[Track],
    duration: float | None,
    plan: Plan,
    tools: ToolsSettings,
    keep_backup: bool,
    prober: ProberConfig,
) -> Applied:
    """mkvpropedit on the file itself, after a backup copy that takes its place again on
    any failure (and that `recover()` recognises if this process is killed)."""
    backup = backup_sibling(path)
    try:
        copy_file(path, backup)
        shutil.copystat(path, backup)  # the catalogued (size, mtime): recover() knows it
        sync(backup)
    except BaseException:
        remove(backup)
        raise
    before = os.stat(path)
    try:
        remux.set_properties_in_place(tools.mkvpropedit, path, current, in_place_edits(current, plan))
        result = _verified(path, plan, duration, prober)
        sync(path)
    except BaseException:
        now = os.stat(path)
        old_enough = time.time_ns() - before.st_mtime_ns > 2_000_000_000  # a write shows in mtime
        if old_enough and (now.st_size, now.st_mtime_ns) == (before.st_size, before.st_mtime_ns):
            remove(backup)  # the tool never wrote to the file: it is the original
        else:
            os.replace(backup, path)  # the untouched copy is the original again
            sync_folder(os.path.dirname(path))
        raise
    return Applied(result, "mkvpropedit", _settle_backup(backup, path, keep_backup))


def _produce(
    method: str, path: bytes, temp: bytes, current: list[Track], plan: Plan, tools: ToolsSettings
) -> None:
    """Write the planned file to `temp` (mkvmerge, ffmpeg); `path` is only read."""
    if method == "mkvmerge":
        remux.mkvmerge_remux(tools.mkvmerge, path, temp, plan.order, plan.final, current)
    else:
        remux.ffmpeg_remux(tools.ffmpeg, path, temp, plan.order, plan.final, current=current)


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
            remove(backup)
            return None
        final = path + BACKUP_SUFFIX
        if os.path.lexists(final):
            remove(backup)
            return final
        os.replace(backup, final)
        return final
    except OSError as exc:
        log.warning("the original is kept as %s (%s)", os.fsdecode(backup), exc.strerror or exc)
        return backup
