"""Putting an original back (`vpo jobs undo`): an in-place edit's from its journal, a remux's
or transcode's from its kept original, and the subtitle sidecars as they were (those a job
wrote deleted, those it embedded back under their names). The caller holds the file's lock and has checked
that the file is what the job left."""

from __future__ import annotations

import logging
import os
from typing import Any

from vpo.edit import journal as journals
from vpo.edit.fileops import sync_folder

log = logging.getLogger(__name__)


def restore_journal(journal: bytes, path: bytes) -> None:
    """Write the undo journal `journal` back into `path`. It is made pending again first: if
    this process is killed mid-way, the next command finishes putting the original back, as
    for a killed edit (rollback.py). Gone once the original is back."""
    pending = journals.claim(journal)
    try:
        journals.restore(pending, path)
    except BaseException:
        os.replace(pending, journal)
        raise
    os.unlink(pending)


def restore_kept(kept: bytes, path: bytes, target: bytes) -> None:
    """The kept original takes `target` with one rename. After a container change (`target`
    is the old name, `path` the converted file's) the original is linked to its old name
    (never over a file that took it meanwhile) before the converted file goes."""
    if target == path:
        os.replace(kept, path)
    else:
        os.link(kept, target)
        os.unlink(path)
        os.unlink(kept)
    sync_folder(os.path.dirname(path))


def restore_sidecars(details: dict[str, Any]) -> None:
    """The sidecars of a job's row as they were: each one it wrote deleted (unless changed
    since: then it stays, and the log says so), each one it embedded back from its kept
    original (never over a file that took the name)."""
    for written in details.get("sidecars") or ():
        path = os.fsencode(written["path"])
        try:
            if os.lstat(path).st_size != written["size"]:
                log.warning("%s changed since the job wrote it; it stays", written["path"])
                continue
            os.unlink(path)
        except FileNotFoundError:
            continue
    for embedded in details.get("embedded") or ():
        if not embedded.get("kept"):
            continue
        car, kept = os.fsencode(embedded["sidecar"]), os.fsencode(embedded["kept"])
        try:
            os.link(kept, car)
            os.unlink(kept)
        except FileExistsError:
            log.warning("%s exists again; its original stays as %s", embedded["sidecar"], embedded["kept"])
        except FileNotFoundError:
            log.warning("the kept sidecar %s is gone", embedded["kept"])
