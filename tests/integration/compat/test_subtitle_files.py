"""`subtitles.extract` and `subtitles.embed` through the real CLI on generated media (SPEC
19): sidecars written and read back, never over an existing file, a second apply plans
nothing, undo deletes what a job wrote and puts embedded sidecars back; bad policies.
Image subtitles (PGS, VobSub) have their own module: test_image_subtitles.py."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from integration.compat.helpers import apply, home, job_rows, only, streams
from integration.conftest import age_tree
from integration.scanutil import run_vpo

EXTRACT = "schema_version: 2\nsubtitles:\n  extract: {formats: [srt], remove: %s}\n"
EMBED = "schema_version: 2\nsubtitles:\n  embed: true\n"
SUBS = [("eng", None, False, False), ("eng", None, False, True), ("fre", None, False, False)]


def _film(tmp_path: Path, make_video) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "lib"
    make_video(root / "film.mkv", subtitles=SUBS, duration=1.0)
    age_tree(root)
    assert run_vpo(home(tmp_path), "scan", root).code == 0
    return root


def _subtitles(path: Path) -> list[tuple[str, str, bool]]:
    return [(s["codec"], s["language"], s["forced"]) for s in streams(path) if s["type"] == "subtitle"]


def _text_of(path: Path, n: int) -> str:
    """Subtitle track `n` of `path` as SRT text (ffmpeg)."""
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", f"0:s:{n}", "-f", "srt", "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return out.stdout.decode()


def test_extract_and_remove_then_embed_brings_text_language_and_forced_back(
    tmp_path: Path, make_video
) -> None:  # type: ignore[no-untyped-def]
    root = _film(tmp_path, make_video)
    film = root / "film.mkv"
    done = only(apply(tmp_path, EXTRACT % "true"))
    assert done["status"] == "changed", done
    names = sorted(p.name for p in root.iterdir() if p.name.endswith(".srt"))
    assert names == ["film.eng.forced.srt", "film.eng.srt", "film.fre.srt"]
    assert all("Hello from VPO" in (root / n).read_text() for n in names)
    assert _subtitles(film) == []  # removed in the same remux
    embedded = only(apply(tmp_path, EMBED))
    assert embedded["status"] == "changed", embedded
    assert sorted(_subtitles(film)) == [
        ("subrip", "eng", False),
        ("subrip", "eng", True),
        ("subrip", "fre", False),
    ]
    assert all("Hello from VPO" in _text_of(film, n) for n in range(3))
    ident = json.loads(subprocess.run(["mkvmerge", "-J", str(film)], capture_output=True, check=True).stdout)
    forced = [
        t["properties"]["language"]
        for t in ident["tracks"]
        if t["type"] == "subtitles" and t["properties"].get("forced_track")
    ]
    assert forced == ["eng"]
    assert not list(root.glob("*.srt"))  # kept as originals for undo
    again = only(apply(tmp_path, EMBED))
    assert again["status"] == "unchanged" and again["actions"] == [], again


def test_an_existing_sidecar_is_never_overwritten_and_its_track_stays(tmp_path: Path, make_video) -> None:  # type: ignore[no-untyped-def]
    root = _film(tmp_path, make_video)
    mine = root / "film.eng.srt"
    mine.write_text("1\n00:00:00,000 --> 00:00:00,500\nmine\n\n")
    dry = only(apply(tmp_path, EXTRACT % "true", "--dry-run"))
    assert any("NAME.eng.srt exists, not overwritten" in n for n in dry["notes"]), dry
    assert [a["track"] for a in dry["actions"] if a["action"] == "extract"] == [3, 4]
    assert only(apply(tmp_path, EXTRACT % "true"))["status"] == "changed"
    assert mine.read_text().endswith("mine\n\n")
    assert _subtitles(root / "film.mkv") == [("subrip", "eng", False)]  # not extracted: it stays
    assert (root / "film.eng.forced.srt").exists() and (root / "film.fre.srt").exists()


def test_undo_deletes_the_sidecars_a_job_wrote_and_puts_embedded_ones_back(
    tmp_path: Path, make_video
) -> None:  # type: ignore[no-untyped-def]
    root = _film(tmp_path, make_video)
    film = root / "film.mkv"
    # extraction alone: the file is not rewritten, the sidecars are all the job did
    only_written = apply(tmp_path, EXTRACT % "false")
    assert only(only_written)["status"] == "changed"
    (row,) = job_rows(tmp_path, only_written.json()["job_id"])
    assert sorted(Path(s["path"]).name for s in row["sidecars"]) == [
        "film.eng.forced.srt",
        "film.eng.srt",
        "film.fre.srt",
    ]
    assert run_vpo(home(tmp_path), "jobs", "undo", only_written.json()["job_id"]).code == 0
    assert not list(root.glob("*.srt"))
    assert len(_subtitles(film)) == 3
    # extraction with removal, then embedding: each undone in turn
    extracted = apply(tmp_path, EXTRACT % "true")
    assert only(extracted)["status"] == "changed"
    sidecars = sorted(p.name for p in root.glob("*.srt"))
    embedded = apply(tmp_path, EMBED)
    assert only(embedded)["status"] == "changed"
    undone = run_vpo(home(tmp_path), "jobs", "undo", embedded.json()["job_id"])
    assert undone.code == 0, undone
    assert sorted(p.name for p in root.glob("*.srt")) == sidecars  # put back
    assert _subtitles(film) == []
    undone = run_vpo(home(tmp_path), "jobs", "undo", extracted.json()["job_id"])
    assert undone.code == 0, undone
    assert not list(root.glob("*.srt"))
    assert len(_subtitles(film)) == 3


def test_bad_subtitles_keys_are_named_with_file_line_and_key(tmp_path: Path) -> None:
    cases = {
        "subtitles:\n  extract: {formats: [vtt]}\n": (3, "subtitles.extract.formats.0", "'srt' or 'ass'"),
        "subtitles:\n  extract:\n    remov: true\n": (4, "subtitles.extract.remov", "unknown key"),
        "subtitles:\n  extract: {remove: true}\n  embed: true\n": (2, "subtitles", "undo each other"),
    }
    for n, (text, (line, key, reason)) in enumerate(cases.items()):
        path = tmp_path / f"bad{n}.yaml"
        path.write_text("schema_version: 2\n" + text)
        err = run_vpo(home(tmp_path), "policy", "check", path)
        assert err.code == 2 and f"{path}:{line}: {key}" in err.stderr and reason in err.stderr, err
        assert "Traceback" not in err.stderr


def test_extracting_again_without_removal_plans_nothing_and_says_nothing(tmp_path: Path, make_video) -> None:  # type: ignore[no-untyped-def]
    root = _film(tmp_path, make_video)
    assert only(apply(tmp_path, EXTRACT % "false"))["status"] == "changed"
    again = only(apply(tmp_path, EXTRACT % "false"))
    assert again["status"] == "unchanged" and again["actions"] == [] and again["notes"] == [], again
    assert len(_subtitles(root / "film.mkv")) == 3
