"""Profiles name their library (`roots`): with --profile (or VPO_PROFILE) and no PATH, scan,
check, apply, transcode, files, report and backups work on those roots; a PATH given still
wins; without either, the commands that need a PATH exit 2 naming the profiles with roots,
and the others mean the whole catalogue, as before (SPEC section 17)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from integration.conftest import RunVpo, age_tree
from integration.profiles.helpers import write
from integration.scanutil import error_line

pytestmark = pytest.mark.engines


@pytest.fixture
def libraries(tmp_path: Path, vpo_home: Path, make_video: Callable[..., Path]) -> dict[str, Path]:
    """Two libraries of one film each; `movies` names the first as its root (through `~`)."""
    movies, tv = tmp_path / "movies", tmp_path / "tv"
    make_video(movies / "film.mkv", audio=[("eng", None, True, 2), ("ita", None, False, 2)])
    make_video(tv / "episode.mkv", tone=500)
    age_tree(tmp_path)
    policy = write(tmp_path / "policy.yaml", "schema_version: 1\naudio_language_preference: [ita]\n")
    write(
        vpo_home / "profiles" / "movies.yaml",
        f"roots: [{json.dumps(str(movies))}]\ndefault_policy: {json.dumps(str(policy))}\n",
    )
    write(vpo_home / "profiles" / "plain.yaml", "description: no roots\n")
    return {"movies": movies, "tv": tv}


def test_scan_with_a_profile_and_no_path_scans_its_roots(vpo: RunVpo, libraries: dict[str, Path]) -> None:
    done = vpo("scan", "--profile", "movies", "--json")
    assert done.code == 0, done
    assert done.json()["roots"] == [str(libraries["movies"])]
    assert done.json()["counts"]["added"] == 1
    named = vpo("scan", "--json", libraries["tv"], env={"VPO_PROFILE": "movies"})
    assert named.json()["roots"] == [str(libraries["tv"])]  # a PATH given wins


@pytest.mark.parametrize("command", ["scan", "apply", "transcode"])
def test_a_command_that_needs_a_path_names_the_profiles_with_roots(
    vpo: RunVpo, libraries: dict[str, Path], command: str
) -> None:
    done = vpo(command)
    assert done.code == 2, done
    assert "profiles with roots: movies" in error_line(done), done
    plain = vpo(command, "--profile", "plain")
    assert plain.code == 2 and "'plain' names no roots" in error_line(plain), plain


def test_the_other_commands_work_on_the_roots_or_the_whole_catalogue(
    vpo: RunVpo, libraries: dict[str, Path]
) -> None:
    assert vpo("scan", libraries["movies"], libraries["tv"]).code == 0
    movies = str(libraries["movies"] / "film.mkv")
    everything = sorted([movies, str(libraries["tv"] / "episode.mkv")])
    assert [f["path"] for f in vpo("files", "--json", "--profile", "movies").json()] == [movies]
    assert sorted(f["path"] for f in vpo("files", "--json").json()) == everything
    report = vpo("report", "--json", env={"VPO_PROFILE": "movies"}).json()
    assert report["roots"] == [str(libraries["movies"])]
    checked = vpo("check", "--json", "--profile", "movies").json()
    assert checked["counts"]["checked"] == 1
    assert vpo("check", "--json", "--recheck").json()["counts"]["checked"] == 2
    assert vpo("backups", "list", "--json", "--profile", "movies").code == 0


def test_apply_and_transcode_with_a_profile_and_no_path_plan_its_roots(
    vpo: RunVpo, libraries: dict[str, Path]
) -> None:
    assert vpo("scan", libraries["movies"], libraries["tv"]).code == 0
    planned = vpo("apply", "--profile", "movies", "--dry-run", "--json")
    assert planned.code == 0, planned
    assert [f["path"] for f in planned.json()["files"]] == [str(libraries["movies"] / "film.mkv")]
    queued = vpo("transcode", "--profile", "movies", "--dry-run", "--json")
    assert [f["path"] for f in queued.json()["files"]] == [str(libraries["movies"] / "film.mkv")]


def test_roots_must_be_absolute_and_are_shown_by_profiles_show(vpo: RunVpo, vpo_home: Path) -> None:
    write(vpo_home / "profiles" / "bad.yaml", "roots:\n  - media/movies\n")
    done = vpo("profiles", "show", "bad")
    assert done.code == 2
    assert f"{vpo_home / 'profiles' / 'bad.yaml'}:2: roots: 'media/movies' is not an absolute path" in (
        error_line(done)
    )
    write(vpo_home / "profiles" / "good.yaml", "roots: [~/films]\nwatch: {settle: 5}\n")
    shown = vpo("profiles", "show", "good", "--json").json()
    assert shown["roots"] == [str(Path.home() / "films")]
    assert shown["effective"]["watch"]["settle"] == 5
    assert shown["sources"]["watch.settle"] == "profile:good"
    assert shown["sources"]["watch.poll_interval"] == "default"
