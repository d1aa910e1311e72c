"""What an evaluation returns: a plan of actions, each with its reason. Pure data."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from vpo.media.downmix import Encoding
from vpo.media.languages import identity as _identity
from vpo.media.models import Track
from vpo.media.sidecars import Embedding, Extraction

# What each action does, grouped as the JSON's `kind` (SPEC 10 keys stay as they were).
KINDS = {
    "reorder": "order",
    "set_default": "flags",
    "clear_default": "flags",
    "remove": "removed",
    "set_language": "labels",
    "set_title": "labels",
    "clear_title": "labels",
    "container": "container",
    "add": "added",
    "extract": "extracted",
    "embed": "embedded",
}


ADDED_BASE = 1000  # tracks a plan adds (audio.add, subtitles.embed) are numbered from here


def shown_index(index: int) -> str:
    """A track's number in a plan as a person reads it: a track the plan adds has no number
    in the file yet, and is `new1`, `new2`, ... (its number in `order` is ADDED_BASE + n)."""
    return str(index) if index < ADDED_BASE else f"new{index - ADDED_BASE + 1}"


@dataclass(frozen=True)
class Action:
    action: str  # one of KINDS
    track: int | None  # the track's index in the file as it is now (None: the whole file)
    from_: Any
    to: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "kind": KINDS.get(self.action, self.action),
            "track": self.track,
            "from": self.from_,
            "to": self.to,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    order: tuple[int, ...]  # current indices of the tracks kept, in their planned order
    final: tuple[Track, ...]  # the planned layout: index = new position, planned labels and flags
    categories: dict[int, str]
    removed: tuple[int, ...] = ()  # current indices of the tracks removed
    container: str | None = None  # the container the file becomes (None: it stays as it is)
    original_language: str | None = None  # schema 2: the original language used, and where from
    original_source: str | None = None
    rule: tuple[str, str] | None = None  # (skip | fail, reason): a rule stopped the evaluation
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())  # what the plan keeps on purpose, and why
    added: tuple[Encoding, ...] = ()  # audio tracks to make (their indices are in `order`)
    extracted: tuple[Extraction, ...] = ()  # subtitle tracks written as sidecars first
    embedded: tuple[Embedding, ...] = ()  # sidecars muxed in (their indices are in `order`)

    @property
    def empty(self) -> bool:
        return not self.actions

    @property
    def reorders(self) -> bool:
        return any(a.action == "reorder" for a in self.actions)

    @property
    def rewrites(self) -> bool:
        """Whether carrying it out needs a new file (a remux), not an in-place edit."""
        return (
            self.reorders
            or bool(self.removed)
            or self.container is not None
            or bool(self.added)
            or bool(self.embedded)
        )


@functools.lru_cache(maxsize=64)
def regexes(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """A policy's patterns compiled once (case-insensitive), not once per file."""
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


# Language identity, remembered: a library has few languages and a million tracks.
identity = functools.lru_cache(maxsize=4096)(_identity)
