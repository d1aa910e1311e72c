"""What a check run is asked to do and what it reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from vpo.media.probe import ProberConfig


@dataclass(frozen=True)
class CheckOptions:
    roots: tuple[bytes, ...] = ()  # none: the whole catalogue
    thorough: bool = False
    recheck: bool = False
    max_duration: float | None = None  # seconds; no file is started after it
    workers: int = 2
    ffmpeg: str = "ffmpeg"
    prober: ProberConfig = field(default_factory=ProberConfig)

    def for_job(self) -> dict[str, Any]:
        return {
            "thorough": self.thorough,
            "recheck": self.recheck,
            "max_duration": self.max_duration,
            "workers": self.workers,
        }


@dataclass
class CheckCounts:
    candidates: int = 0  # catalogued, present files under the paths
    checked: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0  # checked before, unchanged since
    known_failed: int = 0  # of the skipped: their last check failed (known, not news)
    missing: int = 0  # catalogued but not on disk now (`vpo scan` will say)
    left: int = 0  # not reached before --max-duration

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class CheckProgress(NamedTuple):
    done: int
    total: int  # files to check in this run
    failed: int
    elapsed: float


@dataclass
class CheckReport:
    job_id: str
    status: str  # completed | stopped (reached --max-duration)
    level: str
    counts: CheckCounts
    duration_seconds: float
    failures: list[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "status": self.status,
            "level": self.level,
            "counts": self.counts.to_dict(),
            "duration_seconds": round(self.duration_seconds, 3),
            "failures": self.failures,
        }
