"""Version 1's evaluation, which schema 2 ends with on the tracks that stay: the order of
the tracks (by category, then language preference) and their default flags. Pure: no IO,
no clock, same input same plan.

Every action carries its reason, and default flags are decided on the final order, so
they always agree with it. A file that already complies gets an empty plan.
"""

from __future__ import annotations

import functools

from vpo.media.models import Track
from vpo.policy.categories import classify
from vpo.policy.flags import default_flags
from vpo.policy.models import CATEGORIES, Policy
from vpo.policy.plan import Action, Plan, shown_index

# Matroska keeps attachments outside the track list: they always follow every track.
ATTACHMENTS_LAST = ("matroska", "webm")


def order_and_flags(
    tracks: list[Track] | tuple[Track, ...],
    policy: Policy,
    *,
    container: str | None = None,
    pinned: int | None = None,
) -> Plan:
    """Order and default flags. `container` (the catalogue's name for it; None: unknown)
    adds what that container can store (flags.py) and Matroska's attachments after every
    track. `pinned` (schema 2): the audio track that stays the first audio track (it
    carries the file's original language)."""
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
        layout = ", ".join(f"{shown_index(i)} {classes[i].category}" for i in planned)
        actions.append(Action("reorder", None, current, planned, f"track_order puts them as: {layout}"))
    flags = default_flags(ordered, classes, policy, container)
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
