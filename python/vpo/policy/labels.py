"""Schema 2's `labels`: untagged languages, audio titles from a template, titles to clear.
Pure: tracks in, relabelled tracks and the actions (with reasons) out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from vpo.media.language_names import NAMES
from vpo.media.languages import UNDETERMINED
from vpo.media.models import Track
from vpo.policy.models import ORIGINAL, Labels
from vpo.policy.plan import Action, identity, regexes

_LAYOUTS = {1: "Mono", 2: "Stereo", 3: "2.1", 6: "5.1", 7: "6.1", 8: "7.1"}


def channel_layout(channels: int | None) -> str:
    if channels is None:
        return ""
    return _LAYOUTS.get(channels, f"{channels}ch")


def language_name(code: str) -> str:
    key = identity(code)
    return "" if key == UNDETERMINED else NAMES.get(key, code)


def relabel(
    tracks: Sequence[Track],
    labels: Labels,
    original: str | None,
    commentary: frozenset[int],
) -> tuple[list[Track], list[Action]]:
    """Each track with its planned language and title, and an action per change.
    `original`: the original language's code (None: unknown); `commentary`: indices of
    commentary tracks, whose titles are never replaced by a template."""
    if _nothing_asked(labels):
        return list(tracks), []
    clear = list(zip(labels.clear_titles_matching, regexes(tuple(labels.clear_titles_matching))))
    out: list[Track] = []
    actions: list[Action] = []
    untagged = {"audio": labels.untagged_audio, "subtitle": labels.untagged_subtitles}
    for t in tracks:
        language, title = t.language, t.title
        language_why = ""
        target = untagged.get(t.type)
        if target is not None and identity(language) == UNDETERMINED:
            code = original if target == ORIGINAL else target
            if code is not None and identity(code) != UNDETERMINED:
                key = "untagged_audio" if t.type == "audio" else "untagged_subtitles"
                shown = f"original={code}" if target == ORIGINAL else code
                language_why = f"{t.type} track {t.index} is untagged (und); labels.{key}: {shown}"
                language = code
        title_why = ""
        if title:
            hit = next((p for p, rx in clear if rx.search(title)), None)
            if hit is not None:
                title, title_why = None, f"title {t.title!r} matches {hit!r} (labels.clear_titles_matching)"
        wanted = labels.audio_titles
        retitle = wanted is not None and t.type == "audio" and t.index not in commentary
        if wanted is not None and retitle and (wanted.when == "always" or not title):
            made = render_title(wanted.template, language, t.channels, t.codec)
            if made and made != title:
                title_why = (f"{title_why}; " if title_why else "") + (
                    f"labels.audio_titles ({wanted.when}): {wanted.template!r} gives {made!r}"
                )
                title = made
        if language != t.language:
            actions.append(Action("set_language", t.index, t.language, language, language_why))
        if title != t.title:
            kind = "clear_title" if title is None else "set_title"
            actions.append(Action(kind, t.index, t.title, title, title_why))
        if (language, title) != (t.language, t.title):
            t = replace(t, language=language, title=title)
        out.append(t)
    return out, actions


def _nothing_asked(labels: Labels) -> bool:
    """No label is asked for (the default, and so every version 1 policy): nothing to look at."""
    return not (
        labels.untagged_audio
        or labels.untagged_subtitles
        or labels.audio_titles
        or labels.clear_titles_matching
    )


def render_title(template: str, language: str, channels: int | None, codec: str | None) -> str:
    text = template.format(
        language_name=language_name(language),
        language=language,
        channel_layout=channel_layout(channels),
        channels="" if channels is None else channels,
        codec=codec or "",
    )
    return " ".join(text.split())
