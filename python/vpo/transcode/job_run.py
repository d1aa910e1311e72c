"""One claimed transcode job, from the claim to the replaced file (or the job put back).

The worker thread that claimed it runs ffmpeg as a child in its own session, heartbeats
every few seconds while ffmpeg runs and notices a cancel there; on Linux its ffmpeg dies
with it even when it is killed outright (PR_SET_PDEATHSIG). The result is verified before
it replaces the file, and only when it is smaller (unless `transcode.keep_if_larger`: a
larger result is discarded and the job ends `skipped`); it takes the original's mode, owner
and group (media/fileattrs.py, shared with apply), and the original is kept as
NAME.EXT.vpo-original (media/siblings.py's naming, shared with apply) unless told otherwise.
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from typing import NamedTuple

from vpo.catalogue import JobStatus, JobType
from vpo.config.settings import Settings
from vpo.db import files as files_db
from vpo.db import jobs as jobs_db
from vpo.db import queue as queue_db
from vpo.db.connection import Database
from vpo.edit.fileops import remove
from vpo.errors import ToolError, VpoError
from vpo.hostpaths import to_catalogue, to_local
from vpo.integrations.refresh import refresh_changed
from vpo.jobs.claimed import STOPPED, ClaimedJob
from vpo.jobs.lifecycle import JobLifecycle
from vpo.library.written import Written, measure, update_catalogue
from vpo.logging import file_context
from vpo.media.children import tool_preexec
from vpo.media.fileattrs import same_owner_and_mode
from vpo.media.models import ProbeResult
from vpo.media.probe import probe_file, prober_for
from vpo.media.regular_file import NotRegularFileError, require_regular
from vpo.media.siblings import remove_stale_temps, temp_sibling
from vpo.media.tools import last_lines, stop_child
from vpo.transcode.child import TempLog
from vpo.transcode.decide import (
    ffmpeg_args,
    main_video,
    progress_of,
    skip_reason,
    verify_output,
)
from vpo.transcode.encoders import encoder_for
from vpo.transcode.models import TranscodeTarget
from vpo.transcode.swap import stage, swap, work_output

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
SPACE_MARGIN = 1.1  # free space wanted, as a multiple of the source's size


def _regular(path: bytes) -> os.stat_result:
    try:
        return require_regular(path)
    except NotRegularFileError as exc:
        raise VpoError(f"cannot read {os.fsdecode(path)}: {exc.strerror}") from None


def _cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class _Abandon(Exception):
    """The job must go back to the queue (the run is stopping)."""


class _Cancelled(Exception):
    """Someone cancelled the job while it ran."""


class _NotHere(Exception):
    def __init__(self, path: bytes) -> None:
        super().__init__(os.fsdecode(path))
        self.path = path


class JobRun:
    def __init__(
        self, db: Database, claim: queue_db.Claim, settings: Settings, stop: threading.Event
    ) -> None:
        self.db = db
        self.claim = claim
        self.job = ClaimedJob(db, claim)  # every write about the job, fenced by the claim
        self.job_id = claim.job_id
        self.settings = settings
        self.stop = stop
        self.progress = 0.0
        self.name = ""  # the file's name, for a progress display
        self.media_seconds: float | None = None  # the source's duration, once probed
        self.started = time.monotonic()
        self._last_beat = 0.0
        self.prober = prober_for(settings)
        self.invisible = False  # the file cannot be seen on this host (left for another)

    def execute(self) -> tuple[str, str | None]:
        """Run the claimed job: its status and, unless it completed, why."""
        job = jobs_db.get(self.db.conn, self.job_id)
        assert job is not None
        target = TranscodeTarget.from_dict(job.options)
        record = files_db.get_by_id(self.db.conn, int(job.options.get("file_id", -1)))
        self.name = os.fsdecode(os.path.basename(record.path)) if record else "?"
        token = file_context.set(os.fsdecode(record.path) if record else None)
        try:
            with JobLifecycle(self.job, JobType.TRANSCODE):
                return self._run(record, target)
        except Exception as exc:  # recorded `failed` by the lifecycle; the worker goes on
            if isinstance(exc, VpoError):
                log.warning("transcode failed: %s", exc.message)
                return "failed", exc.message
            log.exception("transcode crashed")
            return "failed", str(exc)
        finally:
            file_context.reset(token)

    def _run(self, record: files_db.FileRecord | None, target: TranscodeTarget) -> tuple[str, str | None]:
        """The endings that are not failures: done, skipped, put back, cancelled."""
        try:
            return self._transcode(record, target)
        except _Abandon:
            self.job.requeue(STOPPED)
            return "queued", "requeued: the run was stopped"
        except _NotHere as exc:
            # Unmapped, not mounted: another host may see it. Not a failure, not an attempt.
            self.invisible = True
            reason = f"{os.fsdecode(exc.path)} cannot be seen on {self.claim.host}; left for another worker"
            log.warning("%s", reason)
            self.job.requeue(reason)
            return "queued", reason
        except _Cancelled:
            log.info("transcode cancelled")
            return "cancelled", "cancelled by the user"

    def _transcode(
        self, record: files_db.FileRecord | None, target: TranscodeTarget
    ) -> tuple[str, str | None]:
        if record is None:
            raise VpoError("the file is no longer in the catalogue")
        path = to_local(record.path, self.settings.paths.map)  # this host's name of it
        if not os.path.exists(path):
            raise _NotHere(path)
        before = self._probe(path, "cannot read")
        self.media_seconds = before.duration_seconds
        why = skip_reason(before.tracks, target, before.container)
        if why:
            self.job.complete({"skipped": why})
            return "completed", None
        remove_stale_temps(os.path.dirname(path))
        _check_space(path)
        encoder = encoder_for(self.settings.tools.ffmpeg, target.codec)
        source = _regular(path)  # ffmpeg is given its name: never a FIFO's
        temp = temp_sibling(path)
        output = work_output(self.settings.transcode.work_dir, temp)
        leftovers = [temp] if output == temp else [temp, output]  # removed unless they are used
        try:
            args = ffmpeg_args(
                self.settings.tools.ffmpeg,
                path,
                output,
                before.tracks,
                target,
                encoder,
                before.container,
                threads=self._threads(),
            )
            self._ffmpeg(args, before.duration_seconds)
            stage(output, temp)  # then verified beside the original, as always
            leftovers = [temp]
            after = self._probe(temp, "verification failed: cannot read the output")
            problem = verify_output(before, after, target)
            if problem:
                raise VpoError(f"verification failed: {problem}")
            larger = self._larger(path, temp)
            if larger is not None:
                self.job.finish(JobStatus.SKIPPED, larger, progress=1.0)
                return "skipped", None
            self._replace(record, path, temp, Encoded(before, after, target, encoder), source)
            leftovers = []
            self._refresh(path)
            return "completed", None
        finally:
            for leftover in leftovers:
                remove(leftover)

    def _refresh(self, path: bytes) -> None:
        """The media stack is told the file changed; what failed is a warning on the job."""
        warnings = refresh_changed(self.settings, [path])
        if warnings:
            with self.db.transaction() as conn:
                jobs_db.add_warnings(conn, self.job_id, warnings)

    def _threads(self) -> int | None:
        """ffmpeg's decoder and encoder threads: `transcode.threads`, or (0, the default)
        this host's cores shared by the transcodes running on it, whichever workers run
        them; None when this one runs alone (the encoder's own choice, all cores). Several
        encoders each threaded for every core would fight over them: measured on 2 cores,
        x265 single-threaded spends ~20 % less CPU per film than with its default pool."""
        if self.settings.transcode.threads:
            return self.settings.transcode.threads
        running = queue_db.running_on(self.db.conn, self.claim.host)
        if running <= 1:
            return None
        return max(1, _cores() // running)

    def _larger(self, path: bytes, temp: bytes) -> dict[str, object] | None:
        """The job's summary when the result is not smaller than the original and must be
        discarded (the caller removes it); None when it may replace the original."""
        size_before, size_after = os.path.getsize(path), os.path.getsize(temp)
        if size_after < size_before or self.settings.transcode.keep_if_larger:
            return None
        log.warning(
            "transcode result discarded: %s bytes is not smaller than the original's %s",
            f"{size_after:,}",
            f"{size_before:,}",
        )
        return {
            "skipped": "the result was not smaller than the original (transcode.keep_if_larger: false)",
            "size_before": size_before,
            "size_after": size_after,
        }

    def _probe(self, path: bytes, what: str) -> ProbeResult:
        try:
            return probe_file(path, self.prober)
        except ValueError as exc:
            raise VpoError(f"{what} {os.fsdecode(path)}: {exc}") from None

    def _ffmpeg(self, args: list[str | bytes], duration: float | None) -> None:
        log.debug("running %s", " ".join(os.fsdecode(a) for a in args), extra={"operation": "ffmpeg"})
        with open(os.devnull, "rb") as stdin, TempLog() as errlog:
            try:
                child = subprocess.Popen(
                    args,
                    stdin=stdin,
                    stdout=subprocess.PIPE,
                    stderr=errlog.file,
                    start_new_session=True,
                    preexec_fn=tool_preexec(),
                )
            except OSError as exc:
                raise ToolError(
                    f"cannot run {os.fsdecode(args[0])}: {exc.strerror or exc}",
                    details={"tool": os.fsdecode(args[0])},
                ) from None
            try:
                self._follow(child, duration)
            except BaseException:
                stop_child(child)
                raise
            finally:
                child.stdout.close()  # type: ignore[union-attr]
            code = child.wait()
            if code == 0:
                return
            output = last_lines(errlog.text(), 5)
            if code < 0 or code == 255:  # ended by a signal (ffmpeg exits 255 when it catches one)
                # A service manager stopping the whole unit (systemd's default KillMode)
                # signals ffmpeg and VPO together: give our own handler a moment to say so,
                # and put the job back instead of calling the transcode failed.
                self.stop.wait(1.0)
                if self.stop.is_set():
                    raise _Abandon()
                how = (
                    f"killed by {signal.Signals(-code).name}"
                    if code < 0
                    else "stopped by a signal (exit 255)"
                )
                raise ToolError(f"ffmpeg was {how}, not by VPO: {output}", details={"exit_code": code})
            raise ToolError(f"ffmpeg failed (exit {code}): {output}", details={"exit_code": code})

    def _follow(self, child: subprocess.Popen, duration: float | None) -> None:
        """Read `-progress` lines; heartbeat; notice a cancel or a stop between reads."""
        assert child.stdout is not None
        fd = child.stdout.fileno()
        buffer = b""
        while True:
            if self.stop.is_set():
                raise _Abandon()
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.startswith(b"out_time_us="):
                        value = progress_of(line.split(b"=", 1)[1], duration)
                        if value is not None:
                            self.progress = value
            self._beat()

    def _beat(self) -> None:
        now = time.monotonic()
        if now - self._last_beat < HEARTBEAT_SECONDS:
            return
        self._last_beat = now
        if not self.job.beat(round(self.progress, 4)):
            raise _Cancelled()

    def _replace(
        self, record: files_db.FileRecord, path: bytes, temp: bytes, done: Encoded, source: os.stat_result
    ) -> None:
        """Only now does anything replace the original, which is kept unless the policy says
        so. The swap happens inside the write transaction that records it and completes the
        job, after checking the job is still ours: a cancel is either seen here (nothing
        replaced) or waits for the lock and finds the job completed."""
        current = os.stat(path)
        if (current.st_size, current.st_mtime_ns, current.st_ino) != (
            source.st_size,
            source.st_mtime_ns,
            source.st_ino,
        ):
            # Someone wrote the file while ffmpeg read it: the output is of a file that no
            # longer exists, and replacing would throw the new content away.
            raise VpoError(
                f"{os.fsdecode(path)} changed while it was being transcoded; "
                "run `vpo scan`, then `vpo jobs retry`"
            )
        same_owner_and_mode(path, temp)  # a private original stays private
        written = measure(temp)  # a rename keeps the inode, size and mtime
        summary = done.summary(current.st_size, written)
        summary["before_fingerprint"] = record.fingerprint
        with self.db.transaction() as conn:
            if not self.job.still_mine(conn):
                raise _Cancelled()
            kept = swap(path, temp, keep_original=not done.target.delete_original)
            summary["original"] = os.fsdecode(to_catalogue(kept, self.settings.paths.map)) if kept else None
            summary["kept_bytes"] = current.st_size if kept else 0
            update_catalogue(conn, record.id, record.path, written, done.after)
            jobs_db.add_files(conn, self.job_id, [(record.id, record.path, "transcoded", summary)])
            self.job.finish_in(conn, JobStatus.COMPLETED, summary, progress=1.0)
        log.info(
            "transcoded %s to %s (%d -> %d bytes)",
            os.fsdecode(path),
            done.target.codec,
            current.st_size,
            written.size,
        )


class Encoded(NamedTuple):
    """A verified transcode of a file, before it replaces the original."""

    before: ProbeResult
    after: ProbeResult
    target: TranscodeTarget
    encoder: str

    def summary(self, size_before: int, written: Written) -> dict[str, object]:
        """The job's summary (and history row) of the replacement."""
        return {
            "codec_before": (main_video(self.before.tracks) or self.before.tracks[0]).codec,
            "codec_after": self.target.codec,
            "encoder": self.encoder,
            "size_before": size_before,
            "size_after": written.size,
            "duration_seconds": self.after.duration_seconds,
            "worker": threading.current_thread().name,
            "result": written.summary(),
        }


def _check_space(path: bytes) -> None:
    size = os.path.getsize(path)
    free = shutil.disk_usage(os.path.dirname(path)).free
    if free < size * SPACE_MARGIN:
        raise VpoError(
            f"not enough free space beside {os.fsdecode(path)}: {free:,} bytes free, "
            f"about {int(size * SPACE_MARGIN):,} needed"
        )
