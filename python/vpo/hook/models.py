"""What `vpo hook` reports."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from vpo.watch.pipeline import BatchResult


@dataclass
class Batch:
    """The files of one event under one profile root (or folder): one scan, one apply."""

    profile: str | None
    root: bytes
    files: list[bytes] = field(default_factory=list)
    gone: list[bytes] = field(default_factory=list)
    result: BatchResult | None = None

    def to_dict(self) -> dict[str, Any]:
        r = self.result or BatchResult()
        return {
            "profile": self.profile,
            "root": os.fsdecode(self.root),
            "files": [os.fsdecode(f) for f in self.files],
            "gone": [os.fsdecode(g) for g in self.gone],
            "scan_job": r.scan_job,
            "scan": r.scan_counts,
            "apply_job": r.apply_job,
            "catalogued": r.catalogued,
            "transcodes_queued": r.queued,
        }


@dataclass
class HookReport:
    app: str  # Radarr or Sonarr
    event: str
    handled: bool = True  # False: an event VPO has nothing to do for
    batches: list[Batch] = field(default_factory=list)
    original_language: tuple[str, str] | None = None  # (code, who said so), as recorded
    notes: list[str] = field(default_factory=list)  # e.g. a file under no profile's roots
    problems: list[str] = field(default_factory=list)  # one line each; exit 1

    def to_dict(self) -> dict[str, Any]:
        known = self.original_language
        return {
            "app": self.app,
            "event": self.event,
            "handled": self.handled,
            "original_language": {"code": known[0], "source": f"from {known[1]}"} if known else None,
            "batches": [b.to_dict() for b in self.batches],
            "notes": self.notes,
            "problems": self.problems,
        }
