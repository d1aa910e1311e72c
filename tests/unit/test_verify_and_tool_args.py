"""Verification (pure) and the argument lists the executors build (the tool is not run)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from vpo.media import remux
from vpo.media.models import ProbeResult, Track
from vpo.policy.verify import verify

V = Track(0, "video", "h264", default=True, width=64, height=48)
A1 = Track(1, "audio", "aac", "eng", None, True, channels=6)
A2 = Track(2, "audio", "aac", "eng", "Stereo", False, channels=2)
S = Track(3, "subtitle", "subrip", "fre", None, False, forced=True)
PLANNED = (V, A1, A2, S)


def result(*tracks: Track, duration: float | None = 60.0) -> ProbeResult:
    return ProbeResult("matroska", duration, tuple(tracks))


def test_the_planned_layout_verifies() -> None:
    assert verify(PLANNED, 60.0, result(*PLANNED)) is None


def test_a_language_written_in_another_form_is_the_same_language() -> None:
    assert verify(PLANNED, 60.0, result(V, A1, A2, replace(S, language="fra"))) is None
    assert verify(PLANNED, 60.0, result(V, A1, A2, replace(S, language="ger"))) == (
        "stream 3: expected language 'fre', found 'ger'"
    )


@pytest.mark.parametrize(
    "got,problem",
    [
        ((V, A1, A2), "expected 4 streams, found 3"),
        ((V, A2, A1, S), "stream 1: expected channels 6, found 2"),  # two English tracks swapped
        ((V, A1, replace(A2, title=None), S), "stream 2: expected title 'Stereo', found None"),
        ((V, A1, A2, replace(S, forced=False)), "stream 3: expected forced True, found False"),
        ((V, replace(A1, default=False), A2, S), "stream 1: expected default=True, found default=False"),
        ((V, A1, A2, replace(S, type="audio")), "stream 3: expected subtitle, found audio"),
        ((replace(V, codec="hevc"), A1, A2, S), "stream 0: expected codec h264, found hevc"),
    ],
)
def test_any_difference_from_the_plan_is_named(got: tuple[Track, ...], problem: str) -> None:
    assert verify(PLANNED, 60.0, result(*got)) == problem


def test_duration_must_stay_within_the_tolerance() -> None:
    assert verify(PLANNED, 60.0, result(*PLANNED, duration=60.9)) is None  # max(1 s, 2 %)
    assert verify(PLANNED, 60.0, result(*PLANNED, duration=58.5)) == "duration changed from 60.00s to 58.50s"
    assert verify(PLANNED, 3600.0, result(*PLANNED, duration=3660.0)) is None  # 2 % of an hour
    assert verify(PLANNED, 60.0, result(*PLANNED, duration=None)) == "duration unreadable after the change"
    assert verify(PLANNED, None, result(*PLANNED, duration=None)) is None


# --------------------------------------------------------------------------- argument lists


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def fake_run_tool(argv: list[Any], **kwargs: Any) -> str:
        seen.append({"argv": list(argv), **kwargs})
        return ""

    monkeypatch.setattr(remux, "run_tool", fake_run_tool)
    return seen


ATTACHED = (V, A1, A2, S, Track(4, "attachment", None, title="font.ttf"))


def test_mkvpropedit_gets_a_descriptor_never_the_name(tmp_path: Path, calls: list[dict[str, Any]]) -> None:
    path = os.fsencode(tmp_path) + b"/-caf\xe9 x.mkv"
    with open(path, "wb") as fh:
        fh.write(b"x")
    remux.set_flags_in_place("mkvpropedit", path, ATTACHED, {2: True, 1: False})
    (call,) = calls
    argv = call["argv"]
    assert argv[0] == "mkvpropedit" and argv[1].startswith("/dev/fd/")
    assert int(argv[1].rsplit("/", 1)[1]) in call["pass_fds"]
    assert argv[2:] == [
        "--edit",
        "track:2",
        "--set",
        "flag-default=0",
        "--edit",
        "track:3",
        "--set",
        "flag-default=1",
    ]
    assert not any(isinstance(a, bytes) and b"caf" in a for a in argv)
    assert call["warning_code"] == 1 and call["env"]["LC_ALL"] == "C"


def test_mkvmerge_writes_a_relative_ascii_name_in_the_files_folder(
    tmp_path: Path, calls: list[dict[str, Any]]
) -> None:
    folder = os.fsencode(tmp_path) + b"/d\xe9"
    os.mkdir(folder)
    src = folder + b"/-movie.mkv"
    with open(src, "wb") as fh:
        fh.write(b"x")
    final = (V, A2, A1, S, ATTACHED[4])
    remux.mkvmerge_remux(
        "mkvmerge",
        src,
        folder + b"/.vpo-tmp-1-ab.mkv",
        (0, 2, 1, 3, 4),
        tuple(replace(t, default=t.index in (0, 2)) for t in final),
        ATTACHED,
    )
    (call,) = calls
    argv = call["argv"]
    assert argv[:4] == ["mkvmerge", "--quiet", "-o", b"./.vpo-tmp-1-ab.mkv"] and call["cwd"] == folder
    assert argv[-1].startswith("/dev/fd/") and int(argv[-1].rsplit("/", 1)[1]) in call["pass_fds"]
    assert (
        "--track-order" in argv and argv[argv.index("--track-order") + 1] == "0:0,0:2,0:1,0:3"
    )  # no attachment
    flags = [argv[i + 1] for i, a in enumerate(argv) if a == "--default-track-flag"]
    assert flags == ["0:1", "2:1", "1:0", "3:0"]
    with pytest.raises(ValueError):
        remux.mkvmerge_remux("mkvmerge", src, folder + b"/-o.mkv", (0,), (V,), (V,))


def test_ffmpeg_reads_and_writes_file_urls_and_sets_every_disposition(
    tmp_path: Path, calls: list[dict[str, Any]]
) -> None:
    final = (V, replace(A2, default=True), replace(A1, default=False), S)
    folder = os.fsencode(tmp_path)
    with open(folder + b"/-x:y \xe9.mp4", "wb") as fh:  # ffmpeg is only given a regular file
        fh.write(b"x")
    remux.ffmpeg_remux(
        "ffmpeg", folder + b"/-x:y \xe9.mp4", folder + b"/.vpo-tmp-1-ab.mp4", (0, 2, 1, 3), final
    )
    argv = calls[0]["argv"]
    assert argv[argv.index("-i") + 1] == b"file:" + folder + b"/-x:y \xe9.mp4"
    assert argv[-1] == b"file:" + folder + b"/.vpo-tmp-1-ab.mp4"
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "-map"] == ["0:0", "0:2", "0:1", "0:3"]
    assert argv[argv.index("-c") + 1] == "copy"
    dispositions = {a: argv[i + 1] for i, a in enumerate(argv) if str(a).startswith("-disposition:")}
    assert dispositions == {
        "-disposition:0": "default",
        "-disposition:1": "default",
        "-disposition:2": "0",
        "-disposition:3": "forced",
    }


def test_matroska_track_numbers_skip_attachments() -> None:
    assert remux.matroska_track_numbers(ATTACHED) == {0: 1, 1: 2, 2: 3, 3: 4}


# --------------------------------------------------------------------------- running tools


def test_exit_1_is_a_warning_only_when_the_tool_printed_one(caplog: pytest.LogCaptureFixture) -> None:
    from vpo.errors import ToolError
    from vpo.media.tools import run_tool

    with pytest.raises(ToolError, match=r"^false failed \(exit 1\): no output$"):
        run_tool(["false"], warning_code=1)
    caplog.set_level("DEBUG", logger="vpo.media.tools")
    out = run_tool(["sh", "-c", "echo 'Warning: odd header'; echo done >&2; exit 1"], warning_code=1)
    assert "Warning: odd header" in out
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("running sh -c") for m in messages)
    assert any(m.startswith("sh output:") and "odd header" in m for m in messages)
    with pytest.raises(ToolError, match=r"exit 3"):
        run_tool(["sh", "-c", "echo 'Warning: x'; exit 3"], warning_code=1)


def test_a_tool_that_cannot_be_run_is_a_tool_error(tmp_path: Path) -> None:
    from vpo.errors import ToolError
    from vpo.media.tools import run_tool

    script = tmp_path / "no-shebang"
    script.write_text("echo hi\n")
    script.chmod(0o755)
    with pytest.raises(ToolError, match="cannot run"):
        run_tool([str(script)])
    with pytest.raises(ToolError, match="not found"):
        run_tool([str(tmp_path / "missing")])
    script.chmod(0o644)
    with pytest.raises(ToolError, match="not executable"):
        run_tool([str(script)])
