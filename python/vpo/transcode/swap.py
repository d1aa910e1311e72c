"""Putting a transcode's verified output in the place of the original, and staging an
output made in a host-local work directory (`transcode.work_dir`) beside the original."""

from __future__ import annotations

import os
import shutil

from vpo.edit.fileops import remove
from vpo.edit.swap import replace_keeping
from vpo.media.siblings import free_name, kept_original, remove_stale_temps


def swap(path: bytes, temp: bytes, *, keep_original: bool) -> bytes | None:
    """Put `temp` in the place of `path`; returns where the original was kept. At every
    moment either the original or the new file is at `path` (or, on a file system
    without hard links, the original is under its kept name)."""
    if not keep_original:
        os.replace(temp, path)
        return None
    kept = kept_original(path)  # the one naming scheme of kept originals
    replace_keeping(path, temp, kept)
    return kept


def work_output(work_dir: str | None, temp: bytes) -> bytes:
    """Where ffmpeg writes: `temp` beside the original, or the same name in the host-local
    work directory (a NAS share is then read once and written once, not seeked over)."""
    if not work_dir:
        return temp
    folder = os.fsencode(os.path.expanduser(work_dir))
    os.makedirs(folder, exist_ok=True)
    return free_name(os.path.join(folder, os.path.basename(temp)))


def clean_work_dir(work_dir: str | None) -> list[bytes]:
    """Delete the encodes that workers killed on this host (SIGKILL, power loss) left in
    the work directory: `.vpo-tmp-PID-*` files whose process is gone. A running worker's
    output (its pid alive) is never touched. The work directory is host-local, so a pid
    names a process of this host. Called when a worker starts (`vpo jobs run`)."""
    if not work_dir:
        return []
    return remove_stale_temps(os.fsencode(os.path.expanduser(work_dir)))


def stage(output: bytes, temp: bytes) -> None:
    """Copy a work-directory output to `temp` beside the original (verified there next)."""
    if output != temp:
        shutil.copyfile(output, temp)
        remove(output)
