"""`vpo hook` run as Radarr and Sonarr run it: imports and upgrades handled as the watcher
handles a settled file, a season pack in one go, renames keeping file ids, deletions making
files missing, other events doing nothing, paths mapped, the profile found by its roots."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from integration.conftest import RunVpo, age_tree
from integration.mediastack.conftest import Hook
from integration.watching.conftest import Film
from integration.watching.helpers import BILINGUAL, DROP_GERMAN, file_row, jobs_of, rows, write_profile


def _movies(vpo_home: Path, lib: Path) -> None:
    """A `movies` profile whose library is `lib`, dropping German audio."""
    policy = vpo_home.parent / "drop-german.yaml"
    policy.write_text(DROP_GERMAN)
    write_profile(vpo_home, "movies", [lib], policy=policy)


def _audio(vpo_home: Path, file_id: int) -> list[str]:
    return [
        r[0]
        for r in rows(
            vpo_home, "SELECT language FROM tracks WHERE file_id = ? AND type = 'audio' ORDER BY idx", file_id
        )
    ]


def _placed(src: Path, dest: Path) -> Path:
    """A film moved into the library, as Radarr's import does, an hour old."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(src, dest)
    age_tree(dest.parent)
    return dest


@pytest.mark.engines
def test_a_radarr_import_is_catalogued_and_the_profiles_policy_applied(
    hook: Hook, vpo_home: Path, lib: Path, film: Film
) -> None:
    _movies(vpo_home, lib)
    dest = _placed(film("in.mkv", **BILINGUAL), lib / "Film (2001)" / "Film (2001).mkv")
    done = hook("Radarr", "Download", "--json", Movie_Id="7", MovieFile_Path=str(dest), IsUpgrade="False")
    assert done.code == 0, done
    report = done.json()
    assert report["event"] == "Download" and report["problems"] == [] and report["notes"] == []
    [batch] = report["batches"]
    assert batch["profile"] == "movies" and batch["scan"]["added"] == 1 and batch["apply_job"]
    row = file_row(vpo_home, dest)
    assert row is not None
    assert [(t, o) for t, o, _ in jobs_of(vpo_home, row["id"])] == [("scan", "added"), ("apply", "applied")]
    assert _audio(vpo_home, row["id"]) == ["eng"]


def test_an_upgrade_replaces_the_old_file_which_becomes_missing(
    hook: Hook, vpo_home: Path, lib: Path, film: Film
) -> None:
    _movies(vpo_home, lib)
    old = _placed(film("old.mkv"), lib / "Film (2001)" / "Film (2001) SD.mkv")
    assert hook("Radarr", "Download", MovieFile_Path=str(old)).code == 0
    new = _placed(film("new.mkv", **BILINGUAL), lib / "Film (2001)" / "Film (2001) HD.mkv")
    old.unlink()
    done = hook(
        "Radarr", "Download", "--json", MovieFile_Path=str(new), IsUpgrade="True", DeletedPaths=str(old)
    )
    assert done.code == 0, done
    assert (file_row(vpo_home, old) or {})["scan_status"] == "missing"
    row = file_row(vpo_home, new)
    assert row is not None and row["scan_status"] == "ok" and _audio(vpo_home, row["id"]) == ["eng"]


def test_a_sonarr_season_pack_is_one_scan_and_one_apply(
    hook: Hook, vpo_home: Path, lib: Path, film: Film
) -> None:
    _movies(vpo_home, lib)
    season = lib / "Show" / "Season 01"
    episodes = [_placed(film(f"e{i}.mkv", **BILINGUAL), season / f"Show S01E0{i}.mkv") for i in (1, 2, 3)]
    done = hook(
        "Sonarr",
        "Download",
        "--json",
        Series_Id="12",
        EpisodeFile_Paths="|".join(str(e) for e in episodes),
        EpisodeFile_Count="3",
    )
    assert done.code == 0, done
    [batch] = done.json()["batches"]
    assert batch["scan"]["added"] == 3 and batch["catalogued"] == 3 and batch["apply_job"]
    for episode in episodes:
        row = file_row(vpo_home, episode)
        assert row is not None and _audio(vpo_home, row["id"]) == ["eng"]


@pytest.mark.engines
def test_a_rename_keeps_the_file_id_and_its_history(
    hook: Hook, vpo_home: Path, lib: Path, film: Film
) -> None:
    _movies(vpo_home, lib)
    before = _placed(film("in.mkv"), lib / "Film" / "film.mkv")
    assert hook("Radarr", "Download", MovieFile_Path=str(before)).code == 0
    row = file_row(vpo_home, before)
    assert row is not None
    after = before.with_name("Film (2001).mkv")
    before.rename(after)
    done = hook(
        "Radarr", "Rename", MovieFile_Paths=str(after), MovieFile_PreviousPaths=str(before), MovieFile_Ids="5"
    )
    assert done.code == 0, done
    assert file_row(vpo_home, before) is None
    moved = file_row(vpo_home, after)
    assert moved is not None and moved["id"] == row["id"] and moved["scan_status"] == "ok"
    assert [o for _, o, _ in jobs_of(vpo_home, row["id"])] == ["added", "moved"]


@pytest.mark.engines
def test_deleted_files_and_series_become_missing(hook: Hook, vpo_home: Path, lib: Path, film: Film) -> None:
    _movies(vpo_home, lib)
    film_path = _placed(film("a.mkv"), lib / "Film" / "film.mkv")
    show = lib / "Show"
    episodes = [_placed(film(f"e{i}.mkv"), show / f"e{i}.mkv") for i in (1, 2)]
    assert hook("Radarr", "Download", MovieFile_Path=str(film_path)).code == 0
    assert hook("Sonarr", "Download", EpisodeFile_Paths="|".join(map(str, episodes))).code == 0
    film_path.unlink()
    done = hook("Radarr", "MovieFileDelete", MovieFile_Path=str(film_path), MovieFile_DeleteReason="Manual")
    assert done.code == 0, done
    assert (file_row(vpo_home, film_path) or {})["scan_status"] == "missing"
    shutil.rmtree(show)
    done = hook("Sonarr", "SeriesDelete", Series_Path=str(show), Series_Id="3")
    assert done.code == 0, done
    assert [(file_row(vpo_home, e) or {}).get("scan_status") for e in episodes] == ["missing", "missing"]


def test_other_events_do_nothing_and_exit_0(hook: Hook, vpo_home: Path) -> None:
    for app, event in (("Radarr", "Grab"), ("Sonarr", "HealthIssue"), ("Radarr", "ApplicationUpdate")):
        done = hook(app, event, "--json", Movie_Id="1")
        assert done.code == 0, done
        assert done.json()["handled"] is False
    assert not (vpo_home / "library.db").exists()  # nothing was catalogued


def test_run_by_hand_without_an_event_is_a_usage_error(vpo: RunVpo) -> None:
    done = vpo("hook")
    assert done.code == 2 and "radarr_eventtype" in done.stderr and "Traceback" not in done.stderr


def test_paths_as_radarr_sees_them_are_mapped_to_this_hosts(
    hook: Hook, vpo_home: Path, lib: Path, film: Film
) -> None:
    _movies(vpo_home, lib)
    (vpo_home / "config.yaml").write_text(f"paths:\n  /data/movies: {json.dumps(str(lib))}\n")
    dest = _placed(film("in.mkv", **BILINGUAL), lib / "Film" / "film.mkv")
    done = hook("Radarr", "Download", "--json", MovieFile_Path="/data/movies/Film/film.mkv")
    assert done.code == 0, done
    row = file_row(vpo_home, dest)
    assert row is not None and _audio(vpo_home, row["id"]) == ["eng"]
    assert done.json()["batches"][0]["profile"] == "movies"


def test_a_file_under_no_profiles_roots_is_catalogued_with_no_policy_and_the_hook_says_so(
    hook: Hook, vpo_home: Path, lib: Path, tmp_path: Path, film: Film
) -> None:
    _movies(vpo_home, lib)
    elsewhere = _placed(film("in.mkv", **BILINGUAL), tmp_path / "elsewhere" / "film.mkv")
    done = hook("Radarr", "Download", MovieFile_Path=str(elsewhere))
    assert done.code == 0, done
    assert "under no profile's roots" in done.stdout and "no policy" in done.stdout
    row = file_row(vpo_home, elsewhere)
    assert row is not None and _audio(vpo_home, row["id"]) == ["eng", "ger"]  # untouched
    assert [t for t, _, _ in jobs_of(vpo_home, row["id"])] == ["scan"]


def test_vpo_profile_overrides_the_roots(
    hook: Hook, vpo: RunVpo, vpo_home: Path, lib: Path, film: Film
) -> None:
    _movies(vpo_home, lib)
    write_profile(vpo_home, "catalogue-only", [])
    dest = _placed(film("in.mkv", **BILINGUAL), lib / "Film" / "film.mkv")
    env = {
        "radarr_eventtype": "Download",
        "radarr_moviefile_path": str(dest),
        "VPO_PROFILE": "catalogue-only",
    }
    done = vpo("hook", "--json", env=env)
    assert done.code == 0, done
    assert done.json()["batches"][0]["profile"] == "catalogue-only"
    row = file_row(vpo_home, dest)
    assert row is not None and _audio(vpo_home, row["id"]) == ["eng", "ger"]
    assert os.path.exists(dest)
