"""Pure pieces of `vpo files` and `vpo report`: resolution classes (Python and the SQL
twin agree), channel layouts, HDR transfers, sizes and language codes."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from vpo.errors import UsageError
from vpo.media.classes import channel_layout, resolution_class, resolution_sql
from vpo.media.hdr import hdr_format, hdr_label, transfer_name
from vpo.reports.query import language_codes, parse_size
from vpo.reports.units import human_size


@pytest.mark.parametrize(
    ("width", "height", "want"),
    [
        (3840, 2160, "2160p"),
        (3840, 1600, "2160p"),
        (7680, 4320, "2160p"),
        (2560, 1440, "1080p"),
        (1920, 1080, "1080p"),
        (1920, 800, "1080p"),
        (1440, 1080, "1080p"),
        (1280, 720, "720p"),
        (1280, 536, "720p"),
        (960, 720, "720p"),
        (1024, 576, "SD"),
        (720, 576, "SD"),
        (64, 48, "SD"),
        (None, None, None),
        (0, 0, None),
    ],
)
def test_resolution_class(width: int | None, height: int | None, want: str | None) -> None:
    assert resolution_class(width, height) == want


def test_the_sql_classification_is_the_python_one() -> None:
    conn = sqlite3.connect(":memory:")
    sizes = [None, 0, 48, 576, 577, 720, 721, 1024, 1025, 1280, 1281, 1440, 1441, 2560, 2561, 4320]
    for width, height in itertools.product(sizes, sizes):
        got = conn.execute(f"SELECT {resolution_sql('?1', '?2')}", (width, height)).fetchone()[0]
        assert got == resolution_class(width, height), (width, height)


def test_channel_layouts() -> None:
    assert [channel_layout(n) for n in (None, 0, 1, 2, 6, 8, 4)] == [
        None,
        None,
        "mono",
        "stereo",
        "5.1",
        "7.1",
        "4 ch",
    ]


def test_hdr_transfers_from_either_prober() -> None:
    assert transfer_name(16) == transfer_name("smpte2084") == "smpte2084"  # PyAV's number, ffprobe's name
    assert transfer_name(18) == "arib-std-b67" and transfer_name(1) == "bt709"
    assert transfer_name(2) is None and transfer_name("unknown") is None and transfer_name(None) is None
    assert (hdr_format("smpte2084"), hdr_format("arib-std-b67"), hdr_format("bt709")) == ("PQ", "HLG", None)
    assert hdr_label(None, has_video=True) == "SDR" and hdr_label("smpte2084", has_video=False) is None


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("123", 123),
        ("1K", 1024),
        ("700M", 700 << 20),
        ("1.5G", 3 << 29),
        ("2GiB", 2 << 30),
        ("1 tb", 1 << 40),
    ],
)
def test_parse_size(text: str, want: int) -> None:
    assert parse_size(text) == want


@pytest.mark.parametrize("text", ["", "lots", "-1", "1X", "1.2.3G"])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(UsageError):
        parse_size(text)


def test_language_codes_cover_both_spellings() -> None:
    assert language_codes("fr", "--x") == language_codes("FRE", "--x") == ("fra", "fre")
    assert language_codes("en-US", "--x") == ("eng",)
    assert language_codes("und", "--x") == ("und",)
    with pytest.raises(UsageError):
        language_codes("xx9", "--x")


def test_human_size() -> None:
    assert [human_size(n) for n in (None, -2249, 0, 1023, 1024, 1536 << 20, 5 << 50, 5 << 60)] == [
        "-",
        "-2.2 KiB",
        "0 B",
        "1023 B",
        "1.0 KiB",
        "1.5 GiB",
        "5.0 PiB",
        "5120.0 PiB",
    ]


def test_track_summary_is_what_reports_group_by() -> None:
    from vpo.media.models import Track
    from vpo.media.track_summary import EMPTY, parse_layout, split, summarize

    tracks = [
        Track(0, "attachment", "mjpeg"),
        Track(1, "video", "hevc", width=3840, height=2160, color_transfer="smpte2084"),
        Track(2, "video", "h264", width=640, height=480),
        Track(3, "audio", "ac3", "jpn", channels=6),
        Track(4, "audio", "aac", "eng", channels=2),
        Track(5, "audio", "aac", "eng", channels=2),
        Track(6, "subtitle", "subrip", "eng"),
    ]
    got = summarize(tracks)
    assert got == ("hevc", 3840, 2160, "smpte2084", "aac/2 aac/2 ac3/6", "eng eng jpn", "eng")
    assert summarize([]) == EMPTY == (None,) * 7
    assert split(got.audio_languages) == {"eng": 2, "jpn": 1} and split(None) == {}
    assert [parse_layout(v) for v in split(got.audio_layouts)] == [("aac", 2), ("ac3", 6)]
    assert parse_layout("/") == (None, None)
