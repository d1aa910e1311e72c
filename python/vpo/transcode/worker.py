"""`vpo jobs run`: work the transcode queue.

Threads: `workers` threads in this process, each with its own SQLite connection, each
claiming one job at a time (atomically: BEGIN IMMEDIATE + conditional UPDATE, so workers
in any number of processes never take the same job) and running one ffmpeg child in its
own session. The caller's thread only waits, so Ctrl+C/SIGTERM reach it: it sets `stop`,
and each worker stops its ffmpeg, removes its temporary file and puts its job back.
"""

from __future__ import annotations

import json
import logging
import os
import select
import shutil
import socket
import subprocess
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime

from vpo.config.settings import Settings
from vpo.db import files as files_db
from vpo.db import jobs as jobs_db
from vpo.db import queue as queue_db
from vpo.db.connection import Database, open_database
from vpo.errors import VpoError
from vpo.logging import file_context, job_context
from vpo.media.models import ProbeResult
from vpo.media.probe import ProberConfig, probe_file
from vpo.media.siblings import hidden_sibling, remove_stale
from vpo.media.tools import last_lines, stop_child
from vpo.policy.verify import DURATION_TOLERANCE_RATIO, DURATION_TOLERANCE_SECONDS
from vpo.timeutil import now_iso
from vpo.transcode.decide import ffmpeg_args, main_video, skip_reason
from vpo.transcode.encoders import encoder_for
from vpo.transcode.models import TranscodeTarget

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
ORIGINAL_SUFFIX = b".vpo-original"  # not a video extension: never catalogued
SPACE_MARGIN = 1.1  # free space wanted, as a multiple of the source's size


@dataclass(frozen=True)
class RunLimits:
    max_files: int | None = None
    max_duration: float | None = None
    end_by: datetime | None = None  # aware local time
    workers: int = 1


@dataclass
class RunReport:
    jobs: list[dict[str, str | None]] = field(default_factory=list)
    stopped_by: str = "queue empty"

    def to_dict(self) -> dict[str, object]:
        return {"jobs": self.jobs, "stopped_by": self.stopped_by}


class _Abandon(Exception):
    """The job must go back to the queue (the run is stopping)."""


class _Cancelled(Exception):
    """Someone cancelled the job while it ran."""


class QueueRunner:
    def __init__(self, settings: Settings, limits: RunLimits) -> None:
        self.settings = settings
        self.limits = limits
        self.stop = threading.Event()
        self.report = RunReport()
        self._lock = threading.Lock()
        self._claimed = 0
        self._started = time.monotonic()

    def run(self) -> RunReport:
        threads = [threading.Thread(target=self._worker, name=f"transcode-{n}", daemon=True)
                   for n in range(max(1, self.limits.workers))]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(timeout=0.2)
        except BaseException:
            self.stop.set()
            self.report.stopped_by = "interrupted"
            for thread in threads:
                thread.join(timeout=60)
            raise
        return self.report

    # -- limits --------------------------------------------------------------------------

    def _may_claim(self) -> bool:
        """Limits stop new claims; jobs already running finish."""
        with self._lock:
            lim = self.limits
            if self.stop.is_set():
                return False
            if lim.max_files is not None and self._claimed >= lim.max_files:
                self.report.stopped_by = "max-files"
                return False
            if lim.max_duration is not None and time.monotonic() - self._started >= lim.max_duration:
                self.report.stopped_by = "max-duration"
                return False
            if lim.end_by is not None and datetime.now().astimezone() >= lim.end_by:
                self.report.stopped_by = "end-by"
                return False
            self._claimed += 1
            return True

    def _unclaim(self) -> None:
        with self._lock:
            self._claimed -= 1

    # -- one worker thread ---------------------------------------------------------------

    def _worker(self) -> None:
        db = open_database(self.settings.database)
        try:
            while self._may_claim():
                with db.transaction() as conn:
                    job_id = queue_db.claim_next(conn, pid=os.getpid(), host=socket.gethostname(), now=now_iso())
                if job_id is None:
                    self._unclaim()
                    return
                status, error = self._run_job(db, job_id)
                with self._lock:
                    self.report.jobs.append({"id": job_id, "status": status, "error": error})
        finally:
            db.close()

    def _run_job(self, db: Database, job_id: str) -> tuple[str, str | None]:
        token = job_context.set(job_id)
        try:
            return _JobRun(db, job_id, self.settings, self.stop).execute()
        finally:
            job_context.reset(token)


class _JobRun:
    def __init__(self, db: Database, job_id: str, settings: Settings, stop: threading.Event) -> None:
        self.db = db
        self.job_id = job_id
        self.settings = settings
        self.stop = stop
        self.progress = 0.0
        self._last_beat = 0.0

    def execute(self) -> tuple[str, str | None]:
        job = jobs_db.get(self.db.conn, self.job_id)
        assert job is not None
        target = TranscodeTarget.from_dict(job.options)
        record = files_db.get_by_id(self.db.conn, int(job.options.get("file_id", -1)))
        temp: bytes | None = None
        try:
            if record is None:
                raise VpoError("the file is no longer in the catalogue")
            path = record.path
            file_context.set(os.fsdecode(path))
            try:
                before = probe_file(path, ProberConfig(ffprobe=self.settings.tools.ffprobe))
            except ValueError as exc:
                raise VpoError(f"cannot read {os.fsdecode(path)}: {exc}") from None
            why = skip_reason(before.tracks, target)
            if why:
                self._finish("completed", {"skipped": why})
                return "completed", None
            remove_stale(path, "transcode")
            size = os.path.getsize(path)
            free = shutil.disk_usage(os.path.dirname(path)).free
            if free < size * SPACE_MARGIN:
                raise VpoError(f"not enough free space beside the file: {free:,} bytes free, "
                               f"about {int(size * SPACE_MARGIN):,} needed")
            encoder = encoder_for(self.settings.tools.ffmpeg, target.codec)
            temp = hidden_sibling(path, "transcode")
            self._ffmpeg(ffmpeg_args(self.settings.tools.ffmpeg, path, temp, before.tracks, target, encoder),
                         before.duration_seconds)
            after = self._verify(temp, before, target)
            summary = self._replace(record, path, temp, before, after, target, encoder)
            temp = None
            self._finish("completed", summary, progress=1.0)
            return "completed", None
        except _Abandon:
            with self.db.transaction() as conn:
                queue_db.requeue_if_running(conn, self.job_id, "worker stopped before finishing; requeued")
            return "queued", "requeued: the run was stopped"
        except _Cancelled:
            log.info("transcode cancelled")
            return "cancelled", "cancelled by the user"
        except VpoError as exc:
            log.warning("transcode failed: %s", exc.message)
            self._finish("failed", None, error=exc.message)
            return "failed", exc.message
        except Exception as exc:  # noqa: BLE001 - record any bug on the job, then keep working the queue
            log.exception("transcode crashed")
            self._finish("failed", None, error=f"{type(exc).__name__}: {exc}", tb=traceback.format_exc())
            return "failed", str(exc)
        finally:
            if temp is not None:
                _remove(temp)

    def _ffmpeg(self, args: list[str | bytes], duration: float | None) -> None:
        log.debug("running %s", " ".join(os.fsdecode(a) for a in args), extra={"operation": "ffmpeg"})
        with open(os.devnull, "rb") as stdin, _TempLog() as errlog:
            child = subprocess.Popen(args, stdin=stdin, stdout=subprocess.PIPE, stderr=errlog.file,
                                     start_new_session=True)
            try:
                self._follow(child, duration)
            except BaseException:
                stop_child(child)
                raise
            code = child.wait()
            if code != 0:
                raise VpoError(f"ffmpeg failed (exit {code}): {last_lines(errlog.text(), 5)}")

    def _follow(self, child: subprocess.Popen, duration: float | None) -> None:  # type: ignore[type-arg]
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
                    if line.startswith(b"out_time_us=") and duration:
                        try:
                            self.progress = min(0.99, int(line.split(b"=", 1)[1]) / 1e6 / duration)
                        except ValueError:
                            pass
            self._beat()

    def _beat(self) -> None:
        now = time.monotonic()
        if now - self._last_beat < HEARTBEAT_SECONDS:
            return
        self._last_beat = now
        with self.db.transaction() as conn:
            alive = queue_db.beat_if_running(conn, self.job_id, now_iso(), round(self.progress, 4))
        if not alive:
            raise _Cancelled()

    def _verify(self, temp: bytes, before: ProbeResult, target: TranscodeTarget) -> ProbeResult:
        try:
            after = probe_file(temp, ProberConfig())
        except ValueError as exc:
            raise VpoError(f"verification failed: cannot read the output ({exc})") from None
        if len(after.tracks) != len(before.tracks):
            raise VpoError(f"verification failed: {len(before.tracks)} streams in, {len(after.tracks)} out")
        video = main_video(after.tracks)
        if video is None or video.codec != target.codec:
            raise VpoError(f"verification failed: video codec is {video.codec if video else 'missing'}, "
                           f"not {target.codec}")
        if before.duration_seconds and after.duration_seconds:
            tolerance = max(DURATION_TOLERANCE_SECONDS, before.duration_seconds * DURATION_TOLERANCE_RATIO)
            if abs(after.duration_seconds - before.duration_seconds) > tolerance:
                raise VpoError(f"verification failed: duration {after.duration_seconds:.2f}s, "
                               f"expected {before.duration_seconds:.2f}s")
        return after

    def _replace(self, record: files_db.FileRecord, path: bytes, temp: bytes, before: ProbeResult,
                 after: ProbeResult, target: TranscodeTarget, encoder: str) -> dict[str, object]:
        """Only now does anything replace the original, which is kept unless the policy says so."""
        original_size = os.path.getsize(path)
        kept = None
        if target.delete_original:
            os.replace(temp, path)
        else:
            kept = _free_name(path + ORIGINAL_SUFFIX)
            os.link(path, kept)
            os.replace(temp, path)
        st = os.stat(path)
        from vpo.scan.walker import fingerprints

        summary = {
            "codec_before": (main_video(before.tracks) or before.tracks[0]).codec,
            "codec_after": target.codec, "encoder": encoder,
            "size_before": original_size, "size_after": st.st_size,
            "original": os.fsdecode(kept) if kept else None,
        }
        with self.db.transaction() as conn:
            files_db.update_probe_result(conn, record.id, path=path, size=st.st_size, mtime_ns=st.st_mtime_ns,
                                         dev=st.st_dev, ino=st.st_ino, result=after,
                                         fingerprint=fingerprints([path])[0][0], now=now_iso())
            jobs_db.add_files(conn, self.job_id, [(record.id, path, "transcoded", summary)])
        log.info("transcoded %s to %s (%d -> %d bytes)", os.fsdecode(path), target.codec,
                 original_size, st.st_size)
        return summary

    def _finish(self, status: str, summary: dict[str, object] | None, *, error: str | None = None,
                tb: str | None = None, progress: float | None = None) -> None:
        with self.db.transaction() as conn:
            queue_db.finish_if_running(conn, self.job_id, status=status, now=now_iso(),
                                       summary=json.dumps(summary) if summary is not None else None,
                                       error=error, traceback=tb, progress=progress)


class _TempLog:
    """ffmpeg's stderr goes to an anonymous temporary file (no pipe to deadlock on)."""

    def __enter__(self) -> _TempLog:
        import tempfile

        self.file = tempfile.TemporaryFile()
        return self

    def text(self) -> str:
        self.file.seek(0)
        return self.file.read()[-65536:].decode("utf-8", "replace")

    def __exit__(self, *exc: object) -> None:
        self.file.close()


def _free_name(candidate: bytes) -> bytes:
    n = 1
    name = candidate
    while os.path.lexists(name):
        n += 1
        name = candidate + f".{n}".encode()
    return name


def _remove(path: bytes) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
