"""Schema 2's `subtitles` (SPEC 19): which kept subtitle tracks are written as sidecar files
(`extract`), and which sidecars become tracks (`embed`), and why. Pure: the file's sidecars
come in as names (without the file's `NAME.`), listed by the caller.

An extraction never overwrites a file: a name that exists (or that an earlier track of the
same plan takes) leaves its track where it is, with a note when `remove: true` asked for
it to go (without removal the note would repeat on every apply after the first). `remove: true` removes the
tracks written, in the plan's one remux; a track that cannot be written (DVB, VobSub in a
file mkvextract cannot read) is never removed. VobSub is written as two files (`.idx`
and `.sub`): both names must be free, and a VobSub sidecar is embedded only with both. A sidecar is embedded unless a kept track already is what it would become
(language, forced, SDH, codec), so a second apply plans nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vpo.media.models import Track
from vpo.media.sidecars import (
    EMBEDDED_CODECS,
    MKVEXTRACTED,
    SDH_TITLE,
    Embedding,
    Extraction,
    Sidecar,
    extension,
    halves,
    is_sdh,
    parse,
    suffix_for,
)
from vpo.policy.container import MATROSKA_FAMILY
from vpo.policy.models import Policy
from vpo.policy.plan import Action, identity, shown_index

EMBEDS_TO = (None, "matroska")  # the containers sidecars are muxed into (None: not known)


@dataclass(frozen=True)
class Extracted:
    extractions: tuple[Extraction, ...] = ()
    removed: dict[int, str] | None = None  # {index: reason} of the tracks the remux removes
    actions: tuple[Action, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Embedded:
    tracks: tuple[Track, ...] = ()  # the new tracks, numbered from `first`
    embeddings: tuple[Embedding, ...] = ()
    actions: tuple[Action, ...] = ()
    notes: tuple[str, ...] = ()


def extractions(
    kept: Sequence[Track], policy: Policy, sidecars: frozenset[str], *, container: str | None = None
) -> Extracted:
    """`kept`: the tracks that stay, as labelled; `sidecars`: the names beside the file;
    `container`: the file's (VobSub is written from Matroska only)."""
    wanted = policy.subtitles.extract
    if wanted is None:
        return Extracted()
    taken = set(sidecars)
    out: list[Extraction] = []
    actions: list[Action] = []
    notes: list[str] = []
    removed: dict[int, str] = {}
    for t in kept:
        if t.type != "subtitle":
            continue
        how = _written_as(t, tuple(wanted.formats), container)
        if isinstance(how, str):
            notes.append(how)
            continue
        suffix = suffix_for(t.language, t.forced, is_sdh(t.title), how[0])
        names = halves(suffix)
        if taken.intersection(names):
            if wanted.remove:  # without removal the track stays anyway: nothing to say
                shown = " or ".join(f"NAME.{n}" for n in names if n in taken)
                notes.append(f"subtitles.extract: {shown} exists, not overwritten; track {t.index} stays")
            continue
        taken.update(names)
        out.append(Extraction(t.index, suffix, how[1]))
        written = " + ".join(f"NAME.{n}" for n in names)
        reason = f"extract track {t.index} ({t.codec} {t.language}) to {written}: subtitles.extract"
        actions.append(Action("extract", t.index, t.codec, suffix, reason))
        if wanted.remove:
            removed[t.index] = f"extracted to {written} (subtitles.extract.remove)"
    return Extracted(tuple(out), removed, tuple(actions), tuple(notes))


def _written_as(t: Track, formats: tuple[str, ...], container: str | None) -> tuple[str, str] | str:
    """(extension, ffmpeg codec) subtitle track `t` is written with, or the note saying
    why it stays."""
    how = extension(t.codec, formats)
    if how is None:
        return f"subtitles.extract: track {t.index} ({t.codec}) cannot be written here; it stays"
    if how[0] in MKVEXTRACTED and container not in MATROSKA_FAMILY:
        return (
            f"subtitles.extract: track {t.index} ({t.codec}) is written by mkvextract, "
            f"from Matroska files only; this one is {container or 'not known'}: it stays"
        )
    return how


def embeddings(
    kept: Sequence[Track], policy: Policy, sidecars: frozenset[str], *, container: str | None, first: int
) -> Embedded:
    """The sidecars that become tracks (numbered from `first`) of the file that will be
    `container`; `kept`: the tracks that stay."""
    if not policy.subtitles.embed:
        return Embedded()
    found = sorted((s, p) for s in sidecars if (p := parse(s)) is not None)
    if not found:
        return Embedded()
    if container not in EMBEDS_TO:
        return Embedded(
            notes=(f"subtitles.embed muxes sidecars into Matroska files only; this one is {container}",)
        )
    subtitles = [t for t in kept if t.type == "subtitle"]
    tracks: list[Track] = []
    out: list[Embedding] = []
    actions: list[Action] = []
    notes: list[str] = []
    for suffix, car in found:
        if any(_is(t, car) for t in subtitles + tracks):
            continue
        missing = [n for n in halves(suffix) if n not in sidecars]
        if missing:
            notes.append(f"subtitles.embed: NAME.{suffix} has no NAME.{missing[0]} beside it; not embedded")
            continue
        index = first + len(tracks)
        codec = EMBEDDED_CODECS[car.ext]
        title = SDH_TITLE if car.sdh else None
        tracks.append(Track(index, "subtitle", codec, car.language, title, forced=car.forced))
        out.append(Embedding(index, suffix))
        reason = (
            f"embed NAME.{suffix} ({shown_index(index)}) as a {codec} {car.language} track: subtitles.embed"
        )
        to = {"codec": codec, "language": car.language, "forced": car.forced, "sdh": car.sdh, "index": index}
        actions.append(Action("embed", None, suffix, to, reason))
    return Embedded(tuple(tracks), tuple(out), tuple(actions), tuple(notes))


def _is(t: Track, car: Sidecar) -> bool:
    """Whether track `t` is what sidecar `car` would become."""
    codec = (t.codec or "").lower()
    same_codec = (
        codec == EMBEDDED_CODECS[car.ext]
        or (car.ext == "srt" and codec == "srt")
        or (car.ext == "ass" and codec == "ssa")
    )
    return (
        same_codec
        and identity(t.language) == identity(car.language)
        and t.forced == car.forced
        and is_sdh(t.title) == car.sdh
    )
