"""`audio.add` through the real CLI on generated multichannel media (SPEC 19): what is
added, from which track, in which order; loudness of the downmixes measured with ffmpeg's
ebur128; idempotence; one remux with everything else a plan does; bad policies."""

from __future__ import annotations

import subprocess
from pathlib import Path

from integration.compat.helpers import apply, file_id, home, job_rows, library, only, streams
from integration.scanutil import run_vpo
from media_surround import Audio, loudness

STEREO_FROM_ORIGINAL = """\
schema_version: 2
audio_language_preference: [eng]
audio:
  add:
    - codec: aac
      channels: 2
      from: {language: original}
      title: "{language_name} Stereo"
"""


def test_stereo_aac_is_added_from_the_original_5_1_and_a_second_apply_adds_nothing(tmp_path: Path) -> None:
    # TrueHD 5.1 (this ffmpeg encodes TrueHD up to 5.1) in the original language, a stereo
    # eng FLAC with fewer channels, a French AC3 5.1
    root = library(
        tmp_path,
        {
            "film.mkv": (
                [Audio("truehd", 6, "eng", default=True), Audio("flac", 2, "eng"), Audio("ac3", 6, "fre")],
                [],
            )
        },
    )
    dry = only(apply(tmp_path, STEREO_FROM_ORIGINAL, "--dry-run"))
    (add,) = [a for a in dry["actions"] if a["action"] == "add"]
    assert add["track"] == 1 and add["to"]["channels"] == 2 and add["to"]["codec"] == "aac"
    assert "from track 1 (truehd 5.1)" in add["reason"] and "no kept eng track is aac" in add["reason"]
    done = apply(tmp_path, STEREO_FROM_ORIGINAL)
    assert only(done)["status"] == "changed"
    got = streams(root / "film.mkv")
    assert [(s["codec"], s["channels"], s["language"]) for s in got[1:]] == [
        ("truehd", 6, "eng"),
        ("flac", 2, "eng"),
        ("aac", 2, "eng"),  # audio_main (eng) as track_order says, after the eng tracks there were
        ("ac3", 6, "fre"),
    ]
    assert got[3]["title"] == "English Stereo" and not got[3]["default"]
    (row,) = job_rows(tmp_path, done.json()["job_id"])
    tools = [c.split()[0].rsplit("/", 1)[-1] for c in row["commands"]]
    assert tools.count("ffmpeg") == 1 and tools.count("mkvmerge") == 1, row["commands"]
    again = only(apply(tmp_path, STEREO_FROM_ORIGINAL))
    assert again["status"] == "unchanged" and again["actions"] == []
    assert any("already fits" in n for n in again["notes"]), again


def test_an_existing_stereo_aac_in_that_language_means_nothing_is_added(tmp_path: Path) -> None:
    library(tmp_path, {"film.mkv": ([Audio("dts", 6, "eng", default=True), Audio("aac", 2, "eng")], [])})
    out = only(apply(tmp_path, STEREO_FROM_ORIGINAL))
    assert out["status"] == "unchanged", out
    assert any("track 2 (aac Stereo) already fits" in n for n in out["notes"]), out


def _added_loudness(tmp_path: Path, downmix: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """(source, added) (integrated loudness, loudness range) of a 8 s 5.1 programme and its
    stereo AAC made with `downmix`."""
    base = tmp_path / downmix
    root = library(base, {"prog.mkv": ([Audio("flac", 6, "eng", default=True)], [])}, duration=8)
    policy = STEREO_FROM_ORIGINAL + f"      downmix: {downmix}\n"
    assert only(apply(base, policy))["status"] == "changed"
    path = root / "prog.mkv"
    return loudness(path, "a:0"), loudness(path, "a:1")


def test_standard_downmix_keeps_the_loudness_and_night_narrows_its_range(tmp_path: Path) -> None:
    source, standard = _added_loudness(tmp_path, "standard")
    assert abs(standard[0] - source[0]) <= 3.0, (source, standard)
    # a normalised matrix (ffmpeg's `-ac 2` to an integer format) lands far lower: 3 LU is a real bar
    plain = tmp_path / "plain.mka"
    prog = tmp_path / "standard" / "lib" / "prog.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(prog), "-map", "0:a:0", "-ac", "2", "-c:a", "flac", str(plain)], check=True)  # fmt: skip
    assert loudness(plain, "a:0")[0] < source[0] - 3.0
    _, night = _added_loudness(tmp_path, "night")
    assert night[1] < standard[1], (night, standard)
    _, dialogue = _added_loudness(tmp_path, "dialogue")
    assert dialogue != standard  # the centre lifted: another mix


def test_ac3_from_7_1_is_5_1_and_six_channels_from_stereo_adds_nothing(tmp_path: Path) -> None:
    root = library(
        tmp_path,
        {
            "wide.mkv": ([Audio("pcm_s16le", 8, "eng", default=True)], []),
            "stereo.mkv": ([Audio("flac", 2, "eng", default=True)], []),
        },
    )
    policy = "schema_version: 2\naudio:\n  add:\n    - {codec: ac3, channels: 6, from: {language: eng}}\n"
    out = {Path(f["path"]).name: f for f in apply(tmp_path, policy).json()["files"]}
    assert out["wide.mkv"]["status"] == "changed", out
    assert [(s["codec"], s["channels"]) for s in streams(root / "wide.mkv")[1:]] == [
        ("pcm_s16le", 8),
        ("ac3", 6),
    ]
    assert out["stereo.mkv"]["status"] == "unchanged"
    assert any("fewer than 6 channels" in n for n in out["stereo.mkv"]["notes"]), out


def test_removal_label_added_track_and_mp4_to_mkv_are_one_remux(tmp_path: Path) -> None:
    root = library(
        tmp_path,
        {"film.mp4": ([Audio("ac3", 6, "eng", default=True), Audio("aac", 2, "fre")], [])},
    )
    before = file_id(tmp_path, root / "film.mp4")
    policy = STEREO_FROM_ORIGINAL + (
        "keep:\n  audio: {languages: [eng]}\n"
        "labels:\n  audio_titles: {when: empty, template: '{language_name} {channel_layout}'}\n"
        "container: mkv\n"
    )
    done = apply(tmp_path, policy)
    out = only(done)
    assert out["status"] == "changed", out
    assert {a["action"] for a in out["actions"]} >= {"container", "remove", "set_title", "add"}
    got = streams(root / "film.mkv")
    assert not (root / "film.mp4").exists()
    assert [(s["codec"], s["channels"], s["language"], s["title"]) for s in got[1:]] == [
        ("ac3", 6, "eng", "English 5.1"),
        ("aac", 2, "eng", "English Stereo"),
    ]
    assert file_id(tmp_path, root / "film.mkv") == before
    (row,) = job_rows(tmp_path, done.json()["job_id"])
    remuxes = [c for c in row["commands"] if c.split()[0].endswith("mkvmerge") and " -o " in c]
    assert len(remuxes) == 1, row["commands"]  # (and `mkvmerge -J`, which only reads)
    assert only(apply(tmp_path, policy))["status"] == "unchanged"


def test_bad_audio_add_is_named_with_file_line_and_key(tmp_path: Path) -> None:
    cases = {
        "channels: 8": ("audio.add.0.channels", "2 or 6 channels"),
        "codec: mp3": ("audio.add.0.codec", "'aac', 'ac3', 'eac3' or 'opus'"),
    }
    for n, (line, (key, reason)) in enumerate(cases.items()):
        text = "schema_version: 2\naudio:\n  add:\n    - codec: aac\n"
        text = text.replace("codec: aac", line) if line.startswith("codec") else text + f"      {line}\n"
        path = tmp_path / f"bad{n}.yaml"
        path.write_text(text)
        err = run_vpo(home(tmp_path), "policy", "check", path)
        assert err.code == 2 and f"{path}:" in err.stderr and key in err.stderr and reason in err.stderr, err
    never = tmp_path / "never.yaml"
    never.write_text(
        "schema_version: 2\nkeep:\n  audio: {languages: [jpn]}\naudio:\n  add:\n"
        "    - codec: aac\n      from: {language: eng}\n"
    )
    err = run_vpo(home(tmp_path), "policy", "check", never)
    assert err.code == 2 and f"{never}:7: audio.add.0.from.language: eng is never a kept" in err.stderr, err
    assert "Traceback" not in err.stderr
