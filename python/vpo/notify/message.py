"""One notification's text for one run: a title, the counts, up to MAX_FILES files in error
with their messages, and the job id. Every value from outside (a file name, an error) is
escaped onto one line and cut to MAX_VALUE characters; the whole text is scrubbed of
secrets (a URL or password quoted by an error), as a log line would be."""

from __future__ import annotations

from dataclasses import dataclass

from vpo.escape import escape
from vpo.notify.models import Event, RunSummary
from vpo.redact import scrub

MAX_FILES = 10  # files in error listed by name; the rest are counted
MAX_VALUE = 300  # characters of one path or message


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def compose(run: RunSummary, *, host: str) -> Message:
    title = f"VPO {run.command} on {host}: {_headline(run)}"
    lines = []
    if run.failure:
        lines.append(f"Failed: {_value(run.failure)}")
    counted = _counts(run.counts)
    if counted:
        lines.append(counted)
    if run.errors:
        lines.append("Watched roots down:" if run.down else "Files in error:")
        lines += [f"- {_value(path)}: {_value(message)}" for path, message in run.errors[:MAX_FILES]]
        if len(run.errors) > MAX_FILES:
            lines.append(f"... and {len(run.errors) - MAX_FILES} more")
    if run.job_id:
        lines.append(f"Job {run.job_id} (vpo jobs show {run.job_id[:8]})")
    return Message(scrub(_value(title)), scrub("\n".join(lines)))


def _headline(run: RunSummary) -> str:
    events = run.events()
    if Event.WATCH_DOWN in events:
        return (
            "a watched root is down" if len(run.errors) <= 1 else f"{len(run.errors)} watched roots are down"
        )
    if Event.FAILED in events:
        return "failed"
    if Event.ERRORS in events:
        return f"{len(run.errors)} file(s) in error"
    if Event.TRANSCODED in events:
        return "files transcoded"
    if Event.CHANGED in events:
        return "files changed"
    return "done"


def _counts(counts: dict[str, int]) -> str:
    done = [f"{escape(str(name)).replace('_', ' ')} {number:,}" for name, number in counts.items() if number]
    return ", ".join(done)


def _value(text: str) -> str:
    shown = escape(text)
    return shown if len(shown) <= MAX_VALUE else shown[: MAX_VALUE - 3] + "..."
