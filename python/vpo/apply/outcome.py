"""What `apply` reports per file and for the run: the SPEC 10 keys, schema 2's extras,
and the totals. Plain data; the CLI renders it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vpo.media.models import Track


@dataclass
class FileOutcome:
    path: str
    status: str  # planned | changed | unchanged | failed
    actions: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    file_id: int | None = None  # the catalogue's id, when it knows the file (not in the JSON)
    extra: dict[str, Any] = field(default_factory=dict)  # schema 2: original language, rule, ...
    before: Sequence[Track] = ()  # the tracks as they were, for the text output
    after: Sequence[Track] = ()  # as planned (dry run) or as made
    order: Sequence[int] | None = None  # current indices of `after`, in its order
    removed: tuple[int, ...] = ()
    bytes_saved: int = 0
    note: str | None = None  # e.g. why a flags edit is a remux
    kept_bytes: int = 0  # what the kept original or journal of this file holds on disk

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "actions": self.actions,
            "error": self.error,
            "note": self.note,
            "kept_bytes": self.kept_bytes,
            **self.extra,
        }


@dataclass
class ApplyReport:
    job_id: str | None
    dry_run: bool
    files: list[FileOutcome]
    warnings: list[str] = field(default_factory=list)  # the media stack's refreshes that failed

    def changed_paths(self) -> list[bytes]:
        """Where the changed files are now (what the media stack is asked to refresh)."""
        return [os.fsencode(f.path) for f in self.files if f.status == "changed"]

    def summary(self) -> dict[str, Any]:
        """The job's summary: the counts, and the warnings when there are any."""
        return {**self.counts(), **({"warnings": self.warnings} if self.warnings else {})}

    def counts(self) -> dict[str, int]:
        out = {"planned": 0, "changed": 0, "unchanged": 0, "failed": 0}
        for f in self.files:
            out[f.status] += 1
        return out

    def totals(self) -> dict[str, int]:
        """What the changes (or, in a dry run, the plans) add up to."""
        done = [f for f in self.files if f.status in ("changed", "planned")]
        return {
            "files_changed": len(done),
            "tracks_removed": sum(len(f.removed) for f in done),
            "bytes_saved": sum(f.bytes_saved for f in done),
        }

    def kept_bytes(self) -> int:
        """Disk the kept originals and journals of this apply hold."""
        return sum(f.kept_bytes for f in self.files)

    def to_dict(self, *, files: bool = True) -> dict[str, Any]:
        out = {
            "job_id": self.job_id,
            "dry_run": self.dry_run,
            "counts": self.counts(),
            "totals": self.totals(),
            "kept_bytes": self.kept_bytes(),
            "warnings": self.warnings,
        }
        return {**out, "files": [f.to_dict() for f in self.files]} if files else out
