"""Schema 2's original language of a file, which `original` in `keep` and `labels` refers
to: a rule's `set: original_language`, else what Radarr or Sonarr know of the file's film
or series (`known`, read from the catalogue by the caller), else the language of the first
audio track (not a commentary) as catalogued. Pure.

The track it is read from carries it: it stays the first audio track, so the next
evaluation reads the same original language off the result and changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vpo.media.languages import UNDETERMINED
from vpo.media.models import Track
from vpo.policy.models import ORIGINAL, Policy
from vpo.policy.plan import Plan, identity, regexes
from vpo.policy.rules import Ruling


@dataclass(frozen=True)
class Original:
    code: str | None  # None: unknown
    source: str | None  # where it was read, for the output
    from_rule: bool = False
    carrier: int | None = None  # the audio track it was read from
    pinned: int | None = None  # the carrier, when the policy refers to `original`: it stays first


# (the original language the next evaluation reads off a plan's layout, the current index
# of the audio track it reads it from)
Assumed = tuple[str | None, int]

# (an ISO 639-2 code, who said so: "Radarr" or "Sonarr"): what the catalogue holds of the
# file's film or series (db/original_languages.py)
Known = tuple[str, str]


def original_language(
    tracks: Sequence[Track],
    policy: Policy,
    ruling: Ruling,
    commentary: frozenset[int],
    assumed: Assumed | None = None,
    known: Known | None = None,
) -> Original:
    """`commentary`: indices of the commentary tracks, which are never read. `assumed`: what
    the first audio track a first plan leaves says (see `evaluate`), read instead of the
    first audio track. `known`: what Radarr or Sonarr said, which no track layout changes
    (the next evaluation is given it again), so no track carries it."""
    if ruling.original is not None:
        return Original(ruling.original, ruling.source, from_rule=True)
    if not policy.reads_original_language:
        return Original(None, None)
    if known is not None:
        return Original(known[0], f"from {known[1]}")
    if assumed is not None:
        code, carrier = assumed
        pinned = carrier if policy.uses_original() else None
        if code is None:
            source = f"unknown: the first audio track that stays (track {carrier}) is untagged"
            return Original(None, source, carrier=carrier, pinned=pinned)
        source = f"the first audio track that stays (track {carrier})"
        return Original(code, source, carrier=carrier, pinned=pinned)
    first = next((t for t in tracks if t.type == "audio" and t.index not in commentary), None)
    if first is None:
        return Original(None, "unknown: no audio track")
    code = _read(first, policy)
    pinned = first.index if policy.uses_original() else None
    if identity(code) == UNDETERMINED:
        source = f"unknown: the first audio track (track {first.index}) is untagged"
        return Original(None, source, carrier=first.index, pinned=pinned)
    source = f"the first audio track (track {first.index}) as catalogued"
    return Original(code, source, carrier=first.index, pinned=pinned)


def original_after(plan: Plan, policy: Policy) -> Assumed | None:
    """What the next evaluation reads off the plan's layout: the first audio track that
    stays and is not a commentary; None when no audio track stays."""
    patterns = regexes(tuple(policy.commentary_patterns))
    for position, t in enumerate(plan.final):
        if t.type != "audio" or (t.title and any(p.search(t.title) for p in patterns)):
            continue
        code = _read(t, policy)
        return (None if identity(code) == UNDETERMINED else code), plan.order[position]
    return None


def _read(first: Track, policy: Policy) -> str:
    """The language the first audio track gives: its own, or `labels.untagged_audio`'s
    language when it is untagged."""
    untagged = policy.labels.untagged_audio
    if identity(first.language) == UNDETERMINED and untagged not in (None, ORIGINAL):
        return untagged
    return first.language


def carrier_of(labelled: Sequence[Track], code: str | None, commentary: frozenset[int]) -> int | None:
    """The audio track that carries a rule's original language: a rule's condition may rest
    on an audio track in that language, and one stays while the subtitles kept refer to
    `original`, or the next evaluation would match no rule, find another original language
    and drop the subtitles this one kept. Read off the tracks as labelled (what the next
    evaluation sees: an untagged track relabelled to the original counts), a commentary
    track only when it is the only one."""
    carriers = sorted(
        (int(t.index in commentary), t.index)
        for t in labelled
        if t.type == "audio" and identity(t.language) == identity(code)
    )
    return carriers[0][1] if carriers else None
