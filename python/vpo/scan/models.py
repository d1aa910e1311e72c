"""What a scan is asked to do and what it reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from vpo.catalogue import DEFAULT_EXTENSIONS, Entry
from vpo.media.probe import ProberConfig


@dataclass(frozen=True)
class ScanOptions:
    roots: tuple[bytes, ...]
    full: bool = False
    prune: bool = False
    verify_hash: bool = False
    follow_symlinks: bool = False
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    workers: int = 2
    prober: ProberConfig = field(default_factory=ProberConfig)
    # Probe only these of the new or changed files; the others are left as they are, neither
    # probed nor counted, and listed in the report's `held` (`vpo watch`: files still
    # settling, which a scan of their folder must not catalogue mid-copy). None: probe all.
    only: frozenset[bytes] | None = None
    # A root holding no video files while the catalogue knows files under it is an unmounted
    # library (the scan fails, nothing is marked missing). False: they went missing (`vpo
    # watch`, for folders of a root it has just found mounted and not empty).
    empty_is_unmounted: bool = True

    def for_job(self) -> dict[str, Any]:
        return {
            "full": self.full,
            "prune": self.prune,
            "verify_hash": self.verify_hash,
            "follow_symlinks": self.follow_symlinks,
            "extensions": list(self.extensions),
            "workers": self.workers,
            "prober": self.prober.backend,
        }


@dataclass
class ScanCounts:
    discovered: int = 0
    skipped: int = 0
    scanned: int = 0
    added: int = 0
    moved: int = 0
    removed: int = 0
    errors: int = 0
    restored: int = 0
    pruned: int = 0
    known_broken: int = 0  # broken before and unchanged: not new errors (SPEC section 14)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class ScanProgress(NamedTuple):
    """Handed to the progress callback: the CLI decides whether and how to show it.

    `phase`: walking (still finding files), probing (the walk is done), done, or
    interrupted (Ctrl+C: `saved` files were written to the catalogue before stopping).
    `probing_since`: seconds from the start at which the first probe was queued."""

    root: str
    discovered: int
    queued: int
    probed: int
    phase: str
    elapsed: float
    probing_since: float | None = None
    saved: int = 0


@dataclass
class ScanReport:
    job_id: str
    status: str
    roots: list[str]
    incremental: bool
    counts: ScanCounts
    duration_seconds: float
    errors: list[dict[str, str]]
    held: list[Entry] = field(default_factory=list)  # new or changed, not in `options.only`

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "status": self.status,
            "roots": self.roots,
            "incremental": self.incremental,
            "counts": self.counts.to_dict(),
            "duration_seconds": round(self.duration_seconds, 3),
            "errors": self.errors,
        }
