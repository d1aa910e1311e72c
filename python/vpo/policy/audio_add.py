"""Schema 2's `audio.add` (SPEC 19): which tracks to make from a kept track, and why. Pure.

Each entry takes its source from the kept audio tracks of its `from` language (not
commentary; most channels first, then the earlier track), unless a kept track of that
language already fits: a compatible codec (AC3 plays wherever E-AC3 is asked for) with at
most the channels asked for. A track VPO added is such a track, so it is recognised by what
it is, not by a name or tag that a retitle, another tool or a rescan could lose: a second
apply finds it fitting and adds nothing, and added tracks never pile up. An entry that
cannot add anything (no source, a source with fewer channels than asked for, a container
that is not Matroska) says why in the plan's notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vpo.media.downmix import Encoding
from vpo.media.models import Track
from vpo.policy.labels import channel_layout, relabel, render_title
from vpo.policy.models import ORIGINAL, AudioAdd, Policy
from vpo.policy.plan import ADDED_BASE, Action, identity, shown_index

COMPATIBLE = {"aac": {"aac"}, "ac3": {"ac3"}, "eac3": {"eac3", "ac3"}, "opus": {"opus"}}
ADDS_TO = (None, "matroska")  # the containers a track is added to (None: not known, in tests)


@dataclass(frozen=True)
class Additions:
    tracks: tuple[Track, ...] = ()  # the new tracks, numbered from ADDED_BASE
    encodings: tuple[Encoding, ...] = ()
    actions: tuple[Action, ...] = ()
    notes: tuple[str, ...] = ()


def additions(
    kept: Sequence[Track],
    policy: Policy,
    *,
    original: str | None,
    commentary: frozenset[int],
    container: str | None,
) -> Additions:
    """`kept`: the tracks that stay, as labelled; `container`: the one the file will be."""
    if not policy.audio.add:
        return Additions()
    if container not in ADDS_TO:
        return Additions(notes=(f"audio.add adds tracks to Matroska files only; this one is {container}",))
    present = [t for t in kept if t.type == "audio"]
    tracks: list[Track] = []
    encodings: list[Encoding] = []
    actions: list[Action] = []
    notes: list[str] = []
    for n, add in enumerate(policy.audio.add):
        made = _one(
            n, add, present + tracks, ADDED_BASE + len(tracks), _Context(policy, original, commentary)
        )
        if isinstance(made, str):
            notes.append(made)
            continue
        tracks.append(made[0])
        encodings.append(made[1])
        actions.append(made[2])
    return Additions(tuple(tracks), tuple(encodings), tuple(actions), tuple(notes))


@dataclass(frozen=True)
class _Context:
    policy: Policy
    original: str | None
    commentary: frozenset[int]


def _one(
    n: int, add: AudioAdd, audio: list[Track], index: int, ctx: _Context
) -> tuple[Track, Encoding, Action] | str:
    """What entry `n` adds (numbered `index`), or the note saying why it adds nothing."""
    original = ctx.original
    key = f"audio.add[{n}] ({add.codec} {channel_layout(add.channels)})"
    language = original if add.from_.language == ORIGINAL else add.from_.language
    if language is None:
        return f"{key} adds nothing: the original language is not known"
    same = [t for t in audio if identity(t.language) == identity(language)]
    fits = next((t for t in same if _fits(t, add)), None)
    if fits is not None:
        return f"{key} adds nothing: track {_shown(fits)} already fits (when: missing)"
    sources = sorted(
        (t for t in same if t.index not in ctx.commentary and t.index < ADDED_BASE),
        key=lambda t: (-(t.channels or 0), t.index),
    )
    if not sources:
        return f"{key} adds nothing: no kept {language} audio track to make it from"
    source = sources[0]
    if (source.channels or 0) < add.channels:
        return (
            f"{key} adds nothing: its source, track {_shown(source)}, has fewer than "
            f"{add.channels} channels (an added track never has more channels than its source)"
        )
    title = _title(add, source, ctx.policy, original)
    track = Track(index, "audio", add.codec, source.language, title, channels=add.channels)
    encoding = Encoding(
        index, source.index, source.channels or 0, add.codec, add.channels, add.bitrate, add.downmix
    )
    codecs = "/".join(sorted(COMPATIBLE[add.codec]))
    reason = (
        f"add {add.codec} {channel_layout(add.channels)} {source.language} {title!r} "
        f"({shown_index(index)}) from track "
        f"{_shown(source)}, {add.downmix} downmix: {key}: no kept {language} track is {codecs} "
        f"with at most {add.channels} channels"
    )
    to = {"codec": add.codec, "channels": add.channels, "language": source.language, "title": title,
          "downmix": add.downmix, "bitrate": encoding.to_dict()["bitrate"], "index": index}  # fmt: skip
    return track, encoding, Action("add", source.index, _shown(source), to, reason)


def _fits(t: Track, add: AudioAdd) -> bool:
    return (t.codec or "").lower() in COMPATIBLE[add.codec] and (t.channels or 0) <= add.channels


def _shown(t: Track) -> str:
    return f"{t.index} ({t.codec or '?'} {channel_layout(t.channels) or '?'})"


def _title(add: AudioAdd, source: Track, policy: Policy, original: str | None) -> str | None:
    """The template's title, then `labels` as they would treat it on the next apply (a
    title template `always`, titles to clear), so that apply finds nothing to change."""
    made = render_title(add.title, source.language, add.channels, add.codec) or None
    track = Track(0, "audio", add.codec, source.language, made, channels=add.channels)
    relabelled, _ = relabel([track], policy.labels, original, frozenset())
    return relabelled[0].title
