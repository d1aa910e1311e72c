"""Parallel probing in worker processes, one thread per worker feeding it paths.

Threads: N feeder threads, each owning one `probe_worker` child; the caller's thread submits
items and collects results. A child that crashes or overruns the timeout is killed (SIGTERM,
then SIGKILL), the file gets an error, and a fresh child takes the next file.
Nothing starts before the first file is submitted: a scan that probes nothing starts no
thread and no process (SPEC section 20).
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from typing import Any, NamedTuple

from vpo.media.models import ProbeResult
from vpo.media.probe import ProberConfig
from vpo.media.tools import stop_child

log = logging.getLogger(__name__)

_STOP = object()


class ProbeOutcome(NamedTuple):
    item: Any
    result: ProbeResult | None
    error: str | None
    seconds: float


class ProbePool:
    def __init__(self, config: ProberConfig, *, workers: int) -> None:
        self.config = config
        self.workers = max(1, workers)
        self._todo: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[ProbeOutcome] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._children: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._closing = False
        self.pending = 0

    def submit(self, item: Any, path: bytes) -> None:
        """Queue `path`; its outcome carries `item` back. Workers start on first use."""
        if len(self._threads) < self.workers and len(self._threads) <= self.pending:
            # A copy of the caller's context, so log lines carry the job id.
            context = contextvars.copy_context()
            thread = threading.Thread(
                target=context.run, args=(self._feed,), name=f"probe-{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        self.pending += 1
        self._todo.put((item, path))

    def get(self, timeout: float | None = None) -> ProbeOutcome | None:
        """The next finished probe, or None if none finished within `timeout`."""
        try:
            outcome = self._done.get(timeout=timeout) if timeout != 0 else self._done.get_nowait()
        except queue.Empty:
            return None
        self.pending -= 1
        return outcome

    def close(self) -> None:
        """Stop every child now (used on success and on Ctrl+C alike)."""
        self._closing = True
        for _ in self._threads:
            self._todo.put(_STOP)
        with self._lock:
            children = list(self._children)
        for child in children:
            _stop(child)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> ProbePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- feeder thread -------------------------------------------------------------------

    def _report(self, outcome: ProbeOutcome) -> None:
        """Hand an outcome back, unless the pool is closing: a child killed by close() did
        not fail on its file, and must not mark a good file as broken."""
        if not self._closing:
            self._done.put(outcome)

    def _feed(self) -> None:
        child: subprocess.Popen[bytes] | None = None
        reader: _LineReader | None = None
        while True:
            work = self._todo.get()
            if work is _STOP or self._closing:
                break
            item, path = work
            started = time.monotonic()
            try:
                if child is None:
                    child = self._spawn()
                    reader = _LineReader(child.stdout.fileno())  # type: ignore[union-attr]
                assert reader is not None
                child.stdin.write(path.hex().encode("ascii") + b"\n")  # type: ignore[union-attr]
                child.stdin.flush()  # type: ignore[union-attr]
                line = reader.readline(self.config.timeout + 5)
                if line is None:
                    error = f"probe timed out after {self.config.timeout:g}s"
                    self._discard(child)
                    child, reader = None, None
                    self._report(ProbeOutcome(item, None, error, time.monotonic() - started))
                    continue
                if line == b"":
                    code = self._discard(child)
                    child, reader = None, None
                    reason = f"prober crashed ({_describe_exit(code)})"
                    self._report(ProbeOutcome(item, None, reason, time.monotonic() - started))
                    continue
                reply = json.loads(line)
            except (OSError, ValueError) as exc:
                if child is not None:
                    self._discard(child)
                child, reader = None, None
                self._report(ProbeOutcome(item, None, f"prober failed: {exc}", time.monotonic() - started))
                continue
            elapsed = time.monotonic() - started
            if "ok" in reply:
                self._report(ProbeOutcome(item, ProbeResult.from_dict(reply["ok"]), None, elapsed))
            else:
                self._report(ProbeOutcome(item, None, reply["error"], elapsed))
        if child is not None:
            self._discard(child)

    def _spawn(self) -> subprocess.Popen[bytes]:
        """A worker, started when a file first needs probing (never for a scan that
        probes nothing), configured by its first line."""
        child = spawn_worker()
        with self._lock:
            self._children.add(child)
        child.stdin.write(json.dumps(self.config._asdict()).encode() + b"\n")  # type: ignore[union-attr]
        log.debug("probe worker %d: started", child.pid)
        return child

    def _discard(self, child: subprocess.Popen[bytes]) -> int | None:
        with self._lock:
            self._children.discard(child)
        return _stop(child)


class _LineReader:
    """readline() with a timeout on a raw pipe (None = timed out, b"" = EOF)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf = b""

    def readline(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                return b""
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line


def spawn_worker() -> subprocess.Popen[bytes]:
    """A probe worker (`vpo.media.probe_worker`), waiting for its configuration on stdin."""
    return subprocess.Popen(
        [sys.executable, "-m", "vpo.media.probe_worker", "--parent", str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        # Its own session: a terminal's Ctrl+C reaches only VPO, which stops the workers
        # itself. A worker whose parent dies is killed (it arms PR_SET_PDEATHSIG itself,
        # media/children.py: no preexec_fn), or sees EOF on stdin and exits.
        start_new_session=True,
    )


def _stop(child: subprocess.Popen[bytes]) -> int | None:
    """A worker reads until its stdin closes: that first, then SIGTERM (it ignores SIGINT)."""
    return stop_child(child, close_stdin=True, signal_first=signal.SIGTERM, grace=1.0)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "did not exit"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"
