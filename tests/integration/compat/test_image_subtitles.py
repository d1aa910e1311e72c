"""Image subtitles as sidecar files (SPEC 19) through the real CLI: PGS written as `.sup`
(ffmpeg), VobSub as `.idx` + `.sub` (mkvextract), each with every bitmap it had, never
over an existing file, embedded back with language and forced flag, undone file by file.

The films are made by tests/media_pgs.py (a PGS writer: this ffmpeg has no PGS encoder;
VobSub by ffmpeg's dvdsub encoder from that PGS), once per layout per run."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import media_pgs
from integration.compat.helpers import apply, home, job_rows, only
from integration.conftest import age_tree
from integration.scanutil import run_vpo
from media_pgs import ImageSub

EXTRACT = "schema_version: 2\nsubtitles:\n  extract: {formats: [srt], remove: %s}\n"
EMBED = "schema_version: 2\nsubtitles:\n  embed: true\n"
SETS = media_pgs.display_sets(media_pgs.CAPTIONS)  # display sets: the PGS track's packets
BITMAPS = len(media_pgs.CAPTIONS)  # VobSub packets: one per caption shown

MakeFilm = Callable[[Path, list[ImageSub]], Path]


def _film(tmp_path: Path, make_image_film: MakeFilm, subs: list[ImageSub], name: str = "film.mkv") -> Path:
    root = tmp_path / "lib"
    make_image_film(root / name, subs)
    age_tree(root)
    assert run_vpo(home(tmp_path), "scan", root).code == 0
    return root


def _probe(path: Path) -> list[dict[str, Any]]:
    """ffprobe's streams of `path`, their packets and decoded frames counted."""
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_frames",
            "-count_packets",
            "-show_streams",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)["streams"]


def _subtitles(path: Path) -> list[tuple[str, str, bool, int]]:
    """(codec, language, forced, packets) of each subtitle track, sorted."""
    return sorted(
        (s["codec_name"], s["tags"]["language"], bool(s["disposition"]["forced"]), int(s["nb_read_packets"]))
        for s in _probe(path)
        if s["codec_type"] == "subtitle"
    )


def _sidecars(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.suffix in (".sup", ".idx", ".sub"))


def test_pgs_is_written_as_sup_with_every_display_set(tmp_path: Path, make_image_film: MakeFilm) -> None:
    root = _film(tmp_path, make_image_film, [ImageSub("eng", forced=True), ImageSub("ger")])
    before = _subtitles(root / "film.mkv")
    assert before == [("hdmv_pgs_subtitle", "eng", True, SETS), ("hdmv_pgs_subtitle", "ger", False, SETS)]
    assert only(apply(tmp_path, EXTRACT % "false"))["status"] == "changed"
    assert _sidecars(root) == ["film.eng.forced.sup", "film.ger.sup"]
    for name in _sidecars(root):
        (sup,) = _probe(root / name)
        assert sup["codec_name"] == "hdmv_pgs_subtitle", sup
        assert int(sup["nb_read_frames"]) == SETS  # each display set of the track, decoded
    assert _subtitles(root / "film.mkv") == before  # remove: false


def test_image_subtitles_extracted_and_removed_then_embedded_come_back(
    tmp_path: Path, make_image_film: MakeFilm
) -> None:
    subs = [
        ImageSub("eng", forced=True),
        ImageSub("ger"),
        ImageSub("fre", forced=True, codec="vobsub"),
        ImageSub("spa", codec="vobsub"),
    ]
    root = _film(tmp_path, make_image_film, subs)
    film = root / "film.mkv"
    before = _subtitles(film)
    assert [s[3] for s in before] == [BITMAPS, BITMAPS, SETS, SETS], before
    extracted = only(apply(tmp_path, EXTRACT % "true"))
    assert extracted["status"] == "changed", extracted
    assert _sidecars(root) == [
        "film.eng.forced.sup",
        "film.fre.forced.idx",
        "film.fre.forced.sub",
        "film.ger.sup",
        "film.spa.idx",
        "film.spa.sub",
    ]
    assert _subtitles(film) == []  # removed in the same remux
    (idx,) = _probe(root / "film.spa.idx")
    assert idx["codec_name"] == "dvd_subtitle" and int(idx["nb_read_packets"]) == BITMAPS, idx
    (tmp_path / "embed.yaml").write_text(EMBED)
    dry = run_vpo(home(tmp_path), "apply", "--policy", tmp_path / "embed.yaml", "--dry-run", root)
    (reorder,) = [line for line in dry.stdout.splitlines() if "reorder tracks:" in line]
    assert "new1" in reorder and "1000" not in reorder, dry  # the tracks to add, as a person reads them
    assert "new4  ADDED" in dry.stdout and "1003" not in dry.stdout, dry
    embedded = only(apply(tmp_path, EMBED))
    assert embedded["status"] == "changed", embedded
    assert _subtitles(film) == before
    assert _sidecars(root) == []  # kept as originals for undo
    again = only(apply(tmp_path, EMBED))
    assert again["status"] == "unchanged" and again["actions"] == [], again


def test_an_existing_sup_or_sub_is_never_overwritten_and_its_track_stays(
    tmp_path: Path, make_image_film: MakeFilm
) -> None:
    root = _film(
        tmp_path, make_image_film, [ImageSub("eng"), ImageSub("fre", codec="vobsub"), ImageSub("ger")]
    )
    (root / "film.eng.sup").write_bytes(b"mine")
    (root / "film.fre.sub").write_text("{1}{25}a MicroDVD subtitle, not VobSub's bitmaps\n")
    dry = only(apply(tmp_path, EXTRACT % "true", "--dry-run"))
    notes = "\n".join(dry["notes"])
    assert "NAME.eng.sup exists, not overwritten; track 2 stays" in notes, dry
    assert "NAME.fre.sub exists, not overwritten; track 3 stays" in notes, dry
    assert [a["track"] for a in dry["actions"] if a["action"] == "extract"] == [4]
    assert only(apply(tmp_path, EXTRACT % "true"))["status"] == "changed"
    assert (root / "film.eng.sup").read_bytes() == b"mine"
    assert (root / "film.fre.sub").read_text().startswith("{1}{25}a MicroDVD")
    assert not (root / "film.fre.idx").exists()
    assert _sidecars(root) == ["film.eng.sup", "film.fre.sub", "film.ger.sup"]
    assert _subtitles(root / "film.mkv") == [
        ("dvd_subtitle", "fre", False, BITMAPS),
        ("hdmv_pgs_subtitle", "eng", False, SETS),
    ]


def test_undo_deletes_both_files_of_a_vobsub_sidecar_and_puts_embedded_ones_back(
    tmp_path: Path, make_image_film: MakeFilm
) -> None:
    """The film's name is not ASCII: mkvtoolnix, which would mangle it, never sees it."""
    root = _film(tmp_path, make_image_film, [ImageSub("fre", forced=True, codec="vobsub")], "Amélie.mkv")
    film = root / "Amélie.mkv"
    pair = ["Amélie.fre.forced.idx", "Amélie.fre.forced.sub"]
    written = apply(tmp_path, EXTRACT % "false")
    assert only(written)["status"] == "changed"
    (row,) = job_rows(tmp_path, written.json()["job_id"])
    assert sorted(Path(s["path"]).name for s in row["sidecars"]) == pair
    assert run_vpo(home(tmp_path), "jobs", "undo", written.json()["job_id"]).code == 0
    assert _sidecars(root) == []
    # extracted and removed, embedded, then each undone in turn
    extracted = apply(tmp_path, EXTRACT % "true")
    assert only(extracted)["status"] == "changed"
    embedded = apply(tmp_path, EMBED)
    assert only(embedded)["status"] == "changed"
    assert _sidecars(root) == [] and _subtitles(film) == [("dvd_subtitle", "fre", True, BITMAPS)]
    assert not [p for p in root.iterdir() if p.name.startswith(".")]  # no link left behind
    undone = run_vpo(home(tmp_path), "jobs", "undo", embedded.json()["job_id"])
    assert undone.code == 0, undone
    assert _sidecars(root) == pair  # put back
    assert _subtitles(film) == []
    undone = run_vpo(home(tmp_path), "jobs", "undo", extracted.json()["job_id"])
    assert undone.code == 0, undone
    assert _sidecars(root) == []
    assert _subtitles(film) == [("dvd_subtitle", "fre", True, BITMAPS)]


def test_vobsub_outside_matroska_stays_and_the_plan_says_why(
    tmp_path: Path, make_image_film: MakeFilm
) -> None:
    root = tmp_path / "lib"
    make_image_film(tmp_path / "film.mkv", [ImageSub("fre", codec="vobsub")])
    root.mkdir()
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(tmp_path / "film.mkv"),
            "-map",
            "0",
            "-c",
            "copy",
            str(root / "film.mp4"),
        ],
        check=True,
        timeout=60,
    )
    age_tree(root)
    assert run_vpo(home(tmp_path), "scan", root).code == 0
    planned = only(apply(tmp_path, EXTRACT % "true"))
    assert planned["status"] == "unchanged", planned
    assert any(
        "written by mkvextract, from Matroska files only; this one is mp4" in n for n in planned["notes"]
    )
    assert _sidecars(root) == []


def test_a_missing_mkvextract_stops_the_apply_before_any_change(
    tmp_path: Path, make_image_film: MakeFilm
) -> None:
    root = _film(tmp_path, make_image_film, [ImageSub("fre", codec="vobsub")])
    (home(tmp_path) / "config.yaml").write_text("tools:\n  mkvextract: /nonexistent/mkvextract\n")
    failed = apply(tmp_path, EXTRACT % "true")
    assert failed.code == 2 and "/nonexistent/mkvextract" in failed.stdout, failed
    assert _sidecars(root) == [] and _subtitles(root / "film.mkv") == [
        ("dvd_subtitle", "fre", False, BITMAPS)
    ]
