"""The evaluator: tracks + policy -> plan. Pure: no IO, no clock, same input same plan.

Every action carries its reason, and default flags are decided on the final order, so
they always agree with it. A file that already complies gets an empty plan.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from vpo.media.models import Track
from vpo.policy.models import CATEGORIES, Policy
from vpo.policy.plan import Action, Plan, identity, regexes

__all__ = ["Action", "Plan", "classify", "evaluate"]


@dataclass(frozen=True)
class _Class:
    category: str
    reason: str
    rank: int


def classify(tracks: list[Track] | tuple[Track, ...], policy: Policy) -> dict[int, _Class]:
    """Each track's category, with why. Keyed by the track's current index."""
    patterns = regexes(tuple(policy.commentary_patterns))
    audio_prefs = [identity(c) for c in policy.audio_language_preference]
    sub_prefs = [identity(c) for c in policy.subtitle_language_preference]
    out: dict[int, _Class] = {}

    def commentary(track: Track) -> str | None:
        for pattern, source in zip(patterns, policy.commentary_patterns):
            if track.title and pattern.search(track.title):
                return source
        return None

    def rank(track: Track, prefs: list[str]) -> int:
        lang = identity(track.language)
        return prefs.index(lang) if lang in prefs else len(prefs)

    audio = []
    for t in tracks:
        if t.type == "video":
            out[t.index] = _Class("video", f"track {t.index} is video", 0)
        elif t.type == "audio":
            hit = commentary(t)
            if hit:
                out[t.index] = _Class(
                    "audio_commentary",
                    f"track {t.index} is audio_commentary: title matches {hit!r}",
                    rank(t, audio_prefs),
                )
            else:
                audio.append(t)
        elif t.type == "subtitle":
            hit = commentary(t)
            if hit:
                out[t.index] = _Class(
                    "subtitle_commentary",
                    f"track {t.index} is subtitle_commentary: title matches {hit!r}",
                    rank(t, sub_prefs),
                )
            elif t.forced:
                out[t.index] = _Class(
                    "subtitle_forced",
                    f"track {t.index} is subtitle_forced: forced flag set",
                    rank(t, sub_prefs),
                )
            else:
                r = rank(t, sub_prefs)
                why = (
                    f"language {t.language} is subtitle preference #{r + 1}"
                    if r < len(sub_prefs)
                    else f"language {t.language} is not a preferred subtitle language"
                )
                out[t.index] = _Class("subtitle_main", f"track {t.index} is subtitle_main: {why}", r)
        else:
            out[t.index] = _Class("attachment", f"track {t.index} is {t.type}: kept with attachments", 0)
    if audio:
        best = min(audio, key=lambda t: (rank(t, audio_prefs), t.index))
        if rank(best, audio_prefs) < len(audio_prefs):
            main_lang = identity(best.language)
            main_why = f"language {best.language} is audio preference #{rank(best, audio_prefs) + 1}"
        else:
            chosen = next((t for t in audio if t.default), audio[0])
            main_lang = identity(chosen.language)
            main_why = (
                f"no preferred audio language present; keeps the "
                f"{'default' if chosen.default else 'first'} audio track's language {chosen.language}"
            )
        for t in audio:
            r = rank(t, audio_prefs)
            if identity(t.language) == main_lang:
                out[t.index] = _Class("audio_main", f"track {t.index} is audio_main: {main_why}", r)
            else:
                out[t.index] = _Class(
                    "audio_alternate",
                    f"track {t.index} is audio_alternate: language {t.language} ranks below {main_lang}",
                    r,
                )
    return out


# Containers whose muxer marks the first track of a type default when none is: a plan that
# clears every default of a type could never be verified there, so it keeps the first one.
FORCES_A_DEFAULT = ("mp4", "mov")
# Containers that store a default flag per track at all. Elsewhere (avi, mpegts, ...) every
# track reads back non-default whatever is written, so no flag is planned there.
STORES_DEFAULT_FLAGS = ("matroska", "webm", "mp4", "mov")
# Matroska keeps attachments outside the track list: they always follow every track.
ATTACHMENTS_LAST = ("matroska", "webm")


def evaluate(
    tracks: list[Track] | tuple[Track, ...],
    policy: Policy,
    *,
    container: str | None = None,
    paths: tuple[str, ...] = (),
) -> Plan:
    """`container` (the catalogue's name for it; None: unknown) adds what that container can
    store: no default flags where they cannot be kept, the mp4/mov muxer's forced default,
    Matroska attachments after every track. `paths`: the file's path under each scan root
    that holds it, for rules' `path` (schema 2, evaluate_v2)."""
    from vpo.policy.evaluate_v2 import evaluate_v2

    return evaluate_v2(tracks, policy, container=container, paths=paths)


def order_and_flags(
    tracks: list[Track] | tuple[Track, ...],
    policy: Policy,
    *,
    container: str | None = None,
    pinned: int | None = None,
) -> Plan:
    """Version 1's evaluation: order and default flags. `pinned` (schema 2): the audio track
    that stays the first audio track (it carries the file's original language)."""
    classes = classify(tracks, policy)
    order_of = _order_of(tuple(policy.track_order))
    last = container in ATTACHMENTS_LAST

    first_audio = min(
        (order_of[c.category] for c in classes.values() if c.category.startswith("audio")), default=0
    )

    def key(t: Track) -> tuple[int, int, int, int]:
        if t.index == pinned:
            return (0, first_audio, -1, t.index)
        return (
            int(last and t.type == "attachment"),
            order_of[classes[t.index].category],
            classes[t.index].rank,
            t.index,
        )

    ordered = sorted(tracks, key=key)
    actions: list[Action] = []
    current = [t.index for t in tracks]
    planned = [t.index for t in ordered]
    if planned != current:
        layout = ", ".join(f"{i} {classes[i].category}" for i in planned)
        actions.append(Action("reorder", None, current, planned, f"track_order puts them as: {layout}"))
    flags = (
        _plan_defaults(ordered, classes, policy)
        if container is None or container in STORES_DEFAULT_FLAGS
        else {}
    )
    if container in FORCES_A_DEFAULT:
        for kind in ("video", "audio", "subtitle"):
            of_kind = [t for t in ordered if t.type == kind]
            if of_kind and not any(flags.get(t.index, (t.default, ""))[0] for t in of_kind):
                first = of_kind[0]
                flags[first.index] = (
                    True,
                    f"{container} always marks the first {kind} track default when none is",
                )
    for t in ordered:
        want, why = flags.get(t.index, (t.default, ""))
        if want != t.default:
            why = f"{classes[t.index].reason}; {why}"
            actions.append(Action("set_default" if want else "clear_default", t.index, t.default, want, why))
    final = tuple(_placed(t, pos, flags.get(t.index, (t.default, ""))[0]) for pos, t in enumerate(ordered))
    return Plan(
        actions=tuple(actions),
        order=tuple(planned),
        final=final,
        categories={i: c.category for i, c in classes.items()},
    )


@functools.lru_cache(maxsize=16)
def _order_of(track_order: tuple[str, ...]) -> dict[str, int]:
    """{category: its position}: the listed ones first, the others after, built-in order."""
    return {c: i for i, c in enumerate(list(track_order) + [c for c in CATEGORIES if c not in track_order])}


def _placed(t: Track, index: int, default: bool) -> Track:
    """`t` at its planned position with its planned flag (dataclasses.replace, but ~5x
    cheaper: a library has a million tracks)."""
    if t.index == index and t.default == default:
        return t
    # Every field of Track, in order (a test holds this to dataclasses.fields(Track)).
    return Track(
        index,
        t.type,
        t.codec,
        t.language,
        t.title,
        default,
        t.forced,
        t.channels,
        t.width,
        t.height,
        t.color_transfer,
    )


def _plan_defaults(
    ordered: list[Track], classes: dict[int, _Class], policy: Policy
) -> dict[int, tuple[bool, str]]:
    """Decide default flags on the final order: {current index: (default, why)}; the reason
    of an action is the track's class reason, then `why` (put together only for actions)."""
    rules = policy.default_flags
    flags: dict[int, tuple[bool, str]] = {}

    def decide(kind: str, chosen: Track | None, why: str) -> None:
        for t in ordered:
            if t.type != kind or classes[t.index].category == "attachment":
                continue
            if chosen is not None and t.index == chosen.index:
                flags[t.index] = (True, why)
            elif rules.clear_other_defaults:
                flags[t.index] = (False, "clear_other_defaults")

    videos = [t for t in ordered if classes[t.index].category == "video"]
    if rules.set_first_video_default and videos:
        decide("video", videos[0], "first video track is default (set_first_video_default)")
    if rules.set_preferred_audio_default:
        mains = [t for t in ordered if classes[t.index].category == "audio_main"]
        audios = mains or [t for t in ordered if t.type == "audio"]
        if audios:
            decide("audio", audios[0], "preferred audio track is default (set_preferred_audio_default)")
    if rules.set_preferred_subtitle_default:
        prefs = len(policy.subtitle_language_preference)
        mains = [
            t
            for t in ordered
            if classes[t.index].category == "subtitle_main" and classes[t.index].rank < prefs
        ]
        decide(
            "subtitle",
            mains[0] if mains else None,
            "preferred subtitle track is default (set_preferred_subtitle_default)",
        )
    elif rules.clear_other_defaults:
        # No subtitle is chosen, so none stays default: "subtitles stay off unless the
        # player asks" (a forced track is shown by its forced flag, not its default flag).
        decide("subtitle", None, "no subtitle is chosen as default")
    return flags
