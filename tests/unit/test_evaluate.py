"""The evaluator: pure Track lists and a policy in, a plan out (order, flags, reasons)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from vpo.media.models import Track
from vpo.policy.categories import classify
from vpo.policy.evaluate import evaluate
from vpo.policy.models import Policy
from vpo.policy.plan import Plan


def policy(**fields: Any) -> Policy:
    return Policy(schema_version=1, **fields)


def video(i: int = 0, default: bool = True) -> Track:
    return Track(index=i, type="video", codec="h264", default=default, width=64, height=48)


def audio(i: int, lang: str, *, title: str | None = None, default: bool = False, channels: int = 2) -> Track:
    return Track(
        index=i, type="audio", codec="aac", language=lang, title=title, default=default, channels=channels
    )


def sub(i: int, lang: str, *, title: str | None = None, default: bool = False, forced: bool = False) -> Track:
    return Track(
        index=i, type="subtitle", codec="subrip", language=lang, title=title, default=default, forced=forced
    )


def attachment(i: int) -> Track:
    return Track(index=i, type="attachment", title="font.ttf")


def flags(plan: Plan) -> dict[int, bool]:
    """{new position: default} of the planned layout."""
    return {t.index: t.default for t in plan.final}


def actions(plan: Plan, kind: str) -> dict[int | None, Any]:
    return {a.track: a for a in plan.actions if a.action == kind}


# --------------------------------------------------------------------------- order


def test_preferred_audio_language_moves_first_and_becomes_the_default() -> None:
    tracks = [video(), audio(1, "jpn", default=True), audio(2, "eng")]
    plan = evaluate(tracks, policy(audio_language_preference=["eng"]))
    assert plan.order == (0, 2, 1)
    reorder = actions(plan, "reorder")[None]
    assert reorder.from_ == [0, 1, 2] and reorder.to == [0, 2, 1]
    assert "0 video, 2 audio_main, 1 audio_alternate" in reorder.reason
    assert [(t.language, t.default) for t in plan.final[1:]] == [("eng", True), ("jpn", False)]
    assert actions(plan, "set_default")[2].reason.startswith(
        "track 2 is audio_main: language eng is audio preference #1"
    )
    assert "clear_other_defaults" in actions(plan, "clear_default")[1].reason


def test_track_order_from_the_policy_is_followed() -> None:
    tracks = [video(), audio(1, "eng", default=True), sub(2, "eng"), sub(3, "eng", forced=True)]
    plan = evaluate(tracks, policy(track_order=["video", "subtitle_forced", "subtitle_main", "audio_main"]))
    assert plan.order == (0, 3, 2, 1)
    assert [plan.categories[i] for i in plan.order] == [
        "video",
        "subtitle_forced",
        "subtitle_main",
        "audio_main",
    ]


def test_categories_left_out_of_track_order_follow_in_the_default_order() -> None:
    tracks = [video(), sub(1, "eng"), audio(2, "eng", title="Commentary"), audio(3, "eng", default=True)]
    plan = evaluate(tracks, policy(track_order=["video", "audio_commentary"]))
    # audio_commentary as asked, then audio_main and subtitle_main in the built-in order
    assert plan.order == (0, 2, 3, 1)


def test_subtitles_rank_by_language_preference_within_their_category() -> None:
    tracks = [video(), audio(1, "eng", default=True), sub(2, "spa"), sub(3, "fre"), sub(4, "eng")]
    plan = evaluate(tracks, policy(subtitle_language_preference=["eng", "fr"]))
    assert plan.order == (0, 1, 4, 3, 2)


def test_matroska_attachments_stay_after_every_track_whatever_track_order_says() -> None:
    tracks = [video(), audio(1, "eng", default=True), attachment(2)]
    order = ["attachment", "video", "audio_main"]
    assert evaluate(tracks, policy(track_order=order)).order == (2, 0, 1)  # no container: as asked
    plan = evaluate(tracks, policy(track_order=order), container="matroska")
    assert plan.order == (0, 1, 2) and plan.empty


# --------------------------------------------------------------------------- commentary


@pytest.mark.parametrize("title", ["Director's Commentary", "COMMENTARY", "commentary track"])
def test_commentary_is_found_by_title_case_insensitively_and_the_reason_names_the_pattern(title: str) -> None:
    tracks = [video(), audio(1, "eng", title=title, default=True), audio(2, "eng")]
    plan = evaluate(tracks, policy(commentary_patterns=[r"comm?entary"]))
    assert plan.categories[1] == "audio_commentary"
    assert plan.order == (0, 2, 1)
    assert actions(plan, "clear_default")[1].reason.startswith(
        "track 1 is audio_commentary: title matches 'comm?entary'"
    )
    assert flags(plan) == {0: True, 1: True, 2: False}


def test_the_first_matching_pattern_is_the_one_named() -> None:
    tracks = [video(), audio(1, "eng", default=True), sub(2, "eng", title="Director's notes")]
    classes = classify(tracks, policy(commentary_patterns=["^commentary$", "director", "notes"]))
    assert classes[2].category == "subtitle_commentary"
    assert classes[2].reason == "track 2 is subtitle_commentary: title matches 'director'"


def test_without_patterns_nothing_is_commentary() -> None:
    tracks = [video(), audio(1, "eng", title="Commentary", default=True)]
    assert evaluate(tracks, policy(commentary_patterns=[])).categories[1] == "audio_main"


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize("preferred", ["fr", "fre", "fra", "FR"])
@pytest.mark.parametrize("tagged", ["fr", "fre", "fra"])
def test_two_and_three_letter_codes_are_one_language(preferred: str, tagged: str) -> None:
    tracks = [video(), audio(1, "spa", default=True), audio(2, tagged)]
    plan = evaluate(tracks, policy(audio_language_preference=[preferred]))
    assert plan.categories[2] == "audio_main"
    assert plan.order == (0, 2, 1)
    assert f"language {tagged} is audio preference #1" in actions(plan, "set_default")[2].reason


def test_every_track_of_the_main_language_is_audio_main_best_ranked_first() -> None:
    tracks = [
        video(),
        audio(1, "ger", default=True),
        audio(2, "fre", channels=2),
        audio(3, "fra", channels=6),
    ]
    plan = evaluate(tracks, policy(audio_language_preference=["fr", "de"]))
    assert [plan.categories[i] for i in (1, 2, 3)] == ["audio_alternate", "audio_main", "audio_main"]
    assert plan.order == (0, 2, 3, 1)
    assert flags(plan) == {0: True, 1: True, 2: False, 3: False}


def test_with_no_preferred_language_present_the_default_tracks_language_stays_main() -> None:
    tracks = [video(), audio(1, "ita"), audio(2, "jpn", default=True)]
    plan = evaluate(tracks, policy(audio_language_preference=["eng"]))
    assert plan.categories == {0: "video", 1: "audio_alternate", 2: "audio_main"}
    assert plan.order == (0, 2, 1)
    assert classify(tracks, policy(audio_language_preference=["eng"]))[2].reason == (
        "track 2 is audio_main: no preferred audio language present; keeps the default audio track's language jpn"
    )


# --------------------------------------------------------------------------- default flags


def test_default_flags_follow_the_final_order_not_the_current_one() -> None:
    tracks = [video(), audio(1, "eng", title="Commentary", default=True), audio(2, "eng"), audio(3, "eng")]
    plan = evaluate(tracks, policy())
    # tracks 2 and 3 are both audio_main; the first of them in the final order gets the flag
    assert plan.order == (0, 2, 3, 1)
    assert flags(plan) == {0: True, 1: True, 2: False, 3: False}
    assert set(actions(plan, "set_default")) == {2}
    assert set(actions(plan, "clear_default")) == {1}


def test_preferred_subtitle_default_skips_forced_and_unpreferred_tracks() -> None:
    tracks = [
        video(),
        audio(1, "eng", default=True),
        sub(2, "eng", forced=True, default=True),
        sub(3, "spa"),
        sub(4, "eng"),
    ]
    rules = {"set_preferred_subtitle_default": True}
    plan = evaluate(tracks, policy(subtitle_language_preference=["eng"], default_flags=rules))
    assert plan.order == (0, 1, 4, 3, 2)
    assert flags(plan) == {0: True, 1: True, 2: True, 3: False, 4: False}
    assert "preferred subtitle track is default" in actions(plan, "set_default")[4].reason


def test_no_preferred_subtitle_clears_every_subtitle_default() -> None:
    tracks = [video(), audio(1, "eng", default=True), sub(2, "spa", default=True)]
    rules = {"set_preferred_subtitle_default": True}
    plan = evaluate(tracks, policy(subtitle_language_preference=["eng"], default_flags=rules))
    assert set(actions(plan, "clear_default")) == {2}


def test_without_clear_other_defaults_other_flags_are_left_alone() -> None:
    tracks = [video(), audio(1, "jpn", default=True), audio(2, "eng")]
    rules = {"clear_other_defaults": False}
    plan = evaluate(tracks, policy(audio_language_preference=["eng"], default_flags=rules))
    assert flags(plan) == {0: True, 1: True, 2: True}
    assert not actions(plan, "clear_default")


def test_rules_turned_off_leave_flags_as_they_are() -> None:
    tracks = [video(default=False), audio(1, "jpn", default=True), audio(2, "eng")]
    rules = {"set_first_video_default": False, "set_preferred_audio_default": False}
    plan = evaluate(tracks, policy(audio_language_preference=["eng"], default_flags=rules))
    assert [a.action for a in plan.actions] == ["reorder"]
    assert flags(plan) == {0: False, 1: False, 2: True}


def test_first_video_becomes_default() -> None:
    tracks = [video(default=False), video(1, default=True), audio(2, "eng", default=True)]
    plan = evaluate(tracks, policy())
    assert set(actions(plan, "set_default")) == {0}
    assert set(actions(plan, "clear_default")) == {1}
    assert "first video track is default (set_first_video_default)" in actions(plan, "set_default")[0].reason


# --------------------------------------------------------------------------- compliance, purity


def test_a_compliant_file_gets_an_empty_plan() -> None:
    tracks = [
        video(),
        audio(1, "eng", default=True),
        audio(2, "jpn"),
        sub(3, "eng"),
        audio(4, "eng", title="Commentary"),
    ]
    plan = evaluate(tracks, policy(audio_language_preference=["eng"], subtitle_language_preference=["eng"]))
    assert plan.empty and plan.actions == ()
    assert plan.order == (0, 1, 2, 3, 4)
    assert tuple(plan.final) == tuple(tracks)


def test_applying_the_plan_gives_a_compliant_layout() -> None:
    tracks = [
        video(default=False),
        audio(1, "jpn", default=True),
        sub(2, "eng", forced=True),
        audio(3, "eng"),
        sub(4, "eng", title="Commentary"),
        audio(5, "eng", title="commentary", default=True),
    ]
    p = policy(
        audio_language_preference=["eng"],
        subtitle_language_preference=["eng"],
        default_flags={"set_preferred_subtitle_default": True},
    )
    plan = evaluate(tracks, p)
    assert not plan.empty
    again = evaluate(plan.final, p)
    assert again.empty, again.actions


def test_evaluation_is_pure() -> None:
    tracks = [video(), audio(1, "jpn", default=True), audio(2, "eng")]
    before = list(tracks)
    p = policy(audio_language_preference=["eng"])
    assert evaluate(tracks, p) == evaluate(tuple(tracks), p)
    assert tracks == before


# --------------------------------------------------------------------------- containers


def test_mp4_keeps_a_default_on_the_first_track_of_a_type_when_the_rules_clear_them_all() -> None:
    """The mp4/mov muxer marks the first track of a type default when none is: a plan that
    clears them all could never verify, so the first one in the final order keeps it."""
    tracks = [video(), audio(1, "eng", default=True), sub(2, "spa", default=True), sub(3, "fre", forced=True)]
    p = policy(
        subtitle_language_preference=["eng"],
        default_flags={"set_preferred_subtitle_default": True},
        track_order=["video", "audio_main", "subtitle_forced", "subtitle_main"],
    )
    assert flags(evaluate(tracks, p)) == {0: True, 1: True, 2: False, 3: False}  # no container: all cleared
    plan = evaluate(tracks, p, container="mp4")
    assert plan.order == (0, 1, 3, 2)
    assert flags(plan) == {0: True, 1: True, 2: True, 3: False}
    assert (
        "mp4 always marks the first subtitle track default when none is"
        in actions(plan, "set_default")[3].reason
    )
    assert set(actions(plan, "clear_default")) == {2}


def test_mp4_rule_adds_nothing_when_a_track_of_the_type_stays_default() -> None:
    tracks = [video(), audio(1, "eng", default=True), sub(2, "spa", default=True), sub(3, "eng")]
    p = policy(subtitle_language_preference=["eng"], default_flags={"set_preferred_subtitle_default": True})
    plan = evaluate(tracks, p, container="mov")
    assert flags(plan) == {0: True, 1: True, 2: True, 3: False}  # eng (moved first) default, spa cleared
    assert plan.order == (0, 1, 3, 2)


def test_containers_without_default_flags_get_no_flag_actions() -> None:
    tracks = [video(default=False), audio(1, "und"), audio(2, "und", title="Commentary")]
    assert {a.action for a in evaluate(tracks, policy()).actions} == {"set_default"}
    plan = evaluate(tracks, policy(track_order=["video", "audio_commentary", "audio_main"]), container="avi")
    assert [a.action for a in plan.actions] == ["reorder"]
    assert flags(plan) == {0: False, 1: False, 2: False}
    assert evaluate(tracks, policy(), container="avi").empty


def test_a_moved_track_keeps_every_field_it_had() -> None:
    """A video track that moves first keeps its HDR transfer (and every other field) in the
    planned layout: `plan.final` is what verification and the catalogue read next."""
    hdr = Track(
        index=1,
        type="video",
        codec="hevc",
        language="eng",
        title="Main",
        default=False,
        forced=True,
        channels=None,
        width=3840,
        height=2160,
        color_transfer="smpte2084",
    )
    plan = evaluate([audio(0, "eng", default=True), hdr], policy())
    moved = next(t for t in plan.final if t.type == "video")
    assert moved.index == 0
    unchanged = ("index", "default")
    for field in dataclasses.fields(Track):
        if field.name not in unchanged:
            assert getattr(moved, field.name) == getattr(hdr, field.name), field.name
