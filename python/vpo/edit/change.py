"""What to make of one file, in the terms the tools take, and what was made: the executor's
input and output, and the check of a result against the change (for the executor and
convert.py alike)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vpo.edit.fileops import ApplyFailed
from vpo.edit.journal import Journal
from vpo.media.downmix import Encoding
from vpo.media.models import ProbeResult, Track
from vpo.media.probe import ProberConfig, probe_file
from vpo.media.sidecars import Embedding, Extraction

# (the tracks planned, the file's duration before, the result probed) -> None, or what is wrong
Verifier = Callable[[Sequence[Track], float | None, ProbeResult], str | None]


@dataclass(frozen=True)
class Change:
    """One file's plan as the tools carry it out (built by the caller from its plan)."""

    order: tuple[int, ...]  # current indices of the tracks kept, in their new order
    final: tuple[Track, ...]  # the result's tracks: new positions, planned labels and flags
    container: str | None  # the container the file becomes (None: it stays as it is)
    rewrites: bool  # a new file (a remux) is needed, not an in-place edit of the headers
    edits: dict[int, list[tuple[str, str | None]]]  # an in-place edit's: {current index: [(property, value)]}
    verify: Verifier  # whether a result is what `final` says
    added: tuple[Encoding, ...] = ()  # audio tracks ffmpeg makes, muxed in by the one remux
    extracted: tuple[Extraction, ...] = ()  # subtitle sidecars ffmpeg writes first
    embedded: tuple[Embedding, ...] = ()  # sidecars the one remux muxes in


@dataclass(frozen=True)
class Target:
    """The file a change is carried out on, as its plan was made for it."""

    path: bytes
    container: str
    current: list[Track]  # its tracks, by current index
    duration: float | None
    expected: tuple[int, int] | None = None  # (size, mtime_ns): a file changed since fails
    in_place: bool = True  # False: its headers cannot be edited in place, it is remuxed


@dataclass(frozen=True)
class Applied:
    result: ProbeResult
    method: str
    backup: bytes | None  # the kept original of a remux
    journal: Journal | None = None  # an in-place edit's, still pending: see executor.finish_journal
    path: bytes | None = None  # the file's new name, when a container change renamed it
    commands: tuple[str, ...] = ()  # the tools run, in order (the job's row records them)
    sidecars: tuple[bytes, ...] = ()  # the subtitle sidecars written (undo deletes them)
    embedded: tuple[tuple[bytes, bytes | None], ...] = ()  # (sidecar muxed in, kept as; None: removed)


def verified(path: bytes, change: Change, duration: float | None, prober: ProberConfig) -> ProbeResult:
    """`path` probed and checked against the change (ApplyFailed when it does not match)."""
    try:
        result = probe_file(path, prober)
    except ValueError as exc:
        raise ApplyFailed(f"verification failed: cannot read the result ({exc})") from None
    problem = change.verify(change.final, duration, result)
    if problem:
        raise ApplyFailed(f"verification failed: {problem}")
    return result
