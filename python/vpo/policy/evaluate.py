"""The evaluator, the one entry point: tracks + policy (+ the file's container and paths)
-> plan. Pure: no IO, no clock, same input same plan.

In stages (SPEC 13, 18, 19): the rules (skip and fail stop there, `set` names the original
language), the original language (a rule's, else Radarr's or Sonarr's, else the first audio
track's), labels, what to keep, the container, the audio tracks to add, the subtitle
sidecars to write and to embed, then version 1's
order and default flags on the tracks that stay and those added. A version 1 policy has no
rules, labels, additions, removals or container: for it the last stage is the whole plan."""

from __future__ import annotations

from collections.abc import Sequence

from vpo.media.languages import UNDETERMINED
from vpo.media.models import Track
from vpo.policy.audio_add import additions
from vpo.policy.container import conversion
from vpo.policy.keep import Kept, choose
from vpo.policy.labels import relabel
from vpo.policy.models import Policy
from vpo.policy.order import order_and_flags
from vpo.policy.original import Assumed, Known, Original, carrier_of, original_after, original_language
from vpo.policy.plan import ADDED_BASE, Action, Plan, identity, regexes
from vpo.policy.rules import FileFacts, rule_on
from vpo.policy.subtitle_files import embeddings, extractions


def evaluate(
    tracks: Sequence[Track],
    policy: Policy,
    *,
    container: str | None = None,
    paths: tuple[str, ...] = (),
    known_original: Known | None = None,
    sidecars: frozenset[str] = frozenset(),
) -> Plan:
    """`sidecars`: the names beside the file that start with its `NAME.`, without it
    (`eng.srt`), for `subtitles`. `container` (the catalogue's name for it; None: unknown) adds what that container can
    store: no default flags where they cannot be kept, the mp4/mov muxer's forced default,
    Matroska attachments after every track. `paths`: the file's path under each scan root
    that holds it, for rules' `path`. `known_original`: (code, "Radarr" or "Sonarr"), what
    they know of the file's film or series, the original language unless a rule sets one.

    When the original language was read off the first audio track and the plan leaves
    another first audio track (the untagged one removed, say), the plan is made again with
    what the next evaluation will read there, so that a second apply plans nothing (at most
    twice more: each pass can only keep a track the last one kept)."""
    plan = _evaluate(tracks, policy, container, paths, None, known_original, sidecars)
    for _ in range(2):
        if not _read_off_tracks(plan, known_original):
            break
        after = original_after(plan, policy)
        if after is None or _same(after[0], plan.original_language):
            break
        plan = _evaluate(tracks, policy, container, paths, after, known_original, sidecars)
    return plan


def _read_off_tracks(plan: Plan, known: Known | None) -> bool:
    """Whether the plan's original language was read off a track (which a plan may move),
    not given by a rule or by Radarr or Sonarr."""
    source = plan.original_source
    return source is not None and not source.startswith("rule ") and known is None


def _same(one: str | None, other: str | None) -> bool:
    return identity(one or UNDETERMINED) == identity(other or UNDETERMINED)


def _evaluate(
    tracks: Sequence[Track],
    policy: Policy,
    container: str | None,
    paths: tuple[str, ...],
    assumed: Assumed | None,
    known: Known | None,
    sidecars: frozenset[str],
) -> Plan:
    commented = commentary(tracks, tuple(policy.commentary_patterns))
    ruling = rule_on(policy.rules, FileFacts(tracks, container, paths, commented, None))
    original = original_language(tracks, policy, ruling, commented, assumed, known)
    if ruling.stop is not None:
        return _stopped(tracks, ruling.stop, original, ruling.warnings)
    labelled, label_actions, kept = _labelled_and_kept(tracks, policy, original, commented)
    remaining = [t for t in labelled if t.index not in kept.removed]
    extracted = extractions(remaining, policy, sidecars, container=container)
    if extracted.removed:
        remaining = [t for t in remaining if t.index not in extracted.removed]
    removed = {**kept.removed, **(extracted.removed or {})}
    converted = conversion(remaining, policy.container, container)
    if converted.problem is not None:
        return _stopped(tracks, ("fail", converted.problem), original, ruling.warnings)
    pinned = original.pinned if original.pinned not in kept.removed else None
    target = converted.target or container
    added = additions(
        converted.tracks, policy, original=original.code, commentary=commented, container=target
    )
    embedded = embeddings(
        converted.tracks, policy, sidecars, container=target, first=ADDED_BASE + len(added.tracks)
    )
    new = [*added.tracks, *embedded.tracks]
    ordered = order_and_flags([*converted.tracks, *new], policy, container=target, pinned=pinned)
    return Plan(
        actions=(
            *([converted.action] if converted.action else []),
            *extracted.actions,
            *_removals(tracks, removed),
            *label_actions,
            *added.actions,
            *embedded.actions,
            *ordered.actions,
        ),
        order=ordered.order,
        final=ordered.final,
        categories=ordered.categories,
        removed=tuple(sorted(removed)),
        container=converted.target,
        original_language=original.code,
        original_source=original.source,
        warnings=ruling.warnings,
        notes=kept.notes + extracted.notes + added.notes + embedded.notes,
        added=added.encodings,
        extracted=extracted.extractions,
        embedded=embedded.embeddings,
    )


def _labelled_and_kept(
    tracks: Sequence[Track], policy: Policy, original: Original, commented: frozenset[int]
) -> tuple[list[Track], list[Action], Kept]:
    """Labels first (what stays is decided on the languages as labelled), then what stays;
    the label actions of the tracks that stay. `commented`: the commentary tracks."""
    labelled, label_actions = relabel(tracks, policy.labels, original.code, commented)
    if label_actions:  # a title may have changed, and with it what is commentary
        commented = commentary(labelled, tuple(policy.commentary_patterns))
    carrier = original.carrier
    if original.from_rule and original.code is not None:
        carrier = carrier_of(labelled, original.code, commented)
    kept = choose(labelled, policy, original=original.code, commentary=commented, carrier=carrier)
    return labelled, [a for a in label_actions if a.track not in kept.removed], kept


def commentary(tracks: Sequence[Track], patterns: tuple[str, ...]) -> frozenset[int]:
    """Indices of the audio and subtitle tracks whose title matches a commentary pattern."""
    compiled = regexes(patterns)
    return frozenset(
        t.index
        for t in tracks
        if t.type in ("audio", "subtitle") and t.title and any(p.search(t.title) for p in compiled)
    )


def _removals(tracks: Sequence[Track], removed: dict[int, str]) -> list[Action]:
    return [
        Action("remove", t.index, _describe(t), None, f"remove track {t.index}: {removed[t.index]}")
        for t in tracks
        if t.index in removed
    ]


def _describe(t: Track) -> str:
    parts = [t.type, t.codec or "?", t.language]
    if t.title:
        parts.append(repr(t.title))
    return " ".join(parts)


def _stopped(
    tracks: Sequence[Track], stop: tuple[str, str], original: Original, warnings: tuple[str, ...]
) -> Plan:
    """A rule's skip or fail, or a file the container cannot hold: nothing changes."""
    return Plan(
        actions=(),
        order=tuple(t.index for t in tracks),
        final=tuple(tracks),
        categories={},
        original_language=original.code,
        original_source=original.source,
        rule=stop,
        warnings=warnings,
    )
