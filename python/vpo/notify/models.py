"""What a run tells the notifier: the command, its job, its counts, the files in error, and
whether it changed files, transcoded some, failed, or lost a watched root."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Event(str, Enum):
    """The values of `notify.on` (config/settings.py's NotifyEvent names the same)."""

    FAILED = "failed"  # the run itself failed (its job failed, nothing or part done)
    ERRORS = "errors"  # the run ended with files in error
    CHANGED = "changed"  # the run changed the catalogue or files
    TRANSCODED = "transcoded"  # the run transcoded files
    WATCH_DOWN = "watch_down"  # a watched root went away, or the watcher stopped on an error

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RunSummary:
    """One run, as the notification tells it. `counts` keep their order (the report's);
    `errors` are (path, message) pairs; `failure` is why a failed run failed; `down` marks
    a watcher's root gone away or the watcher stopped (`errors` then say which and why)."""

    command: str  # "scan", "apply", "watch", "hook", ...
    job_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    changed: bool = False
    transcoded: bool = False
    failed: bool = False
    failure: str | None = None
    down: bool = False

    def events(self) -> list[Event]:
        """What happened in this run, as `notify.on` names it."""
        happened = {
            Event.FAILED: self.failed,
            Event.ERRORS: bool(self.errors) and not self.down,
            Event.CHANGED: self.changed,
            Event.TRANSCODED: self.transcoded,
            Event.WATCH_DOWN: self.down,
        }
        return [event for event, yes in happened.items() if yes]
