"""Logging: stderr and/or a size-rotated file, text or JSON lines, with job context.

Only `vpo.cli` calls `configure()`. Nothing here writes to stdout. A log file that cannot
be opened or written costs one warning on stderr; the command goes on logging to stderr.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import os
import sys
from pathlib import Path
from typing import Any

from vpo.escape import escape
from vpo.redact import SECRET_FILTER

job_context: contextvars.ContextVar[str | None] = contextvars.ContextVar("vpo_job_id", default=None)
file_context: contextvars.ContextVar[str | None] = contextvars.ContextVar("vpo_file", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
STDERR_FORMAT = "vpo: %(levelname)s: %(message)s"
CONTINUED = "  | "  # begins each line of a text record after its first (a traceback's)


class ContextFilter(logging.Filter):
    """Copies the current job id and file onto every record, as top-level fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        job_id = job_context.get()
        if job_id is not None and not hasattr(record, "job_id"):
            record.job_id = job_id
        file = file_context.get()
        if file is not None and not hasattr(record, "file"):
            record.file = file
        return True


def _json_formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    from vpo.timeutil import to_iso

    class VpoJsonFormatter(JsonFormatter):
        """`timestamp` (UTC, Z), `level`, `logger`, `message`, then context fields."""

        def add_fields(
            self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
        ) -> None:
            from datetime import datetime, timezone

            log_data["timestamp"] = to_iso(datetime.fromtimestamp(record.created, tz=timezone.utc))
            log_data["level"] = record.levelname.lower()
            log_data["logger"] = record.name
            super().add_fields(log_data, record, message_dict)

    return VpoJsonFormatter(
        "%(message)s",
        json_ensure_ascii=True,
        reserved_attrs=[*logging.LogRecord("", 0, "", 0, "", (), None).__dict__, "message"],
    )


@functools.lru_cache(maxsize=1)
def _file_handler_class() -> Any:  # a RotatingFileHandler subclass (logging.handlers is lazy)
    """Built on first use: `logging.handlers` costs more to import than most commands run."""
    import logging.handlers

    class _FallbackMixin:
        """On the first failed write: one warning on stderr, then records go to stderr instead."""

        fallback: logging.Handler | None = None
        failed = False

        def handleError(self, record: logging.LogRecord) -> None:
            exc = sys.exc_info()[1]
            if not self.failed:
                self.failed = True
                _warn(
                    f"cannot write log file {getattr(self, 'baseFilename', '?')} ({exc}); logging to stderr"
                )
            if self.fallback is not None and record.levelno >= self.fallback.level:
                self.fallback.handle(record)

    class SafeRotatingFileHandler(_FallbackMixin, logging.handlers.RotatingFileHandler):
        def emit(self, record: logging.LogRecord) -> None:
            if self.failed:
                if self.fallback is not None and record.levelno >= self.fallback.level:
                    self.fallback.handle(record)
                return
            super().emit(record)

        def doRollover(self) -> None:
            if self.backupCount > 0:
                super().doRollover()
                return
            # backup_count 0: no old files, and the file still never grows past max_bytes
            # (the standard handler would reopen it on every record and let it grow forever).
            if self.stream:
                self.stream.close()
                self.stream = None
            os.truncate(self.baseFilename, 0)
            self.stream = self._open()

        def _open(self):  # type: ignore[no-untyped-def]
            # Log files are private to the user: they name every file of the library.
            fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            return open(
                fd,
                self.mode.replace("w", "a") if "a" in self.mode else "a",
                encoding=self.encoding,
                errors=self.errors,
            )

    return SafeRotatingFileHandler


class TextFormatter(logging.Formatter):
    """One record, one line: `... message [job=1a2b3c4d file=/x.mkv]` (the context fields
    only with `context`). The message, its arguments and every context field are escaped
    (vpo/escape.py: `\\n`, `\\x1b`, `\\xff`...), so a file name holding a newline or ESC
    can neither forge a record nor drive a terminal. A traceback (or stack) follows on
    lines of their own, escaped too, each one beginning with CONTINUED, which no record
    begins with."""

    CONTEXT = ("job_id", "file", "operation", "duration_seconds")

    def __init__(self, fmt: str, *, context: bool = True) -> None:
        super().__init__(fmt)
        self.context = context

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        # Stored timestamps are UTC with Z (SPEC 2.1), in log files as everywhere else.
        from datetime import datetime, timezone

        from vpo.timeutil import to_iso

        return to_iso(datetime.fromtimestamp(record.created, tz=timezone.utc))

    def format(self, record: logging.LogRecord) -> str:
        record.message = escape(record.getMessage())
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        text = self.formatMessage(record)
        context = self._context(record) if self.context else []
        if context:
            text += f" [{' '.join(context)}]"
        return text + self._continued(record)

    def _context(self, record: logging.LogRecord) -> list[str]:
        context = []
        for key in self.CONTEXT:
            value = getattr(record, key, None)
            if value is None:
                continue
            if key == "job_id":
                context.append(f"job={escape(str(value)[:8])}")
            elif key == "duration_seconds":
                number = isinstance(value, (int, float))
                context.append(f"took={value:.3f}s" if number else f"took={escape(str(value))}")
            else:
                context.append(f"{key}={escape(str(value))}")
        return context

    def _continued(self, record: logging.LogRecord) -> str:
        """The traceback and stack of a record, each line escaped and marked CONTINUED."""
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        blocks = [record.exc_text, self.formatStack(record.stack_info) if record.stack_info else None]
        lines = [line for block in blocks if block for line in block.splitlines()]
        return "".join(f"\n{CONTINUED}{escape(line)}" for line in lines)


def log_path(settings: Any) -> Path | None:
    """The log file of the `logging` settings, `~` expanded; None for stderr only."""
    return Path(os.path.expanduser(settings.file)) if settings.file else None


def make_log_dir(path: Path) -> None:
    """Create the log file's folder and every missing parent, each private (0700).
    OSError says which part is in the way."""
    from vpo.paths import make_private_folders

    make_private_folders(path.parent)


def _warn(message: str) -> None:
    try:
        sys.stderr.write(f"vpo: warning: {escape(message)}\n")
    except (OSError, ValueError):
        pass


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time of the record, so a live progress
    display that takes stderr over (rich's redirect) gets log lines printed above it,
    never glued to its last frame."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def level_number(name: str | None, default: int = logging.INFO) -> int:
    return getattr(logging, str(name).upper(), default) if name else default


def configure(settings: Any, *, stderr_level: str | None = None) -> None:
    """Install handlers for the effective `logging` settings (called once per command).

    The log file, when set, gets `settings.level`; stderr gets `stderr_level` (the CLI
    decides it: warnings unless a level was asked for, `-v`, `-vv`, `-q`), or
    `settings.level` when none is given.
    """
    logging.raiseExceptions = False  # a logging failure never becomes a traceback
    root = logging.getLogger("vpo")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    file_level = level_number(settings.level)
    terminal_level = level_number(stderr_level, file_level)
    root.propagate = False
    json_mode = settings.format == "json"
    context = ContextFilter()
    to_file = bool(settings.file)
    to_stderr = not to_file or settings.include_stderr
    root.setLevel(min([file_level] * to_file + [terminal_level] * to_stderr))

    def stderr_handler() -> logging.Handler:
        handler = _StderrHandler()
        handler.setLevel(terminal_level)
        handler.addFilter(context)
        handler.addFilter(SECRET_FILTER)
        # On a terminal the message already names the file; the context stays for log files.
        handler.setFormatter(_json_formatter() if json_mode else TextFormatter(STDERR_FORMAT, context=False))
        return handler

    stderr = None
    if not settings.file or settings.include_stderr:
        stderr = stderr_handler()
        root.addHandler(stderr)
    path = log_path(settings)
    if path is not None:
        try:
            make_log_dir(path)
            handler = _file_handler_class()(
                path,
                maxBytes=settings.max_bytes,
                backupCount=settings.backup_count,
                encoding="utf-8",
                delay=False,
            )
        except OSError as exc:
            _warn(f"cannot open log file {path} ({exc.strerror or exc}); logging to stderr")
            if stderr is None:
                root.addHandler(stderr_handler())
                root.setLevel(terminal_level)
            return
        handler.setLevel(file_level)
        handler.addFilter(context)
        handler.addFilter(SECRET_FILTER)
        handler.setFormatter(_json_formatter() if json_mode else TextFormatter(TEXT_FORMAT))
        handler.fallback = None if stderr is not None else stderr_handler()
        root.addHandler(handler)
