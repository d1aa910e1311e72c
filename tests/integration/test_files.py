"""`vpo files` through the real CLI: each filter returns exactly the files a brute-force
pass over what ffprobe says of the library selects; JSON fields equal ffprobe's; CSV
parses back to the same rows; non-UTF-8 names survive."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from typing import Any

import pytest

from integration import reportlib
from integration.reportlib import Library, Probed, json_of

FRE = ("fre", "fra")  # one language, two stored codes


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory, make_video: Any) -> Library:
    base = tmp_path_factory.mktemp("files-lib")
    return reportlib.build(base / "lib", base / "home", make_video)


def status_of(lib: Library, path: bytes) -> str:
    if path in lib.broken:
        return "error"
    return "missing" if path in lib.missing else "ok"


def every_file(lib: Library) -> dict[bytes, Probed | None]:
    """Every catalogued path -> its ffprobe record (None: broken)."""
    out: dict[bytes, Probed | None] = dict(lib.probed)
    out.update(dict.fromkeys(lib.broken))
    return out


def audio_langs(f: Probed | None) -> set[str]:
    return {lang for _, _, lang in f.audio} if f else set()


def sub_langs(f: Probed | None) -> set[str]:
    return set(f.subtitles) if f else set()


def video(f: Probed | None) -> tuple[str, int, int, str | None] | None:
    return f.video if f else None


Case = tuple[list[str], Callable[[Library, bytes, Any], bool]]
SIZE = 20_000
CASES: dict[str, Case] = {
    "all": ([], lambda lib, p, f: True),
    "status ok": (["--status", "ok"], lambda lib, p, f: status_of(lib, p) == "ok"),
    "status error or missing": (
        ["--status", "error", "-s", "missing"],
        lambda lib, p, f: status_of(lib, p) in ("error", "missing"),
    ),
    "container mkv": (["--container", "mkv"], lambda lib, p, f: bool(f) and f.container == "matroska"),
    "container mp4 or mov": (
        ["--container", "mp4", "--container", "mov"],
        lambda lib, p, f: bool(f) and f.container in ("mp4", "mov"),
    ),
    "codec h264": (["--codec", "h264"], lambda lib, p, f: (video(f) or ("",))[0] == "h264"),
    "codec hevc or vp8": (
        ["--codec", "HEVC", "--codec", "vp8"],
        lambda lib, p, f: (video(f) or ("",))[0] in ("hevc", "vp8"),
    ),
    "min height 720": (["--min-height", "720"], lambda lib, p, f: (video(f) or (0, 0, 0))[2] >= 720),
    "max height 800": (
        ["--max-height", "800"],
        lambda lib, p, f: video(f) is not None and video(f)[2] <= 800,  # type: ignore[index]
    ),
    "hdr": (
        ["--hdr"],
        lambda lib, p, f: (video(f) or (0, 0, 0, None))[3] in ("smpte2084", "arib-std-b67"),
    ),
    "sdr": (
        ["--sdr"],
        lambda lib, p, f: video(f) is not None and video(f)[3] not in ("smpte2084", "arib-std-b67"),  # type: ignore[index]
    ),
    "audio eng": (["--audio-lang", "eng"], lambda lib, p, f: "eng" in audio_langs(f)),
    "audio en (2-letter)": (["--audio-lang", "en"], lambda lib, p, f: "eng" in audio_langs(f)),
    "audio eng and jpn": (
        ["--audio-lang", "eng", "--audio-lang", "jpn"],
        lambda lib, p, f: {"eng", "jpn"} <= audio_langs(f),
    ),
    "no audio eng": (["--no-audio-lang", "eng"], lambda lib, p, f: "eng" not in audio_langs(f)),
    "audio fr (fre or fra)": (["--audio-lang", "fr"], lambda lib, p, f: bool(audio_langs(f) & set(FRE))),
    "sub eng": (["--sub-lang", "eng"], lambda lib, p, f: "eng" in sub_langs(f)),
    "no sub eng": (["--no-sub-lang", "eng"], lambda lib, p, f: "eng" not in sub_langs(f)),
    "no sub eng, readable h264": (
        ["--no-sub-lang", "eng", "--status", "ok", "--codec", "h264"],
        lambda lib, p, f: (
            status_of(lib, p) == "ok" and "eng" not in sub_langs(f) and (video(f) or ("",))[0] == "h264"
        ),
    ),
    "no untagged audio": (["--no-audio-lang", "und"], lambda lib, p, f: "und" not in audio_langs(f)),
    "size range": (
        ["--min-size", str(SIZE), "--max-size", "64KiB"],
        lambda lib, p, f: SIZE <= catalogued_size(lib, p) <= 64 * 1024,
    ),
}


def catalogued_size(lib: Library, path: bytes) -> int:
    return lib.probed[path].size if path in lib.probed else os.stat(path).st_size


def listed(result: Any) -> list[bytes]:
    return [os.fsencode(r["path"]) for r in json_of(result)]


@pytest.mark.parametrize("name", list(CASES))
def test_filters_return_exactly_the_brute_force_selection(lib: Library, name: str) -> None:
    args, keep = CASES[name]
    want = sorted(p for p, f in every_file(lib).items() if keep(lib, p, f))
    got = listed(lib.run("files", *args, "--json"))
    assert got == want  # and in path order, the default
    assert got, "a filter case that selects nothing proves little"
    if name != "all":
        assert len(got) < len(every_file(lib)), "a filter case that keeps everything proves little"


def test_paths_select_at_or_under_them(lib: Library) -> None:
    films, one = lib.path("films"), lib.path("tv/ep1.mkv")
    got = listed(lib.run("files", films, one, "--json"))
    assert got == sorted([p for p in every_file(lib) if p.startswith(films + b"/")] + [one])
    assert listed(lib.run("files", lib.path("film"), "--json")) == []  # a prefix is not a parent


def test_fields_equal_ffprobe(lib: Library) -> None:
    for row in json_of(lib.run("files", "--json")):
        path = os.fsencode(row["path"])
        assert row["status"] == status_of(lib, path)
        f = lib.probed.get(path)
        if f is None:  # broken
            assert row["video_codec"] is None and row["audio_languages"] == [] and row["error"]
            continue
        assert row["size_bytes"] == f.size and row["container"] == f.container
        assert f.video is not None
        codec, width, height, transfer = f.video
        assert (row["video_codec"], row["width"], row["height"]) == (codec, width, height)
        assert row["hdr"] == {"smpte2084": "PQ", "arib-std-b67": "HLG"}.get(transfer or "", "SDR")
        assert row["audio_languages"] == sorted({lang for _, _, lang in f.audio})
        assert row["subtitle_languages"] == sorted(set(f.subtitles))
        assert row["error"] is None


def test_sort_reverse_and_limit(lib: Library) -> None:
    rows = json_of(
        lib.run("files", "--status", "ok", "--sort", "size", "--reverse", "--limit", "3", "--json")
    )
    ok = sorted((f for p, f in lib.probed.items() if p not in lib.missing), key=lambda f: (-f.size, f.path))
    assert [os.fsencode(r["path"]) for r in rows] == [f.path for f in ok[:3]]
    heights = [r["height"] for r in json_of(lib.run("files", "--sort", "height", "--json"))]
    known = [h for h in heights if h is not None]
    assert known == sorted(known) and heights[len(known) :] == [None] * (len(heights) - len(known))


def test_csv_parses_back_to_the_json_rows(lib: Library) -> None:
    rows = json_of(lib.run("files", "--json"))
    result = lib.run("files", "--csv")
    assert result.code == 0, result
    header, *body = list(csv.reader(io.StringIO(result.stdout, newline="")))
    assert header == list(rows[0])

    def cell(value: Any) -> str:
        if value is None:
            return ""
        return " ".join(value) if isinstance(value, list) else str(value)

    assert body == [[cell(r[c]) for c in header] for r in rows]
    # Raw bytes in CSV: the non-UTF-8 name is the very name on disk.
    assert lib.path(reportlib.NON_UTF8) in {os.fsencode(r[1]) for r in body}


def test_non_utf8_name_round_trips(lib: Library) -> None:
    raw = lib.path(reportlib.NON_UTF8)
    result = lib.run("files", raw, "--json")
    assert [os.fsencode(r["path"]) for r in json_of(result)] == [raw]
    assert "\\udce9" in result.stdout  # JSON carries the surrogate escape
    text = lib.run("files", raw)
    assert text.code == 0 and "caf\\xe9 latin1.mkv" in text.stdout, text


def test_text_lists_every_match_with_a_total(lib: Library) -> None:
    result = lib.run("files", "--status", "error")
    assert result.code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["SIZE", "STATUS", "CONTAINER", "VIDEO", "AUDIO", "SUBS", "PATH"]
    assert len(lines) == 2 + len(lib.broken) and lines[-1].startswith(f"{len(lib.broken)} file(s)")
    assert lib.run("files", "--codec", "nothing-like-it").stdout == "No matching files.\n"


@pytest.mark.parametrize(
    "args",
    [
        ["--status", "gone"],
        ["--audio-lang", "xx9"],
        ["--no-sub-lang", "klingonese"],
        ["--min-size", "lots"],
        ["--sort", "colour"],
        ["--csv"],
    ],
)
def test_bad_values_are_one_line_usage_errors(lib: Library, args: list[str]) -> None:
    result = lib.run("files", *args, "--json")
    assert result.code == 2, result
    assert result.json()["code"] == "USAGE" and "Traceback" not in result.stderr
