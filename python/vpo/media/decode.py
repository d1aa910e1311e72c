"""The thorough check's decoder: one `ffmpeg -v error` process per file, every audio and
video stream decoded to the null muxer (SPEC section 14).

Each file gets its own ffmpeg process (bounded memory: a decoder's, whatever the file;
a crash or hang costs that file only), single-threaded (`-threads 1`) while others wait, so
N of them keep N cores busy without oversubscribing them; when fewer files than workers
are left (the end of a run, a check of one file), a decode gets the idle workers' cores as
decoder threads. It runs in its own session: Ctrl+C in the
terminal reaches VPO, which stops the decoders itself (`cancel`), and an interrupted
decode is never mistaken for a failed one. Subtitles are not decoded (ffmpeg cannot
send most of them to the null muxer); their packets are still read.
"""

from __future__ import annotations

import logging
import os
import re
import select
import signal
import subprocess
import threading
import time
from typing import NamedTuple

from vpo.media.children import tool_preexec
from vpo.media.regular_file import require_regular
from vpo.media.tools import stop_child

log = logging.getLogger(__name__)

KEEP_BYTES = 1024  # of one message line; the first FIRST_LINES lines name the damage
FIRST_LINES = 5
_ADDRESS = re.compile(r"\[([^\]@]+?) @ 0x[0-9a-f]+\]")  # "[h264 @ 0x55ed...]" -> "[h264]"


class Decoded(NamedTuple):
    ok: bool
    error: str | None  # the first messages, a timeout, or how ffmpeg ended
    seconds: float
    cancelled: bool = False


class Decoder:
    """Runs decodes from several threads; `cancel()` stops every one now."""

    def __init__(self, ffmpeg: str = "ffmpeg") -> None:
        self.ffmpeg = ffmpeg
        self._running: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._cancelled = False

    def decode(self, path: bytes, *, timeout: float, threads: int = 1) -> Decoded:
        started = time.monotonic()
        argv: list[str | bytes] = [
            self.ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-threads", str(max(1, threads)),
            "-i", b"file:" + path, "-map", "0:v?", "-map", "0:a?", "-f", "null", "-",
        ]  # fmt: skip
        log.debug("decoding %s with %d decoder thread(s)", os.fsdecode(path), max(1, threads))
        try:
            require_regular(path)  # ffmpeg would wait on a FIFO for a writer
        except OSError as exc:
            return Decoded(False, exc.strerror or str(exc), 0.0)
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
                preexec_fn=tool_preexec(),  # dies with VPO, even a killed one
            )
        except OSError as exc:
            return Decoded(False, f"cannot run {self.ffmpeg}: {exc.strerror or exc}", 0.0)
        with self._lock:
            if self._cancelled:
                _stop(proc)
                return Decoded(False, None, 0.0, cancelled=True)
            self._running.add(proc)
        try:
            messages, timed_out = _read_messages(proc, started + timeout)
            if timed_out:
                _stop(proc)
            code = proc.wait()
        finally:
            with self._lock:
                self._running.discard(proc)
        seconds = time.monotonic() - started
        if self._cancelled:
            return Decoded(False, None, seconds, cancelled=True)
        if timed_out:
            return Decoded(False, f"decoding did not finish within {timeout:.0f} s", seconds)
        lines = [ln.strip() for ln in messages.decode("utf-8", "replace").splitlines() if ln.strip()][
            :FIRST_LINES
        ]
        prefix = "file:" + os.fsdecode(path) + ": "
        lines = [_ADDRESS.sub(r"[\1]", ln.replace(prefix, "")) for ln in lines]
        if code != 0:
            how = f"ffmpeg exited with {code}" if code > 0 else f"ffmpeg was killed by signal {-code}"
            return Decoded(False, "decoding failed: " + ("; ".join(lines) or how), seconds)
        if lines:
            return Decoded(False, "decoding failed: " + "; ".join(lines), seconds)
        return Decoded(True, None, seconds)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            running = list(self._running)
        for proc in running:
            _stop(proc)


def _read_messages(proc: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bool]:
    """ffmpeg's messages until it closes stderr (the first FIRST_LINES kept, the rest
    drained), or (.., True) when the deadline passes first.

    The null muxer's own complaints (`[null @ ...] ... non monotonically increasing dts`,
    which ffmpeg 5.1 prints for healthy 24 fps Matroska files whose millisecond timestamps
    round to equal ticks) are about the check's sink, not the file: they are dropped.
    """
    fd = proc.stderr.fileno()  # type: ignore[union-attr]
    kept: list[bytes] = []
    partial = b""
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return b"\n".join(kept), True
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                lines = [partial]
            else:
                *lines, partial = (partial + chunk).split(b"\n")
            for line in lines:
                if line.strip() and not line.startswith(b"[null @") and len(kept) < FIRST_LINES:
                    kept.append(line[:KEEP_BYTES])
            if not chunk:
                return b"\n".join(kept), False
            partial = partial[:KEEP_BYTES]  # a line's head says whose message it is
    finally:
        proc.stderr.close()  # type: ignore[union-attr]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT (ffmpeg's own clean stop), a second, then SIGKILL."""
    stop_child(proc, signal_first=signal.SIGINT, grace=1.0)
