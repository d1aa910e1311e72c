"""What `apply` reports per file and for the run: the SPEC 10 keys, schema 2's extras,
and the totals. Plain data; the CLI renders it."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vpo.media.models import Track

STATUSES = ("planned", "changed", "unchanged", "failed")


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
class _Tally:
    """What the outcomes add up to (the report's counts, totals and kept bytes)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    removed: int = 0
    saved: int = 0
    kept: int = 0
    changed: list[str] = field(default_factory=list)  # paths of the files changed
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, why) of those that failed

    def add(self, outcome: FileOutcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.status == "changed":
            self.changed.append(outcome.path)
        elif outcome.status == "failed":
            self.failed.append((outcome.path, outcome.error or "failed"))
        if outcome.status in ("changed", "planned"):
            self.removed += len(outcome.removed)
            self.saved += outcome.bytes_saved
        self.kept += outcome.kept_bytes


@dataclass
class ApplyReport:
    """The run's outcomes, added one by one (`add`): kept in `files`, or, with a `sink`,
    handed to it and only counted, so that a run over a whole library holds no outcome
    per file (SPEC section 20)."""

    job_id: str | None
    dry_run: bool
    files: list[FileOutcome]
    sink: Callable[[FileOutcome], None] | None = None
    warnings: list[str] = field(default_factory=list)  # the media stack's refreshes that failed
    _streamed: _Tally = field(default_factory=_Tally)

    def add(self, outcome: FileOutcome) -> None:
        if self.sink is None:
            self.files.append(outcome)
        else:
            self._streamed.add(outcome)
            self.sink(outcome)

    def _tally(self) -> _Tally:
        streamed = self._streamed
        tally = _Tally(
            dict(streamed.counts),
            streamed.removed,
            streamed.saved,
            streamed.kept,
            list(streamed.changed),
            list(streamed.failed),
        )
        for f in self.files:
            tally.add(f)
        return tally

    def changed_paths(self) -> list[bytes]:
        """Where the changed files are now (what the media stack is asked to refresh)."""
        return [os.fsencode(path) for path in self._tally().changed]

    def failures(self) -> list[tuple[str, str]]:
        """(path, why) of each file that failed."""
        return self._tally().failed

    def summary(self) -> dict[str, Any]:
        """The job's summary: the counts, and the warnings when there are any."""
        return {**self.counts(), **({"warnings": self.warnings} if self.warnings else {})}

    def counts(self) -> dict[str, int]:
        return self._tally().counts

    def totals(self) -> dict[str, int]:
        """What the changes (or, in a dry run, the plans) add up to."""
        tally = self._tally()
        return {
            "files_changed": tally.counts["changed"] + tally.counts["planned"],
            "tracks_removed": tally.removed,
            "bytes_saved": tally.saved,
        }

    def kept_bytes(self) -> int:
        """Disk the kept originals and journals of this apply hold."""
        return self._tally().kept

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
