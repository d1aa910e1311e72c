"""A file whose name is as long as the file system allows (255 bytes on ext4, tmpfs, btrfs,
APFS) is applied, transcoded and undone like any other (docs/security.md, "Long file
names"): the names VPO derives from it (the hidden working name of a remux, the kept
original, a container change's new name) are shortened to fit (media/siblings.py), kept
originals are listed by `vpo backups list` and `vpo jobs undo` puts the bytes back.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from integration.conftest import RunVpo, age_tree
from integration.scanutil import query

NAME_MAX = 255
REORDER = dict(audio=[("jpn", None, True), ("eng", None, False)])  # mkvmerge remux: a reorder
POLICY_V1 = "schema_version: 1\naudio_language_preference: [eng]\n"
TO_MKV = "schema_version: 2\ncontainer: mkv\n"


def long_name(total: int, ext: str, char: str = "é") -> str:
    """A name of exactly `total` bytes: `char` repeated (a cut can land inside one), then
    `x` to fill, then `ext`."""
    room = total - len(ext.encode())
    count = room // len(char.encode())
    name = char * count + "x" * (room - count * len(char.encode())) + ext
    assert len(name.encode()) == total
    return name


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def names(folder: Path) -> list[str]:
    """The folder's names, every one at most NAME_MAX bytes and valid UTF-8 (the cut never
    splits a character)."""
    raw = sorted(os.listdir(os.fsencode(folder)))
    assert all(len(n) <= NAME_MAX for n in raw), raw
    return [n.decode("utf-8") for n in raw]


def write_policy(tmp_path: Path, text: str) -> Path:
    policy = tmp_path / "policy.yaml"
    policy.write_text(text)
    return policy


def applied_once(vpo: RunVpo, policy: Path, root: Path) -> dict[str, Any]:
    done = vpo("apply", "--policy", policy, "--json", root)
    assert done.code == 0, done
    doc = done.json()
    assert [f["status"] for f in doc["files"]] == ["changed"] and doc["kept_bytes"] > 0, doc
    return doc


def undone(vpo: RunVpo, job_id: str) -> None:
    done = vpo("jobs", "undo", job_id, "--json")
    assert done.code == 0 and done.json()["counts"]["restored"] == 1, done


def test_a_255_byte_name_is_remuxed_kept_listed_and_undone(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo
) -> None:
    root = tmp_path / "lib"
    name = long_name(NAME_MAX, ".mkv")
    path = make_video(root / name, **REORDER)
    age_tree(root)
    assert vpo("scan", root).code == 0
    before = sha(path)
    doc = applied_once(vpo, write_policy(tmp_path, POLICY_V1), root)
    [kept] = [n for n in names(root) if n != name]
    assert kept.endswith(".mkv.vpo-original") and sha(root / kept) == before
    # a kept original no job knows (a purged job's), under the same shortened name
    shutil.copy(root / kept, root / f"{kept}.3")

    listed = vpo("backups", "list", "--json", root)
    assert listed.code == 0, listed
    assert sorted((i["path"], i["file"], i["job_id"]) for i in listed.json()["items"]) == [
        (str(root / kept), str(path), doc["job_id"]),
        (str(root / f"{kept}.3"), str(path), None),
    ]
    of_file = vpo("backups", "list", "--json", path)  # PATH: the file itself
    assert len(of_file.json()["items"]) == 2, of_file
    os.unlink(root / f"{kept}.3")

    undone(vpo, doc["job_id"])
    assert sha(path) == before and names(root) == [name]


@pytest.mark.parametrize(
    ("name", "converted"),
    [
        (
            long_name(250, ".mp4"),
            long_name(250, ".mp4")[:-4] + ".mkv",
        ),  # fits: only the kept name is shortened
        (long_name(NAME_MAX, ".ts", "t"), None),  # NAME.mkv would be 256 bytes: shortened too
    ],
    ids=["mp4-250-bytes", "ts-255-bytes"],
)
def test_a_long_name_changes_container_and_is_undone(
    name: str,
    converted: str | None,
    make_video: Callable[..., Path],
    tmp_path: Path,
    vpo: RunVpo,
    vpo_home: Path,
) -> None:
    root = tmp_path / "lib"
    path = make_video(root / name, container="mp4", **REORDER)
    age_tree(root)
    assert vpo("scan", root).code == 0
    before = sha(path)
    doc = applied_once(vpo, write_policy(tmp_path, TO_MKV), root)
    (done,) = doc["files"]
    new = Path(done["path"])
    assert done["renamed_from"] == str(path) and new.suffix == ".mkv", done
    if converted is not None:
        assert new.name == converted
    else:
        assert "~" in new.name and len(os.fsencode(new.name)) == NAME_MAX
    [kept] = [n for n in names(root) if n != new.name]
    assert kept.endswith(".vpo-original") and sha(root / kept) == before

    listed = vpo("backups", "list", "--json", root)
    assert [(i["path"], i["file"]) for i in listed.json()["items"]] == [(str(root / kept), str(new))], listed

    undone(vpo, doc["job_id"])
    assert names(root) == [name] and sha(path) == before  # the original, under its own name
    assert query(vpo_home, "SELECT path FROM files") == [(os.fsencode(path),)]


def test_a_255_byte_name_is_transcoded_and_undone(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo
) -> None:
    root = tmp_path / "lib"
    name = long_name(NAME_MAX, ".mkv")
    path = make_video(root / name)
    age_tree(root)
    assert vpo("scan", root).code == 0
    before = sha(path)
    queued = vpo("transcode", "--codec", "hevc", "--json", path)
    [job_id] = [f["job_id"] for f in queued.json()["files"] if f["status"] == "queued"]
    run = vpo("jobs", "run", "--json")
    assert run.code == 0 and run.json()["jobs"][0]["status"] == "completed", run
    [kept] = [n for n in names(root) if n != name]
    assert kept.endswith(".mkv.vpo-original") and sha(root / kept) == before
    undone(vpo, job_id)
    assert sha(path) == before and names(root) == [name]
