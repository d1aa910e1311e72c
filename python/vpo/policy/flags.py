"""Default flags, decided on the final order (so they always agree with it) and for what
the container can store. Pure."""

from __future__ import annotations

from vpo.media.models import Track
from vpo.policy.categories import TrackClass
from vpo.policy.models import Policy

# Containers whose muxer marks the first track of a type default when none is: a plan that
# clears every default of a type could never be verified there, so it keeps the first one.
FORCES_A_DEFAULT = ("mp4", "mov")
# Containers that store a default flag per track at all. Elsewhere (avi, mpegts, ...) every
# track reads back non-default whatever is written, so no flag is planned there.
STORES_DEFAULT_FLAGS = ("matroska", "webm", "mp4", "mov")


def default_flags(
    ordered: list[Track], classes: dict[int, TrackClass], policy: Policy, container: str | None
) -> dict[int, tuple[bool, str]]:
    """{current index: (default, why)} for the tracks whose flag the plan decides, on
    `ordered` (the final order) in `container` (None: unknown)."""
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
    return flags


def _plan_defaults(
    ordered: list[Track], classes: dict[int, TrackClass], policy: Policy
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
