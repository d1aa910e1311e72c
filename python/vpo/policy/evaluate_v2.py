"""Schema 2's evaluation (SPEC 13), pure: tracks + policy + the file's path and container
give a plan. Order: rules (skip/fail stop there, `set` applies), labels, keep, the
container, then order and default flags (version 1's, on the tracks that stay)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from vpo.media.languages import UNDETERMINED
from vpo.media.models import Track
from vpo.policy import keep as keep_stage
from vpo.policy.conditions import FileFacts, matches
from vpo.policy.evaluate import order_and_flags
from vpo.policy.labels import relabel
from vpo.policy.models_v2 import ORIGINAL, PolicyV2
from vpo.policy.plan import Action, Plan, identity, regexes

MATROSKA_FAMILY = ("matroska", "webm")
# What Matroska holds as it is, by codec (as the catalogue names it). A text subtitle it
# cannot hold as it is (MP4's mov_text) becomes SRT; anything else not listed fails the file.
_MATROSKA_CODECS = {
    "video": {
        "h264", "hevc", "av1", "vp8", "vp9", "mpeg1video", "mpeg2video", "mpeg4", "msmpeg4v3",
        "theora", "vc1", "prores", "mjpeg", "ffv1", "dirac", "wmv3",
    },
    "audio": {
        "aac", "ac3", "eac3", "dts", "truehd", "mp3", "mp2", "mp1", "flac", "opus", "vorbis",
        "alac", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_u8", "pcm_s16be",
        "pcm_s24be", "pcm_s32be", "wmav2", "ra_144", "cook",
    },
    "subtitle": {"subrip", "srt", "ass", "ssa", "webvtt", "hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle"},
}  # fmt: skip
CONVERTED_CODECS = {"mov_text": "subrip"}


def evaluate_v2(
    tracks: Sequence[Track], policy: PolicyV2, *, container: str | None, paths: tuple[str, ...] = ()
) -> Plan:
    """The plan; when the original language was read off the first audio track and the
    plan leaves another first audio track (the untagged one removed, say), the plan is made
    again with what the next evaluation will read there, so that a second apply plans
    nothing (at most twice more: each pass can only keep a track the last one kept)."""
    plan = _evaluate(tracks, policy, container=container, paths=paths, assumed=None)
    for _ in range(2):
        if plan.original_source is None or plan.original_source.startswith("rule "):
            break
        after = _original_after(plan, policy)
        if after is None or identity(after[0] or UNDETERMINED) == identity(
            plan.original_language or UNDETERMINED
        ):
            break
        plan = _evaluate(tracks, policy, container=container, paths=paths, assumed=after)
    return plan


def _original_after(plan: Plan, policy: PolicyV2) -> tuple[str | None, int] | None:
    """(the original language the next evaluation reads off the planned layout, the
    current index of the track it reads it from); None when no audio track stays."""
    patterns = regexes(tuple(policy.commentary_patterns))
    for position, t in enumerate(plan.final):
        if t.type != "audio" or (t.title and any(p.search(t.title) for p in patterns)):
            continue
        code = t.language
        untagged = policy.labels.untagged_audio
        if identity(code) == UNDETERMINED and untagged not in (None, ORIGINAL):
            code = untagged
        return (None if identity(code) == UNDETERMINED else code), plan.order[position]
    return None


def _evaluate(
    tracks: Sequence[Track],
    policy: PolicyV2,
    *,
    container: str | None,
    paths: tuple[str, ...],
    assumed: tuple[str | None, int] | None,
) -> Plan:
    patterns = regexes(tuple(policy.commentary_patterns))

    def commentary_of(ts: Sequence[Track]) -> frozenset[int]:
        return frozenset(
            t.index
            for t in ts
            if t.type in ("audio", "subtitle") and t.title and any(p.search(t.title) for p in patterns)
        )

    # 1. rules
    original, source = None, None
    facts = FileFacts(tracks, container, paths, commentary_of(tracks), None)
    warnings: list[str] = []
    stop: tuple[str, str] | None = None
    for number, rule in enumerate(policy.rules, 1):
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
            stop = (rule.action, f"rule {number}: {rule.reason}")
            break

    # the original language: a rule's set, else the first audio track's, as catalogued
    pinned = carrier = None
    from_rule = original is not None
    if not from_rule and assumed is not None:
        # the first audio track the plan leaves (see evaluate_v2)
        original, carrier = assumed
        source = (
            f"the first audio track that stays (track {carrier})"
            if original is not None
            else f"unknown: the first audio track that stays (track {carrier}) is untagged"
        )
        pinned = carrier if policy.uses_original() else None
    elif not from_rule:
        first = next((t for t in tracks if t.type == "audio" and t.index not in facts.commentary), None)
        if first is None:
            source = "unknown: no audio track"
        else:
            code = first.language
            untagged = policy.labels.untagged_audio
            if identity(code) == UNDETERMINED and untagged not in (None, ORIGINAL):
                code = untagged
            if identity(code) == UNDETERMINED:
                source = f"unknown: the first audio track (track {first.index}) is untagged"
            else:
                original, source = code, f"the first audio track (track {first.index}) as catalogued"
            # it stays the first audio track, so the next evaluation reads the same original
            carrier = first.index
            pinned = carrier if policy.uses_original() else None
    if stop is not None:
        return _stopped(tracks, stop, original, source, warnings)

    # 2. labels
    labelled, label_actions = relabel(tracks, policy.labels, original, facts.commentary)
    commentary = commentary_of(labelled)
    if from_rule:
        # a rule's condition may rest on an audio track in that language: one stays while
        # the subtitles kept refer to `original`, or the next evaluation would match no
        # rule, find another original language and drop the subtitles this one kept. Read
        # off the tracks as labelled (what the next evaluation sees: an untagged track
        # relabelled to the original counts), a commentary track only when it is the only one
        carriers = sorted(
            (int(t.index in commentary), t.index)
            for t in labelled
            if t.type == "audio" and identity(t.language) == identity(original)
        )
        carrier = carriers[0][1] if carriers else None

    # 3. keep
    kept = keep_stage.choose(labelled, policy, original=original, commentary=commentary, carrier=carrier)
    remaining = [t for t in labelled if t.index not in kept.removed]
    actions = [
        Action("remove", t.index, _describe(t), None, f"remove track {t.index}: {kept.removed[t.index]}")
        for t in tracks
        if t.index in kept.removed
    ]
    actions += [a for a in label_actions if a.track not in kept.removed]

    # 4. the container
    target = None
    if policy.container == "mkv" and container is not None and container not in MATROSKA_FAMILY:
        target = "matroska"
        problem = next((_unholdable(t) for t in remaining if _unholdable(t)), None)
        if problem:
            return _stopped(tracks, ("fail", problem), original, source, warnings)
        converted = [t for t in remaining if t.codec in CONVERTED_CODECS]
        extra = f"; {len(converted)} mov_text subtitle track(s) become SRT" if converted else ""
        actions.insert(
            0,
            Action(
                "container",
                None,
                container,
                target,
                f"container: mkv makes {container} Matroska (.mkv){extra}",
            ),
        )
        remaining = [replace(t, codec=CONVERTED_CODECS.get(t.codec or "", t.codec)) for t in remaining]

    # 5. order and default flags, on what stays, for the container it will be
    if pinned is not None and pinned in kept.removed:
        pinned = None
    ordered = order_and_flags(remaining, policy, container=target or container, pinned=pinned)
    return Plan(
        actions=tuple(actions) + ordered.actions,
        order=ordered.order,
        final=ordered.final,
        categories=ordered.categories,
        removed=tuple(sorted(kept.removed)),
        container=target,
        original_language=original,
        original_source=source,
        warnings=tuple(warnings),
        notes=kept.notes,
    )


def _unholdable(t: Track) -> str | None:
    if t.type == "attachment":
        return None
    codec = (t.codec or "").lower()
    if codec in CONVERTED_CODECS or codec in _MATROSKA_CODECS.get(t.type, ()):
        return None
    return f"track {t.index} ({t.type} {t.codec or 'of unknown codec'}) cannot be stored in Matroska"


def _describe(t: Track) -> str:
    parts = [t.type, t.codec or "?", t.language]
    if t.title:
        parts.append(repr(t.title))
    return " ".join(parts)


def _stopped(
    tracks: Sequence[Track],
    stop: tuple[str, str],
    original: str | None,
    source: str | None,
    warnings: list[str],
) -> Plan:
    return Plan(
        actions=(),
        order=tuple(t.index for t in tracks),
        final=tuple(tracks),
        categories={},
        original_language=original,
        original_source=source,
        rule=stop,
        warnings=tuple(warnings),
    )
