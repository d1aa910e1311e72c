"""Applying one file's plan safely: a lock, a safety net, the tool, verification, restore.

Two shapes, one rule: until the result is verified, the original can always be had back.

- Flags on Matroska (mkvpropedit) are changed in place, on the file itself (same inode,
  no remux, only header bytes rewritten). The safety net is a journal, not a copy: the
  bytes the tool can touch (the headers before the first Cluster, the SeekHead's elements
  after the clusters) and the original length are saved to `$VPO_HOME/journal/` first,
  fsynced (journal.py). The result is verified as a remux's is, and also the bytes
  between are unchanged (a sampled fingerprint) and the file did not shrink; on any
  failure the journal is written back. Its cost does not grow with the file's size.
  When the headers cannot be located (no Cluster, a Segment of unknown size), the plan
  says so and the file is remuxed instead.
- A reorder or another container (mkvmerge, ffmpeg) writes a hidden temporary file beside
  the original; it is probed and verified, then the original gets a second name (a hard
  link) and the result takes its place with one rename (swap.py).

No temporary file survives a failure. A kill -9 or power loss can leave hidden files (a
leading dot: scans never catalogue them) or a pending journal; `recover.recover()` and
`rollback.py`, run by the next command that opens the file, put things right. Sibling
names are media/siblings.py's; the lock and syncing are in fileops.py. What to change (a
Change: the order, the final tracks, the in-place edits, the check of the result) is the
caller's decision; nothing here decides it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace

from vpo.config.settings import ToolsSettings
from vpo.edit import convert
from vpo.edit import journal as journals
from vpo.edit.additions import encode_added, remove_extras
from vpo.edit.change import Applied, Change, Target, verified
from vpo.edit.fileops import ApplyFailed, file_lock, remove, sync, sync_folder
from vpo.edit.sidecars import embedded_extras, remove_sidecars, retire_embedded, write_sidecars
from vpo.edit.swap import replace_keeping
from vpo.media import ebml_layout, remux
from vpo.media.fileattrs import same_owner_and_mode
from vpo.media.mkvmerge_args import Extra, Identified, matroska_ids
from vpo.media.models import Track
from vpo.media.probe import ProberConfig
from vpo.media.regular_file import open_regular_file
from vpo.media.siblings import hidden_sibling, kept_original, remove_stale_temps, temp_sibling
from vpo.media.tools import recording

log = logging.getLogger(__name__)

SIDECARS_ONLY = "sidecars"  # the method of a plan that only writes subtitle sidecars


@dataclass(frozen=True)
class Safety:
    """Where an in-place edit's journal goes, and the job it belongs to."""

    journal_dir: bytes
    job_id: str | None = None
    keep: bool = True  # the journal stays as the undo record (originals are kept)


def method_for(container: str, change: Change, *, in_place: bool = True) -> str:
    """The tool that carries out `change`: mkvpropedit (flags on Matroska and WebM, in place),
    mkvmerge (Matroska reorders), ffmpeg (everything else). WebM reorders use ffmpeg's WebM
    muxer: mkvmerge's WebM mode refuses tracks it can only pass through, such as the WebVTT
    subtitles ffmpeg writes, and without it the result would no longer be WebM. Without
    `in_place` (headers that cannot be located, see in_place_problem) the edit is a remux."""
    if container in remux.MATROSKA and not change.rewrites and in_place:
        return "mkvpropedit"
    if container == "matroska" or change.container:  # a container change: convert.py
        return "mkvmerge"
    return "ffmpeg"


def execute(
    target: Target,
    change: Change,
    tools: ToolsSettings,
    *,
    keep_backup: bool,
    safety: Safety,
    prober: ProberConfig | None = None,
) -> Applied:
    """Carry out `change` on `target`, verified with `prober` (the one the catalogue uses).
    Raises ApplyFailed or ToolError with the original in place, unchanged."""
    prober = prober or ProberConfig()
    path, current, duration = target.path, target.current, target.duration
    method = method_for(target.container, change, in_place=target.in_place)
    try:
        with file_lock(path, target.expected) as lock, recording() as ran:
            written = write_sidecars(tools, path, change.extracted)
            try:
                if not change.rewrites and not change.edits:  # sidecars written, nothing else
                    done = Applied(verified(path, change, duration, prober), SIDECARS_ONLY, None)
                elif method == "mkvpropedit":
                    done = _apply_in_place(path, current, duration, change, tools, prober, safety, lock)
                else:
                    done = _apply(path, method, current, duration, change, tools, keep_backup, prober)
            except BaseException:
                remove_sidecars(written)
                raise
            retired = retire_embedded(path, change.embedded, keep_backup)
            return replace(done, commands=tuple(ran), sidecars=tuple(written), embedded=tuple(retired))
    except OSError as exc:  # a full disk, a read-only directory, ...: the file is intact
        where = os.fsdecode(exc.filename) if isinstance(exc.filename, (str, bytes)) else None
        raise ApplyFailed(f"{exc.strerror or exc}" + (f": {where}" if where else "")) from None


def _apply(
    path: bytes,
    method: str,
    current: list[Track],
    duration: float | None,
    change: Change,
    tools: ToolsSettings,
    keep_backup: bool,
    prober: ProberConfig,
) -> Applied:
    remove_stale_temps(os.path.dirname(path))
    if change.container:
        return convert.convert(path, current, duration, change, tools, keep_backup, prober)
    temp = temp_sibling(path)
    backup = hidden_sibling(path)
    extras: list[Extra] = []
    links: list[bytes] = []
    try:
        extras = encode_added(tools.ffmpeg, path, change.added)
        embedded, links = embedded_extras(path, change.embedded)
        _produce(method, path, temp, current, change, tools, [*extras, *embedded])
        result = verified(temp, change, duration, prober)
        same_owner_and_mode(path, temp)
        sync(temp)  # the result's bytes are on disk before any name points at them
        replace_keeping(path, temp, backup)  # the original stays reachable throughout
    except BaseException:
        remove(temp)
        raise
    finally:
        remove_extras(path, extras)
        remove_sidecars(links)
    sync_folder(os.path.dirname(path))
    return Applied(result, method, _settle_backup(backup, path, keep_backup))


def in_place_problem(path: bytes) -> str | None:
    """Why `path`'s headers cannot be edited in place under a journal (None: they can)."""
    try:
        with open_regular_file(path) as f:
            ebml_layout.layout(f, os.fstat(f.fileno()).st_size)
    except ebml_layout.NotMatroska as exc:
        return f"{exc}: remuxed instead of edited in place"
    except OSError as exc:
        return f"cannot read the headers ({exc.strerror or exc})"
    return None


def _apply_in_place(
    path: bytes,
    current: list[Track],
    duration: float | None,
    change: Change,
    tools: ToolsSettings,
    prober: ProberConfig,
    safety: Safety,
    lock: int,
) -> Applied:
    """mkvpropedit on the file itself, after a journal that is written back on any
    failure (and that rollback.py finds if this process is killed)."""
    from vpo.scan.walker import fingerprints

    try:
        journal = journals.write(
            safety.journal_dir, path, fingerprints([path])[0][0], safety.job_id, keep=safety.keep
        )
    except ebml_layout.NotMatroska as exc:
        raise ApplyFailed(f"cannot edit in place: {exc}") from None
    try:
        remux.set_properties_in_place(tools.mkvpropedit, path, current, change.edits, hold=lock)
        problem = journals.untouched(journal, path)
        if problem:
            raise ApplyFailed(f"verification failed: {problem}")
        result = verified(path, change, duration, prober)
        sync(path)
    except BaseException:
        journals.restore(journal.file, path)  # the original again, byte for byte
        remove(journal.file)
        if journal.fingerprint and fingerprints([path])[0][0] != journal.fingerprint:
            log.error(
                "%s was changed beyond its headers by %s; the journal could not put it back",
                os.fsdecode(path),
                tools.mkvpropedit,
            )
        raise
    return Applied(result, "mkvpropedit", None, journal)


def journal_name(journal: journals.Journal) -> bytes | None:
    """Where the journal will be once its edit is recorded (None: it will be gone)."""
    return journals.keep_as_undo(journal) if journal.keep else None


def finish_journal(journal: journals.Journal) -> bytes | None:
    """After the result is recorded: the journal becomes the edit's undo record, or goes."""
    if not journal.keep:
        remove(journal.file)
        return None
    final = journals.keep_as_undo(journal)
    os.replace(journal.file, final)
    sync_folder(os.path.dirname(final))
    return final


def _produce(
    method: str,
    path: bytes,
    temp: bytes,
    current: list[Track],
    change: Change,
    tools: ToolsSettings,
    extras: list[Extra],
) -> None:
    """Write the planned file to `temp` (mkvmerge, ffmpeg); `path` is only read. `extras`:
    the added tracks' files, which mkvmerge muxes in."""
    if method == "mkvmerge":
        identified = Identified(matroska_ids(current), extras) if extras else None
        remux.mkvmerge_remux(
            tools.mkvmerge, path, temp, change.order, change.final, current, identified=identified
        )
    else:
        remux.ffmpeg_remux(tools.ffmpeg, path, temp, change.order, change.final, current=current)


def _settle_backup(backup: bytes, path: bytes, keep: bool) -> bytes | None:
    """Keep the original as `NAME.EXT.vpo-original` (`.2`, ... when taken: each job keeps
    its own, for undo). Runs after the new file is in place, so it never fails the apply:
    an original that cannot be renamed keeps its hidden name, and the log says where."""
    try:
        if not keep:
            remove(backup)
            return None
        final = kept_original(path)
        os.replace(backup, final)
        return final
    except OSError as exc:
        log.warning("the original is kept as %s (%s)", os.fsdecode(backup), exc.strerror or exc)
        return backup
