"""The pure decisions of the transcode queue (transcode/decide.py, transcode/models.py):
which files need a transcode, the ffmpeg arguments, checking the output. No IO."""

from __future__ import annotations

import pytest

from vpo.media.models import ProbeResult, Track
from vpo.transcode.decide import ffmpeg_args, progress_of, skip_reason, verify_output
from vpo.transcode.models import TranscodeTarget, merge

SRC, DST = b"/lib/a b:c.mkv", b"/lib/.a b:c.vpo-transcode-1.mkv"


def layout(codec: str = "h264", width: int = 1920, height: int = 1080) -> tuple[Track, ...]:
    return (
        Track(0, "video", codec, width=width, height=height),
        Track(1, "audio", "aac", "eng", channels=2),
        Track(2, "audio", "ac3", "fra", channels=6),
        Track(3, "subtitle", "subrip", "eng"),
        Track(4, "attachment", "ttf"),
    )


def args_for(
    target: TranscodeTarget,
    encoder: str = "libx265",
    tracks: tuple[Track, ...] | None = None,
    container: str | None = "matroska",
) -> list[str | bytes]:
    return ffmpeg_args("ffmpeg", SRC, DST, tracks or layout(), target, encoder, container)


def option(args: list[str | bytes], name: str) -> str | bytes:
    """The value after `name`; fails if `name` is missing or given twice."""
    assert args.count(name) == 1, (name, args)
    return args[args.index(name) + 1]


# -- skip_reason -----------------------------------------------------------------------


def test_file_in_another_codec_needs_a_transcode() -> None:
    assert skip_reason(layout("h264"), TranscodeTarget(codec="hevc")) is None


def test_file_already_in_the_codec_is_skipped_with_the_reason() -> None:
    assert skip_reason(layout("hevc"), TranscodeTarget(codec="hevc")) == "already hevc"


def test_file_in_the_codec_but_too_large_needs_a_transcode() -> None:
    assert (
        skip_reason(layout("hevc", 1920, 1080), TranscodeTarget(codec="hevc", max_resolution="720p")) is None
    )
    # Height alone over the box is enough (a 4:3 picture 1280 wide is 960 high).
    assert (
        skip_reason(layout("hevc", 1280, 960), TranscodeTarget(codec="hevc", max_resolution="720p")) is None
    )


def test_file_in_the_codec_within_the_size_is_skipped() -> None:
    why = skip_reason(layout("hevc", 1280, 536), TranscodeTarget(codec="hevc", max_resolution="720p"))
    assert why == "already hevc at 720p or below"


def test_file_without_video_is_skipped() -> None:
    assert skip_reason((Track(0, "audio", "flac"),), TranscodeTarget()) == "no video track"


def test_webm_cannot_take_hevc_but_can_take_vp9() -> None:
    assert (
        skip_reason(layout("vp8"), TranscodeTarget(codec="hevc"), "webm")
        == "webm cannot hold hevc (only vp8, vp9, av1)"
    )
    assert skip_reason(layout("vp8"), TranscodeTarget(codec="vp9"), "webm") is None


# -- ffmpeg_args -----------------------------------------------------------------------


def test_every_stream_is_mapped_and_copied_but_the_video_is_encoded() -> None:
    args = args_for(TranscodeTarget(codec="hevc"))
    assert option(args, "-map") == "0"
    assert option(args, "-c") == "copy"
    assert option(args, "-c:v:0") == "libx265"
    assert not any(isinstance(a, str) and a.startswith(("-c:a", "-c:s", "-c:t")) for a in args)


def test_input_and_output_are_raw_bytes_behind_the_file_protocol() -> None:
    args = args_for(TranscodeTarget())
    assert option(args, "-i") == b"file:" + SRC  # a ':' in a name is never read as a protocol
    assert args[-1] == b"file:" + DST
    assert args[0] == "ffmpeg"


def test_progress_goes_to_stdout_as_key_value_lines() -> None:
    args = args_for(TranscodeTarget())
    assert option(args, "-progress") == "pipe:1"
    assert "-nostdin" in args


def test_encoder_goes_on_the_first_video_stream_even_after_other_streams() -> None:
    tracks = (
        Track(0, "audio", "aac"),
        Track(1, "subtitle", "subrip"),
        Track(2, "video", "h264"),
        Track(3, "video", "mjpeg"),
    )
    args = args_for(TranscodeTarget(), tracks=tracks)
    # v:0 is the first video stream of the output whatever its absolute index (2 here).
    assert option(args, "-c:v:0") == "libx265"
    assert "-c:v:1" not in args and "-c:2" not in args


def test_crf_is_set_on_the_video_stream_only() -> None:
    args = args_for(TranscodeTarget(codec="hevc", crf=24))
    assert option(args, "-crf:v:0") == "24"
    assert "-b:v:0" not in args


def test_vp9_crf_comes_with_an_unconstrained_bitrate() -> None:
    args = args_for(TranscodeTarget(codec="vp9", crf=33), encoder="libvpx-vp9")
    assert option(args, "-crf:v:0") == "33"
    assert option(args, "-b:v:0") == "0"


def test_vp9_crf_with_a_bitrate_is_constrained_quality() -> None:
    args = args_for(TranscodeTarget(codec="vp9", crf=33, bitrate="2M"), encoder="libvpx-vp9")
    assert option(args, "-b:v:0") == "2M"  # once: no "-b:v:0 0" for ffmpeg to override


def test_bitrate_alone() -> None:
    args = args_for(TranscodeTarget(codec="h264", bitrate="4M"), encoder="libx264")
    assert option(args, "-b:v:0") == "4M"
    assert "-crf:v:0" not in args


def test_max_resolution_adds_a_scale_filter_on_the_video_that_never_upscales() -> None:
    args = args_for(TranscodeTarget(max_resolution="720p"))
    scale = str(option(args, "-filter:v:0"))
    assert scale.startswith("scale=")
    assert "min(iw,1280)" in scale and "min(ih,720)" in scale
    assert "force_original_aspect_ratio=decrease" in scale
    assert "force_divisible_by=2" in scale


def test_no_filter_without_max_resolution() -> None:
    assert not any(
        isinstance(a, str) and a.startswith(("-filter", "-vf")) for a in args_for(TranscodeTarget())
    )


@pytest.mark.parametrize(("container", "tagged"), [("mp4", True), ("mov", True), ("matroska", False)])
def test_hevc_in_mp4_gets_the_hvc1_tag(container: str, tagged: bool) -> None:
    args = args_for(TranscodeTarget(codec="hevc"), container=container)
    assert (option(args, "-tag:v:0") == "hvc1") if tagged else ("-tag:v:0" not in args)


def test_no_video_stream_is_refused() -> None:
    with pytest.raises(ValueError):
        args_for(TranscodeTarget(), tracks=(Track(0, "audio", "aac"),))


# -- verify_output ---------------------------------------------------------------------


def result(tracks: tuple[Track, ...], duration: float | None = 60.0) -> ProbeResult:
    return ProbeResult("matroska", duration, tracks)


def transcoded(codec: str = "hevc", width: int = 1920, height: int = 1080) -> tuple[Track, ...]:
    return (Track(0, "video", codec, width=width, height=height), *layout()[1:])


def test_output_with_every_stream_in_place_passes() -> None:
    assert verify_output(result(layout()), result(transcoded(), 60.4), TranscodeTarget()) is None


def test_output_missing_a_stream_fails() -> None:
    why = verify_output(result(layout()), result(transcoded()[:-1]), TranscodeTarget())
    assert why == "5 streams in, 4 out"


def test_output_in_the_wrong_codec_fails() -> None:
    why = verify_output(result(layout()), result(transcoded("h264")), TranscodeTarget(codec="hevc"))
    assert why == "stream 0: video codec is h264, not hevc"


def test_output_with_a_reencoded_audio_stream_fails() -> None:
    after = list(transcoded())
    after[2] = Track(2, "audio", "aac", "fra", channels=6)
    why = verify_output(result(layout()), result(tuple(after)), TranscodeTarget())
    assert why == "stream 2: audio codec ac3 in, aac out (it should be copied)"


def test_output_with_streams_in_another_order_fails() -> None:
    after = list(transcoded())
    after[3], after[4] = after[4], after[3]
    assert (
        verify_output(result(layout()), result(tuple(after)), TranscodeTarget())
        == "stream 3: subtitle in, attachment out"
    )


def test_truncated_output_fails() -> None:
    why = verify_output(result(layout(), 60.0), result(transcoded(), 30.0), TranscodeTarget())
    assert why == "duration 30.00s, expected 60.00s"


def test_output_without_a_duration_fails() -> None:
    assert (
        verify_output(result(layout(), 60.0), result(transcoded(), None), TranscodeTarget())
        == "the output has no duration"
    )


def test_output_larger_than_the_max_resolution_fails() -> None:
    why = verify_output(
        result(layout()), result(transcoded(width=1920, height=1080)), TranscodeTarget(max_resolution="720p")
    )
    assert why == "stream 0: picture is 1920x1080, larger than 720p"
    assert (
        verify_output(
            result(layout()),
            result(transcoded(width=1280, height=720)),
            TranscodeTarget(max_resolution="720p"),
        )
        is None
    )


# -- progress --------------------------------------------------------------------------


def test_progress_is_out_time_over_the_real_duration() -> None:
    assert progress_of(b"15000000", 60.0) == 0.25


def test_progress_stays_below_one_until_done_and_never_negative() -> None:
    assert progress_of(b"61000000", 60.0) == 0.99
    assert progress_of(b"-5000", 60.0) == 0.0


def test_progress_is_unknown_without_a_duration_or_a_value() -> None:
    assert progress_of(b"N/A", 60.0) is None
    assert progress_of(b"1000000", None) is None


# -- models ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        TranscodeTarget(codec="hevc", crf=28),
        TranscodeTarget(codec="vp9", crf=63),
        TranscodeTarget(bitrate="4M"),
        TranscodeTarget(bitrate="2500k"),
        TranscodeTarget(bitrate="1.5M"),
        TranscodeTarget(max_resolution="2160p"),
    ],
)
def test_good_targets_have_no_problem(target: TranscodeTarget) -> None:
    assert target.problem() is None


@pytest.mark.parametrize(
    ("target", "words"),
    [
        (TranscodeTarget(codec="hevc", crf=60), "crf 60 is out of range for hevc (0-51)"),
        (TranscodeTarget(codec="mpeg2"), "unknown codec 'mpeg2'"),
        (TranscodeTarget(bitrate="fast"), "invalid bitrate 'fast'"),
        (TranscodeTarget(bitrate="4 M"), "invalid bitrate '4 M'"),
        (TranscodeTarget(max_resolution="4k"), "unknown max resolution '4k'"),
    ],
)
def test_bad_targets_say_why(target: TranscodeTarget, words: str) -> None:
    assert words in (target.problem() or "")


def test_flags_win_over_the_policy() -> None:
    policy = TranscodeTarget(codec="h264", crf=20, max_resolution="1080p", delete_original=True)
    assert merge(policy, codec="av1", max_resolution="720p") == TranscodeTarget(
        codec="av1", crf=20, max_resolution="720p", delete_original=True
    )
    assert merge(policy) == policy


def test_a_rate_flag_replaces_the_policys_rate_control_as_a_whole() -> None:
    policy = TranscodeTarget(codec="hevc", crf=20)
    assert merge(policy, bitrate="3M") == TranscodeTarget(codec="hevc", crf=None, bitrate="3M")
    assert merge(TranscodeTarget(bitrate="3M"), crf=22) == TranscodeTarget(crf=22, bitrate=None)


def test_target_round_trips_through_the_jobs_options() -> None:
    target = TranscodeTarget(codec="vp9", crf=31, bitrate=None, max_resolution="480p", delete_original=True)
    assert TranscodeTarget.from_dict({**target.to_dict(), "file_id": 7}) == target


@pytest.mark.parametrize(("container", "passthrough"), [("matroska", True), ("webm", True), ("mp4", False)])
def test_matroska_keeps_the_default_flags_as_they_are(container: str, passthrough: bool) -> None:
    args = args_for(TranscodeTarget(), container=container)
    assert (option(args, "-default_mode") == "passthrough") if passthrough else ("-default_mode" not in args)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"default": True}, "stream 3: default False in, True out"),
        ({"forced": True}, "stream 3: forced False in, True out"),
        ({"language": "und"}, "stream 3: language 'eng' in, 'und' out"),
        ({"title": "English"}, "stream 3: title None in, 'English' out"),
    ],
)
def test_output_with_changed_flags_language_or_title_fails(change: dict[str, object], why: str) -> None:
    after = list(transcoded())
    after[3] = Track(**{**after[3].to_dict(), **change})  # type: ignore[arg-type]
    assert verify_output(result(layout()), result(tuple(after)), TranscodeTarget()) == why


@pytest.mark.parametrize(("default", "value"), [(True, "+default"), (False, "-default")])
def test_video_disposition_is_set_relative_so_ffmpeg_infers_no_default_flags(
    default: bool, value: str
) -> None:
    tracks = (Track(0, "video", "h264", default=default), *layout()[1:])
    assert option(args_for(TranscodeTarget(), tracks=tracks), "-disposition:v:0") == value


def test_threads_bound_the_decoder_and_the_encoder_and_x265s_own_pool() -> None:
    src = b"file:" + SRC
    free = args_for(TranscodeTarget(codec="hevc"))
    assert "-threads" not in free and "-threads:v:0" not in free  # the encoder's own choice
    assert option(free, "-x265-params:v:0") == "log-level=error"
    shared = ffmpeg_args(
        "ffmpeg", SRC, DST, layout(), TranscodeTarget(codec="hevc"), "libx265", "matroska", threads=1
    )
    assert shared.index("-threads") < shared.index(src)  # an input option: the decoder's
    assert option(shared, "-threads") == "1" and option(shared, "-threads:v:0") == "1"
    assert option(shared, "-x265-params:v:0") == "log-level=error:pools=1"
    x264 = ffmpeg_args(
        "ffmpeg", SRC, DST, layout(), TranscodeTarget(codec="h264"), "libx264", "matroska", threads=2
    )
    assert option(x264, "-threads:v:0") == "2" and "-x265-params:v:0" not in x264
