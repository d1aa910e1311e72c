"""The original language's sources, in order (SPEC 18): a rule's `set`, then what Radarr or
Sonarr know of the film or series, then the first audio track. Pure evaluation."""

from __future__ import annotations

from typing import Any

from vpo.media.language_lookup import language_code
from vpo.media.models import Track
from vpo.policy.evaluate import evaluate
from vpo.policy.models import Policy

V = Track(0, "video", "h264", default=True, height=1080)
# A Japanese film whose first audio track is an English dub.
DUBBED = [
    V,
    Track(1, "audio", "aac", "eng", None, True, channels=2),
    Track(2, "audio", "aac", "jpn", channels=2),
]
KEEP_ORIGINAL_AND_ENGLISH = {"audio": {"languages": ["original", "eng"]}}


def v2(**fields: Any) -> Policy:
    return Policy.model_validate({"schema_version": 2, **fields})


def removed(plan: Any) -> list[int]:
    return [x.track for x in plan.actions if x.action == "remove"]


def test_radarr_comes_before_the_first_audio_track() -> None:
    policy = v2(keep={"audio": {"languages": ["original"]}})
    plan = evaluate(DUBBED, policy, container="matroska", known_original=("jpn", "Radarr"))
    assert (plan.original_language, plan.original_source) == ("jpn", "from Radarr")
    assert removed(plan) == [1]  # the English dub goes, the Japanese track stays
    again = evaluate(DUBBED, policy, container="matroska")
    assert again.original_language == "eng" and removed(again) == [2]  # without it: the dub's


def test_a_rules_set_comes_before_radarr() -> None:
    policy = v2(
        keep={"audio": {"languages": ["original"]}},
        rules=[{"when": {"container": "mkv"}, "set": {"original_language": "eng"}}],
    )
    plan = evaluate(DUBBED, policy, container="matroska", known_original=("jpn", "Sonarr"))
    assert (plan.original_language, plan.original_source) == ("eng", "rule 1 (set: original_language)")
    assert removed(plan) == [2]


def test_both_languages_kept_and_the_plan_names_sonarr() -> None:
    plan = evaluate(
        DUBBED, v2(keep=KEEP_ORIGINAL_AND_ENGLISH), container="matroska", known_original=("jpn", "Sonarr")
    )
    assert plan.original_source == "from Sonarr" and removed(plan) == []


def test_a_version_1_policy_plans_exactly_as_without_it() -> None:
    policy = Policy.model_validate({"schema_version": 1, "audio_language_preference": ["jpn", "eng"]})
    with_it = evaluate(DUBBED, policy, container="matroska", known_original=("jpn", "Radarr"))
    assert with_it == evaluate(DUBBED, policy, container="matroska")
    assert with_it.original_source is None


def test_a_known_language_is_not_read_again_off_the_plans_layout() -> None:
    # The untagged first audio track goes; what stays first is French, but Radarr's word holds.
    tracks = [
        V,
        Track(1, "audio", "aac", "und", None, True, channels=2),
        Track(2, "audio", "aac", "fre", channels=2),
    ]
    policy = v2(keep={"audio": {"languages": ["original", "fre"]}})
    plan = evaluate(tracks, policy, container="matroska", known_original=("jpn", "Radarr"))
    assert (plan.original_language, plan.original_source) == ("jpn", "from Radarr")


def test_radarr_and_sonarr_languages_become_iso_639_2_b_codes() -> None:
    assert [language_code(x) for x in ("Japanese", "jpn", "fra", "deu", "Greek", "zh-CN")] == [
        "jpn", "jpn", "fre", "ger", "gre", "chi"
    ]  # fmt: skip
    assert [language_code(x) for x in ("", "und", "Original", "Unknown", None)] == [None] * 5
