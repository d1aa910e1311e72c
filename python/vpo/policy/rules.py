"""Schema 2's rules: their `when` conditions, matched against one file's catalogued facts,
and what the rules decide for the file (the original language, a warning, skip or fail).
Pure."""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from vpo.media.models import Track
from vpo.policy.models import ORIGINAL, Rule, TrackCondition, When, parse_comparison
from vpo.policy.plan import identity

_OPS: dict[str, Callable[[int, int], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
# Condition key -> the catalogue's track type.
_TYPES = {"video": "video", "audio": "audio", "subtitle": "subtitle"}
# What people write for a container -> the catalogue's name for it.
_CONTAINER_NAMES = {"mkv": "matroska", "m4v": "mp4", "mpegts": "mpegts", "ts": "mpegts"}


@dataclass(frozen=True)
class FileFacts:
    tracks: Sequence[Track]
    container: str | None
    paths: tuple[str, ...]  # the file's path under each scan root that holds it
    commentary: frozenset[int]  # indices of commentary tracks (commentary_patterns)
    original: str | None  # the original language known so far (a rule's set), as an identity


@dataclass(frozen=True)
class Ruling:
    """What the rules decided for one file."""

    facts: FileFacts  # with the original language a rule set
    original: str | None  # a rule's `set: original_language` (None: no rule set one)
    source: str | None  # which rule set it
    warnings: tuple[str, ...]
    stop: tuple[str, str] | None  # (skip | fail, reason): a rule stopped the evaluation


def rule_on(rules: Sequence[Rule], facts: FileFacts) -> Ruling:
    """The rules in order, each kind of decision taken by the first rule that matches: a
    `set` of the original language, a warning; `skip` and `fail` stop there."""
    original, source = None, None
    warnings: list[str] = []
    for number, rule in enumerate(rules, 1):
        if (
            (rule.set_ is None or original is not None)
            and rule.action in (None, "warn")
            and (rule.action is None or warnings)
        ):
            continue  # first match per action kind: nothing left for this rule to decide
        if not matches(rule.when, facts):
            continue
        if rule.set_ is not None and original is None:
            original = rule.set_.original_language
            source = f"rule {number} (set: original_language)"
            facts = replace(facts, original=identity(original))
        if rule.action == "warn" and not warnings:
            warnings.append(f"rule {number}: {rule.reason}")
        elif rule.action in ("skip", "fail"):
            return Ruling(
                facts, original, source, tuple(warnings), (rule.action, f"rule {number}: {rule.reason}")
            )
    return Ruling(facts, original, source, tuple(warnings), None)


def matches(when: When, facts: FileFacts) -> bool:
    """Every condition given holds (an empty `when` always does)."""
    if when.path is not None and not any(glob(when.path).fullmatch(p) for p in facts.paths):
        return False
    if when.container is not None:
        wanted = [when.container] if isinstance(when.container, str) else when.container
        names = {_CONTAINER_NAMES.get(c.lower(), c.lower()) for c in wanted}
        if (facts.container or "") not in names:
            return False
    for key, kind in _TYPES.items():
        condition = getattr(when, key)
        if condition is not None and not _tracks_match(condition, kind, facts):
            return False
    if when.all is not None and not all(matches(w, facts) for w in when.all):
        return False
    if when.any is not None and not any(matches(w, facts) for w in when.any):
        return False
    return not (when.not_ is not None and matches(when.not_, facts))


def compare(text: int | str, value: int | None) -> bool:
    if value is None:
        return False
    op, number = parse_comparison(str(text))
    return _OPS[op](value, number)


def _tracks_match(condition: TrackCondition, kind: str, facts: FileFacts) -> bool:
    count = sum(1 for t in facts.tracks if t.type == kind and _track_matches(condition, t, facts))
    return compare(condition.count, count) if condition.count is not None else count > 0


def _track_matches(c: TrackCondition, t: Track, facts: FileFacts) -> bool:
    if c.codec is not None:
        codecs = [c.codec] if isinstance(c.codec, str) else c.codec
        if (t.codec or "").lower() not in {x.lower() for x in codecs}:
            return False
    if c.language is not None:
        languages = [c.language] if isinstance(c.language, str) else c.language
        wanted = {facts.original if x == ORIGINAL else identity(x) for x in languages}
        if identity(t.language) not in wanted:
            return False
    if c.channels is not None and not compare(c.channels, t.channels):
        return False
    if c.height is not None and not compare(c.height, t.height):
        return False
    if c.commentary is not None and (t.index in facts.commentary) != c.commentary:
        return False
    return c.forced is None or t.forced == c.forced


@functools.lru_cache(maxsize=256)
def glob(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex: `**` any number of folders, `*` and `?` within one name,
    `[...]` a character class. Matched against the whole path under the scan root."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end + 1
                continue
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL)
