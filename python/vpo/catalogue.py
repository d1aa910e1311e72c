"""The catalogue's vocabulary, shared by every layer: the default extensions, file and job
statuses, job types, and the row shapes that cross from `db/` to the services.

A leaf module (standard library only): importing the settings or the pure change
detection must not load the native extension, the database code or pydantic. The enum
values are the strings stored in the database and written in JSON; they never change.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

DEFAULT_EXTENSIONS = (
    "mkv",
    "mp4",
    "m4v",
    "avi",
    "mov",
    "webm",
    "ts",
    "m2ts",
    "wmv",
    "flv",
    "mpg",
    "mpeg",
)


class ScanStatus(str, Enum):
    """`files.scan_status`."""

    OK = "ok"
    ERROR = "error"
    MISSING = "missing"

    def __str__(self) -> str:
        return self.value


class JobType(str, Enum):
    """`jobs.type`."""

    SCAN = "scan"
    APPLY = "apply"
    TRANSCODE = "transcode"
    CHECK = "check"
    UNDO = "undo"

    def __str__(self) -> str:
        return self.value


class JobStatus(str, Enum):
    """`jobs.status`."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # a transcode whose result was not smaller: discarded, original untouched

    def __str__(self) -> str:
        return self.value


# A file the walk found: (path, size, mtime_ns, dev, ino), as the extension hands it over
# (plain tuples: a no-change rescan of 100,000 files builds no other object per file).
Entry = tuple[bytes, int, int, int, int]


class CheckLevel(str, Enum):
    """`checks.level`: the quick check (structure and end of streams) or a full decode."""

    QUICK = "quick"
    THOROUGH = "thorough"

    def __str__(self) -> str:
        return self.value


JOB_TYPES = tuple(t.value for t in JobType)
JOB_STATUSES = tuple(s.value for s in JobStatus)


class Known(NamedTuple):
    """What change detection needs of a catalogued path (`db/files.py` reads it)."""

    id: int
    size: int
    mtime_ns: int
    scan_status: str
    racy: int
    content_hash: str | None

    @property
    def missing(self) -> bool:
        return self.scan_status == ScanStatus.MISSING
