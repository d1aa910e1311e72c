"""Schema 2's evaluation, pure: rules, labels, keep, the container; and version 1 examples
plan exactly as before (a schema 2 file with no new keys plans as version 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vpo.media.models import Track
from vpo.policy.evaluate import evaluate
from vpo.policy.loader import load_policy
from vpo.policy.models import Policy
from vpo.policy.order import order_and_flags
from vpo.policy.rules import glob

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"


def v2(**fields: Any) -> Policy:
    return Policy.model_validate({"schema_version": 2, **fields})


def a(i: int, lang: str, title: str | None = None, *, default: bool = False, channels: int = 2) -> Track:
    return Track(i, "audio", "aac", lang, title, default, channels=channels)


def s(
    i: int,
    lang: str,
    title: str | None = None,
    *,
    forced: bool = False,
    codec: str = "subrip",
    default: bool = False,
) -> Track:
    return Track(i, "subtitle", codec, lang, title, default, forced)


V = Track(0, "video", "h264", default=True, height=1080)


def removed(plan: Any) -> dict[int, str]:
    return {x.track: x.reason for x in plan.actions if x.action == "remove"}


def test_rules_set_the_original_language_by_path_and_the_plan_says_so() -> None:
    policy = v2(
        keep={"audio": {"languages": ["original"]}},
        rules=[{"when": {"path": "Anime/**"}, "set": {"original_language": "jpn"}}],
    )
    tracks = [V, a(1, "eng", default=True), a(2, "jpn")]
    plan = evaluate(tracks, policy, container="matroska", paths=("Anime/Show/e01.mkv",))
    assert (plan.original_language, plan.original_source) == ("jpn", "rule 1 (set: original_language)")
    assert removed(plan) == {
        1: "remove track 1: audio language eng is not kept (keep.audio.languages: original=jpn)"
    }
    other = evaluate(tracks, policy, container="matroska", paths=("Films/x.mkv",))
    assert other.original_language == "eng" and removed(other) == {2: removed(other)[2]}


@pytest.mark.parametrize(
    ("when", "hit"),
    [
        ({"video": {"height": ">=1080"}}, True),
        ({"video": {"height": ">1080"}}, False),
        ({"audio": {"count": "2"}}, True),
        ({"audio": {"language": "eng", "channels": "<6"}}, True),
        ({"audio": {"language": ["fre", "ger"]}}, False),
        ({"subtitle": {"forced": True}}, True),
        ({"subtitle": {"commentary": True, "count": 0}}, True),
        ({"container": "mkv"}, True),
        ({"not": {"container": ["matroska"]}}, False),
        ({"any": [{"container": "mp4"}, {"audio": {"codec": "AAC"}}]}, True),
        ({"all": [{"container": "mkv"}, {"path": "Films/*"}]}, False),
    ],
)
def test_conditions(when: dict[str, Any], hit: bool) -> None:
    policy = v2(rules=[{"when": when, "action": "skip", "reason": "matched"}])
    tracks = [V, a(1, "eng"), a(2, "jpn"), s(3, "eng", forced=True)]
    plan = evaluate(tracks, policy, container="matroska", paths=("Films/Sub/x.mkv",))
    assert (plan.rule == ("skip", "rule 1: matched")) is hit


def test_globs() -> None:
    assert glob("Anime/**").fullmatch("Anime/a/b.mkv") and not glob("Anime/*").fullmatch("Anime/a/b.mkv")
    assert glob("**/x.mkv").fullmatch("x.mkv") and glob("**/x.mkv").fullmatch("a/b/x.mkv")
    assert glob("S0[1-3]/?.mkv").fullmatch("S02/e.mkv") and not glob("S0[!1-3]/e.mkv").fullmatch("S02/e.mkv")


def test_first_matching_rule_per_action_kind() -> None:
    policy = v2(
        rules=[
            {"when": {}, "action": "warn", "reason": "first"},
            {"when": {}, "action": "warn", "reason": "second"},
            {"when": {}, "set": {"original_language": "fre"}},
            {"when": {}, "set": {"original_language": "ger"}},
            {"when": {}, "action": "fail", "reason": "stop"},
            {"when": {}, "action": "skip", "reason": "never reached"},
        ]
    )
    plan = evaluate([V, a(1, "eng")], policy, container="matroska")
    assert plan.warnings == ("rule 1: first",) and plan.original_language == "fre"
    assert plan.rule == ("fail", "rule 5: stop") and plan.empty


def test_labels_relabel_und_then_keep_counts_it_as_that_language() -> None:
    policy = v2(keep={"audio": {"languages": ["jpn"]}}, labels={"untagged_audio": "jpn"})
    plan = evaluate([V, a(1, "und"), a(2, "eng")], policy, container="matroska")
    assert [(t.language) for t in plan.final if t.type == "audio"] == ["jpn"]
    assert set(removed(plan)) == {2}


def test_titles_cleared_and_made_from_the_template() -> None:
    policy = v2(
        labels={
            "audio_titles": {"when": "empty", "template": "{language_name} {channel_layout}"},
            "clear_titles_matching": [r"^Track \d+$"],
        }
    )
    tracks = [
        V,
        a(1, "eng", "Track 1", channels=6),
        a(2, "fre", "Director", channels=1),
        a(3, "eng", "Commentary"),
    ]
    plan = evaluate(tracks, policy, container="matroska")
    assert [t.title for t in plan.final if t.type == "audio"] == ["English 5.1", "Director", "Commentary"]


def test_a_video_title_cleared_keeps_its_hdr_transfer() -> None:
    """Labels rebuild a track whose title they clear: every other field stays, the HDR
    transfer included (plan.final is what verification and the catalogue read next)."""
    hdr = Track(0, "video", "hevc", "und", "Sample", width=3840, height=2160, color_transfer="smpte2084")
    plan = evaluate([hdr, a(1, "eng")], v2(labels={"clear_titles_matching": ["^Sample$"]}))
    video = plan.final[0]
    assert video.title is None and video.color_transfer == "smpte2084" and video.width == 3840


def test_min_tracks_forced_and_fonts() -> None:
    policy = v2(
        audio_language_preference=["fre"],
        keep={
            "audio": {"languages": ["eng"], "min_tracks": 1},
            "subtitles": {"languages": [], "forced": "kept_audio"},
            "attachments": "none",
        },
    )
    font = Track(6, "attachment", "ttf")
    tracks = [
        V,
        a(1, "ger"),
        a(2, "fre"),
        s(3, "fre", forced=True),
        s(4, "ger", forced=True),
        s(5, "eng", codec="ass"),
        font,
    ]
    plan = evaluate(tracks, policy, container="matroska")
    assert set(removed(plan)) == {1, 4, 5, 6}  # fre stays (best ranked), its forced subs too
    assert plan.notes[0].startswith("keep track 2 although audio language fre is not kept")
    keep_ass = v2(keep={"subtitles": {"languages": ["eng"]}, "attachments": "none"})
    assert 6 not in removed(evaluate(tracks, keep_ass, container="matroska"))


def test_container_change_makes_mov_text_srt_and_refuses_data_streams() -> None:
    policy = v2(container="mkv")
    plan = evaluate([V, a(1, "eng"), s(2, "eng", codec="mov_text")], policy, container="mp4")
    assert plan.container == "matroska" and plan.final[2].codec == "subrip"
    assert plan.actions[0].action == "container" and "1 mov_text" in plan.actions[0].reason
    data = Track(3, "data", None)
    stopped = evaluate([V, a(1, "eng"), data], policy, container="mp4")
    assert stopped.rule == ("fail", "track 3 (data of unknown codec) cannot be stored in Matroska")
    assert evaluate([V, a(1, "eng")], policy, container="webm").container is None


VERSION_1 = sorted(p.name for p in EXAMPLES.glob("*.yaml") if "schema_version: 1" in p.read_text())


def test_every_example_loads_and_the_three_schema_2_ones_are_there() -> None:
    loaded = {p.name: load_policy(p) for p in EXAMPLES.glob("*.yaml")}
    schema_2 = {n for n, p in loaded.items() if p.schema_version == 2}
    assert schema_2 >= {
        "keep-original-and-english.yaml",
        "anime-japanese-english-subs.yaml",
        "convert-to-mkv.yaml",
    }
    assert len(VERSION_1) == 4


@pytest.mark.parametrize("example", VERSION_1)
def test_version_1_examples_plan_as_before(example: str, tmp_path: Path) -> None:
    """Loaded as version 1, and as schema 2 with no new keys: both plan exactly as
    version 1's evaluation does, on layouts that make every example act."""
    policy = load_policy(EXAMPLES / example)
    assert isinstance(policy, Policy) and policy.schema_version == 1
    text = (EXAMPLES / example).read_text().replace("schema_version: 1", "schema_version: 2")
    (tmp_path / example).write_text(text)
    as_v2 = load_policy(tmp_path / example)
    assert isinstance(as_v2, Policy) and as_v2.schema_version == 2
    layouts = [
        [
            V,
            a(1, "jpn", default=True),
            a(2, "eng"),
            a(3, "fre", "Commentary"),
            s(4, "eng"),
            s(5, "fre", forced=True),
        ],
        [Track(0, "video", "h264"), a(1, "eng", "Director's notes"), a(2, "fra"), s(3, "jpn", "Staff talk")],
        [V, a(1, "und"), s(2, "und", default=True)],
    ]
    for tracks in layouts:
        for container in ("matroska", "mp4", "avi", None):
            before = order_and_flags(tracks, policy, container=container)
            assert evaluate(tracks, policy, container=container) == before
            again = evaluate(tracks, as_v2, container=container)
            assert (again.actions, again.order, again.final) == (before.actions, before.order, before.final)


def test_an_untagged_track_relabelled_to_a_rules_original_carries_it_not_a_commentary() -> None:
    """Found by the property test: the original language from a rule, the only track
    catalogued in it a commentary, an untagged track relabelled to it. The relabelled track
    is the one that stays for the subtitles' sake (what the next evaluation sees), so the
    commentary goes now, not on a second apply."""
    policy = v2(
        keep={
            "audio": {"languages": ["original"], "commentary": False, "min_tracks": 0},
            "subtitles": {"languages": ["original"]},
        },
        labels={"untagged_audio": "original"},
        rules=[{"when": {"path": "Anime/**"}, "set": {"original_language": "jpn"}}],
    )
    tracks = [V, a(1, "eng"), a(2, "jpn", "Commentary"), s(3, "eng"), a(4, "und")]
    paths = ("Anime/show/e01.mkv",)
    plan = evaluate(tracks, policy, container="matroska", paths=paths)
    assert set(removed(plan)) == {1, 2, 3}
    assert [(t.language, t.title) for t in plan.final if t.type == "audio"] == [("jpn", None)]
    assert evaluate(list(plan.final), policy, container="matroska", paths=paths).empty


@pytest.mark.parametrize(
    ("languages", "tracks"),
    [
        # the untagged first audio track goes, an English one stays first: the subtitles
        # are labelled from it now, not on the next apply (found by the property test)
        (["eng"], [V, a(1, "und"), a(2, "eng"), s(3, "und")]),
        # no language kept: min_tracks keeps the default English track, not the untagged one
        ([], [a(0, "und"), a(1, "eng"), a(2, "eng"), a(3, "eng", default=True), s(4, "und")]),
    ],
)
def test_the_original_is_read_where_the_next_evaluation_reads_it(
    languages: list[str], tracks: list[Track]
) -> None:
    policy = v2(keep={"audio": {"languages": languages}}, labels={"untagged_subtitles": "original"})
    plan = evaluate(tracks, policy, container="matroska")
    assert plan.original_language == "eng"
    assert "stays" in (plan.original_source or "")
    assert any(x.action == "set_language" and x.to == "eng" for x in plan.actions)
    assert evaluate(list(plan.final), policy, container="matroska").empty
