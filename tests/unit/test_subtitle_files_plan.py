"""Schema 2's `subtitles` planned, pure (SPEC 19): VobSub's two files (`.idx` + `.sub`) are
both free or the track stays; VobSub is written from Matroska only; an `.idx` is
embedded only with its `.sub`; tracks the plan adds read as `new1`, `new2`, ..."""

from __future__ import annotations

from typing import Any

from vpo.media.models import Track
from vpo.media.sidecars import halves
from vpo.policy.evaluate import evaluate
from vpo.policy.models import Policy
from vpo.policy.plan import ADDED_BASE, shown_index

VIDEO = Track(0, "video", "h264", "und", None, True)


def v2(**fields: Any) -> Policy:
    return Policy.model_validate({"schema_version": 2, **fields})


def vobsub(i: int, lang: str, *, forced: bool = False) -> Track:
    return Track(i, "subtitle", "dvd_subtitle", lang, None, False, forced)


def test_a_vobsub_sidecar_is_two_files() -> None:
    assert halves("eng.forced.idx") == ("eng.forced.idx", "eng.forced.sub")
    assert halves("eng.sup") == ("eng.sup",)


def test_vobsub_is_extracted_as_idx_and_sub_from_matroska_only() -> None:
    policy = v2(subtitles={"extract": {"remove": True}})
    tracks = [VIDEO, vobsub(1, "fre", forced=True)]
    plan = evaluate(tracks, policy, container="matroska")
    assert [(e.index, e.suffix, e.by_mkvextract) for e in plan.extracted] == [(1, "fre.forced.idx", True)]
    assert plan.removed == (1,)
    assert "to NAME.fre.forced.idx + NAME.fre.forced.sub" in plan.actions[0].reason
    elsewhere = evaluate(tracks, policy, container="mp4")
    assert elsewhere.extracted == () and elsewhere.removed == ()
    assert elsewhere.notes == (
        "subtitles.extract: track 1 (dvd_subtitle) is written by mkvextract, from Matroska files only; "
        "this one is mp4: it stays",
    )


def test_either_file_of_a_vobsub_sidecar_taken_keeps_the_track() -> None:
    tracks = [VIDEO, vobsub(1, "fre")]
    for taken in ("fre.idx", "fre.sub"):
        plan = evaluate(
            tracks,
            v2(subtitles={"extract": {"remove": True}}),
            container="matroska",
            sidecars=frozenset({taken}),
        )
        assert plan.extracted == () and plan.removed == ()
        assert plan.notes == (f"subtitles.extract: NAME.{taken} exists, not overwritten; track 1 stays",)
        quiet = evaluate(
            tracks,
            v2(subtitles={"extract": {"remove": False}}),
            container="matroska",
            sidecars=frozenset({taken}),
        )
        assert quiet.empty and quiet.notes == ()


def test_an_idx_is_embedded_only_with_its_sub() -> None:
    policy = v2(subtitles={"embed": True})
    alone = evaluate([VIDEO], policy, container="matroska", sidecars=frozenset({"eng.idx"}))
    assert alone.embedded == ()
    assert alone.notes == ("subtitles.embed: NAME.eng.idx has no NAME.eng.sub beside it; not embedded",)
    pair = evaluate([VIDEO], policy, container="matroska", sidecars=frozenset({"eng.idx", "eng.sub"}))
    assert [(e.index, e.suffix) for e in pair.embedded] == [(ADDED_BASE, "eng.idx")]
    assert [(t.codec, t.language) for t in pair.final] == [("h264", "und"), ("dvd_subtitle", "eng")]
    assert "(new1)" in next(a.reason for a in pair.actions if a.action == "embed")


def test_added_tracks_read_as_new() -> None:
    assert [shown_index(i) for i in (0, 7, ADDED_BASE, ADDED_BASE + 1)] == ["0", "7", "new1", "new2"]
