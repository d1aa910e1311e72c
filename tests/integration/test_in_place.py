"""Flags-only edits of Matroska files at library scale (SPEC section 12): in place under a
journal, never a full-size copy; headers that cannot be located fall back to a remux,
and the plan says so."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import media
from integration.conftest import RunVpo, age_tree

POLICY = "schema_version: 1\naudio_language_preference: [eng]\n"
FLAGS = dict(audio=[("eng", None, False), ("jpn", None, True)], tone=1810)
WATCH = """#!/bin/sh
# mkvpropedit, after writing down every file VPO has beside the media file and in its
# journal folder at that moment (name and size)
for f in '{lib}'/* '{lib}'/.[!.]* '{home}'/journal/*; do
  [ -f "$f" ] && printf '%s %s\\n' "$(wc -c < "$f")" "$f" >> '{log}'
done
exec '{real}' "$@"
"""


def test_a_flags_only_edit_makes_no_full_size_copy(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo, vpo_home: Path
) -> None:
    lib = tmp_path / "lib"
    path = make_video(lib / "flags.mkv", **FLAGS)
    age_tree(lib)
    real = shutil.which("mkvpropedit")
    assert real
    log = tmp_path / "seen.txt"
    watch = tmp_path / "watch-mkvpropedit"
    watch.write_text(WATCH.format(lib=lib, home=vpo_home, log=log, real=real))
    watch.chmod(0o755)
    (vpo_home / "profiles").mkdir(parents=True)
    (vpo_home / "profiles" / "watch.yaml").write_text(f"name: watch\ntools:\n  mkvpropedit: {watch}\n")
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    assert vpo("scan", lib).code == 0
    size, ino = path.stat().st_size, path.stat().st_ino
    done = vpo("--profile", "watch", "apply", "--policy", policy, "--json", path)
    assert done.code == 0, done
    seen = [line.split(" ", 1) for line in log.read_text().splitlines()]
    others = {name: int(n) for n, name in seen if name != str(path)}
    assert len(others) == 1 and "/journal/pending-" in next(iter(others)), seen  # the journal only
    assert max(others.values()) < size / 2, seen
    assert path.stat().st_ino == ino  # edited in place
    assert sorted(os.listdir(lib)) == ["flags.mkv"]
    journal = done.json()["files"][0]["kept_bytes"]
    assert 0 < journal < size / 2 and done.json()["kept_bytes"] == journal


def test_a_segment_of_unknown_size_is_remuxed_and_the_plan_says_why(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo
) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    source = make_video(tmp_path / "source.mkv", **FLAGS)
    streamed = lib / "streamed.mkv"
    with open(streamed, "wb") as out:  # written to a pipe: ffmpeg cannot go back to size the Segment
        subprocess.run(
            [
                media.FFMPEG,
                "-v",
                "error",
                "-i",
                source,
                "-map",
                "0",
                "-c",
                "copy",
                "-f",
                "matroska",
                "pipe:1",
            ],
            stdout=out,
            check=True,
        )
    age_tree(lib)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    assert vpo("scan", lib).code == 0
    dry = vpo("apply", "--policy", policy, "--dry-run", "--json", streamed)
    assert dry.code == 0, dry
    assert "unknown" in dry.json()["files"][0]["note"] and "remuxed" in dry.json()["files"][0]["note"]
    done = vpo("apply", "--policy", policy, "--json", streamed)
    assert done.code == 0, done
    assert done.json()["files"][0]["status"] == "changed"
    tracks = [(t.language, t.default) for t in media.probe_tracks(streamed) if t.type == "audio"]
    assert tracks == [("eng", True), ("jpn", False)]
    assert sorted(os.listdir(lib)) == ["streamed.mkv", "streamed.mkv.vpo-original"]


def test_an_element_mkvpropedit_moves_to_the_end_is_undone_by_the_journal(
    make_video: Callable[..., Path], tmp_path: Path
) -> None:
    """Real mkvpropedit, an edit the headers have no room for (a long title): it writes the
    element at the end of the file. Writing the journal back and cutting the file to its
    original length gives the original byte for byte."""
    from vpo.edit import journal

    path = make_video(tmp_path / "film.mkv", **FLAGS)
    original = path.read_bytes()
    saved = journal.write(os.fsencode(tmp_path / "journal"), os.fsencode(path), None, None, keep=True)
    subprocess.run(
        ["mkvpropedit", "--quiet", path, "--edit", "track:a1", "--set", "name=" + "x" * 20000], check=True
    )
    assert path.stat().st_size > len(original)  # moved to the end: the file grew
    assert journal.untouched(saved, os.fsencode(path)) is None  # the clusters were not touched
    journal.restore(saved.file, os.fsencode(path))
    assert path.read_bytes() == original


def test_attachments_before_the_clusters_are_in_the_journal(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo
) -> None:
    """A font attached before the first Cluster (as mkvmerge stores attachments) is part of
    the bytes an edit could touch: the journal holds it, and its size says so."""
    source = make_video(tmp_path / "source.mkv", **FLAGS)
    font = tmp_path / "font.ttf"
    font.write_bytes(os.urandom(300_000))
    lib = tmp_path / "lib"
    lib.mkdir()
    path = lib / "fonts.mkv"
    subprocess.run(
        [
            "mkvmerge",
            "--quiet",
            "-o",
            path,
            "--attachment-mime-type",
            "font/ttf",
            "--attach-file",
            font,
            source,
        ],
        check=True,
    )
    age_tree(lib)
    (tmp_path / "policy.yaml").write_text(POLICY)
    assert vpo("scan", lib).code == 0
    original = path.read_bytes()
    done = vpo("apply", "--policy", tmp_path / "policy.yaml", "--json", path)
    assert done.code == 0, done
    kept = done.json()["kept_bytes"]
    assert 300_000 < kept < path.stat().st_size
    undone = vpo("jobs", "undo", done.json()["job_id"], "--json")
    assert undone.code == 0, undone
    assert path.read_bytes() == original


def _segment_size_made_unknown(path: Path) -> None:
    """The Segment's size field overwritten with the unknown-size marker of the same
    length, the file's size and mtime kept: what the scan saw, to a stat."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    pos = 4 + (9 - data[4].bit_length())  # the EBML header's size field ends here
    pos += int.from_bytes(data[4:pos], "big") & ((1 << (7 * (pos - 4))) - 1)
    assert data[pos : pos + 4] == b"\x18\x53\x80\x67"  # the Segment
    length = 9 - data[pos + 4].bit_length()
    data[pos + 4 : pos + 4 + length] = bytes([(2 << (8 - length)) - 1]) + b"\xff" * (length - 1)
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_a_dry_run_reads_the_headers_as_they_are_now(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo
) -> None:
    """Whether the headers can be edited in place is read from the file at apply time,
    not taken from the scan: a head that changed behind a kept size and mtime is seen."""
    lib = tmp_path / "lib"
    kept, changed = make_video(lib / "kept.mkv", **FLAGS), make_video(lib / "changed.mkv", **FLAGS)
    age_tree(lib)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    assert vpo("scan", lib).code == 0
    _segment_size_made_unknown(changed)
    dry = vpo("apply", "--policy", policy, "--dry-run", "--json", lib)
    assert dry.code == 0, dry
    notes = {Path(f["path"]).name: (f["status"], f["note"]) for f in dry.json()["files"]}
    assert notes[kept.name] == ("planned", None), notes
    assert notes[changed.name][0] == "planned" and "unknown" in notes[changed.name][1], notes
    assert "remuxed instead of edited in place" in notes[changed.name][1], notes
