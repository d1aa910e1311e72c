"""Schema 2 plans on random track layouts x random policies: never without the last video
track, never under `min_tracks`, and the result of a plan plans nothing (idempotence)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from depth import examples
from vpo.media.models import Track
from vpo.policy.evaluate import evaluate
from vpo.policy.models import Policy

LANGS = ["eng", "ger", "fre", "jpn", "und", "ita", "fr"]
TITLES = [None, None, "Commentary", "Track 2", "movie.mkv", "Forced", "SDH", "English 5.1"]
CONTAINERS = ["matroska", "mp4", "avi", "webm", "mov"]


@st.composite
def layouts(draw: st.DrawFn) -> tuple[str, list[Track]]:
    container = draw(st.sampled_from(CONTAINERS))
    kinds = ["video"] * draw(st.integers(0, 2)) + ["audio"] * draw(st.integers(0, 5))
    kinds += ["subtitle"] * draw(st.integers(0, 5))
    if container == "matroska":
        kinds += ["attachment"] * draw(st.integers(0, 2))
    kinds = draw(st.permutations(kinds)) if container != "matroska" else kinds
    tracks = []
    for i, kind in enumerate(kinds):
        codec = {
            "video": "h264",
            "audio": "aac",
            "subtitle": draw(
                st.sampled_from(["mov_text"] if container in ("mp4", "mov") else ["subrip", "ass"])
            ),
            "attachment": draw(st.sampled_from(["ttf", "png", None])),
        }[kind]
        tracks.append(
            Track(
                index=i,
                type=kind,
                codec=codec,
                language=draw(st.sampled_from(LANGS)) if kind != "attachment" else "und",
                title=draw(st.sampled_from(TITLES)) if kind != "attachment" else None,
                default=draw(st.booleans()),
                forced=kind == "subtitle" and draw(st.booleans()),
                channels=draw(st.sampled_from([1, 2, 6])) if kind == "audio" else None,
                height=draw(st.sampled_from([480, 1080, 2160])) if kind == "video" else None,
            )
        )
    return container, tracks


def _languages(draw: st.DrawFn) -> list[str] | None:
    if draw(st.booleans()):
        return None
    return draw(st.lists(st.sampled_from(["original", "eng", "ger", "jpn", "und"]), max_size=3, unique=True))


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    doc: dict[str, Any] = {
        "schema_version": 2,
        "audio_language_preference": draw(
            st.lists(st.sampled_from(["eng", "jpn", "ger"]), max_size=2, unique=True)
        ),
        "subtitle_language_preference": draw(
            st.lists(st.sampled_from(["eng", "fre"]), max_size=2, unique=True)
        ),
        "default_flags": {
            "set_first_video_default": draw(st.booleans()),
            "set_preferred_audio_default": draw(st.booleans()),
            "set_preferred_subtitle_default": draw(st.booleans()),
            "clear_other_defaults": draw(st.booleans()),
        },
        "keep": {
            "audio": {
                "languages": _languages(draw),
                "commentary": draw(st.booleans()),
                "min_tracks": draw(st.integers(0, 3)),
            },
            "subtitles": {
                "languages": _languages(draw),
                "forced": draw(st.sampled_from(["all", "kept_audio", "none"])),
                "commentary": draw(st.booleans()),
            },
            "attachments": draw(st.sampled_from(["all", "fonts", "none"])),
        },
        "labels": {
            "untagged_audio": draw(st.sampled_from([None, "original", "eng"])),
            "untagged_subtitles": draw(st.sampled_from([None, "original", "jpn"])),
            "audio_titles": draw(
                st.sampled_from(
                    [
                        None,
                        {"when": "empty", "template": "{language_name} {channel_layout}"},
                        {"when": "always", "template": "{language} {channels}ch"},
                    ]
                )
            ),
            "clear_titles_matching": draw(
                st.lists(
                    st.sampled_from([r"^Track \d+$", r"\.(mkv|mp4|avi)$", "Stereo"]), max_size=2, unique=True
                )
            ),
        },
        "container": draw(st.sampled_from(["keep", "mkv"])),
        "rules": draw(
            st.sampled_from(
                [
                    [],
                    [{"when": {"path": "Anime/**"}, "set": {"original_language": "jpn"}}],
                    [{"when": {"audio": {"language": "jpn"}}, "set": {"original_language": "jpn"}}],
                ]
            )
        ),
    }
    return Policy.model_validate(doc)


PATHS = st.sampled_from([("Anime/show/e01.mkv",), ("Films/x.mkv",), ()])


@settings(max_examples=examples(400), deadline=None)
@given(layouts(), policies(), PATHS)
def test_plans_keep_a_video_track_and_min_tracks_and_are_idempotent(
    layout: tuple[str, list[Track]], policy: Policy, paths: tuple[str, ...]
) -> None:
    container, tracks = layout
    plan = evaluate(tracks, policy, container=container, paths=paths)
    if plan.rule is not None:  # a file Matroska cannot hold: nothing planned
        assert plan.empty and plan.rule[0] == "fail"
        return
    final = list(plan.final)
    videos = sum(t.type == "video" for t in tracks)
    assert sum(t.type == "video" for t in final) == videos  # video is never removed
    audio = sum(t.type == "audio" for t in tracks)
    assert sum(t.type == "audio" for t in final) >= min(audio, policy.keep.audio.min_tracks)
    assert sorted(plan.order + plan.removed) == [t.index for t in tracks]
    again = evaluate(final, policy, container=plan.container or container, paths=paths)
    assert again.empty, [a.to_dict() for a in again.actions]
