"""What Radarr and Sonarr know of a film's original language, through the hook: a Japanese
film whose first audio track is an English dub keeps its Japanese track under a policy
keeping `[original, eng]`, and the plan says where the original language came from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import media
from integration.conftest import RunVpo, age_tree
from integration.mediastack.conftest import Hook
from integration.watching.conftest import Film
from integration.watching.helpers import rows, write_profile

KEEP_ORIGINAL_AND_ENGLISH = """schema_version: 2
keep:
  audio: {languages: [original, eng]}
"""
DUBBED = {"audio": [("eng", None, True, 2), ("jpn", None, False, 2)]}


def _library(vpo_home: Path, lib: Path) -> None:
    policy = vpo_home.parent / "original-and-english.yaml"
    policy.write_text(KEEP_ORIGINAL_AND_ENGLISH)
    write_profile(vpo_home, "movies", [lib], policy=policy)


def _import(film: Film, lib: Path, name: str) -> Path:
    dest = lib / name / f"{name}.mkv"
    dest.parent.mkdir(parents=True)
    shutil.move(film(f"{name}.mkv", **DUBBED), dest)
    age_tree(dest.parent)
    return dest


def _languages(path: Path) -> list[str]:
    return [t.language for t in media.probe_tracks(path) if t.type == "audio"]


@pytest.mark.engines
@pytest.mark.parametrize("language", ["Japanese", "jpn"])  # a name, or the code Radarr sets
def test_a_japanese_film_keeps_its_japanese_track(
    hook: Hook, vpo: RunVpo, vpo_home: Path, lib: Path, film: Film, language: str
) -> None:
    _library(vpo_home, lib)
    dest = _import(film, lib, "Spirited Away (2001)")
    done = hook(
        "Radarr", "Download", Movie_Id="129", MovieFile_Path=str(dest), Movie_OriginalLanguage=language
    )
    assert done.code == 0, done
    assert "original language jpn, from Radarr" in done.stdout
    assert _languages(dest) == ["eng", "jpn"]  # both kept: jpn is the original
    [(code, source)] = rows(vpo_home, "SELECT language, source FROM original_languages")
    assert (code, source) == ("jpn", "Radarr")
    dry = vpo("apply", "--dry-run", "--json", "--profile", "movies")
    assert dry.code == 0, dry
    [planned] = dry.json()["files"]
    assert planned["original_language"] == {"code": "jpn", "source": "from Radarr"}


def test_without_radarrs_word_the_dub_is_the_original(
    hook: Hook, vpo_home: Path, lib: Path, film: Film
) -> None:
    _library(vpo_home, lib)
    dest = _import(film, lib, "Spirited Away (2001)")
    done = hook("Radarr", "Download", Movie_Id="129", MovieFile_Path=str(dest))
    assert done.code == 0, done
    assert _languages(dest) == ["eng"]  # the first audio track said English: Japanese dropped
    assert rows(vpo_home, "SELECT count(*) FROM original_languages") == [(0,)]


def test_sonarrs_series_language_is_recorded_for_each_episode(
    hook: Hook, vpo_home: Path, lib: Path, film: Film
) -> None:
    _library(vpo_home, lib)
    season = lib / "Show" / "Season 01"
    season.mkdir(parents=True)
    episodes = [shutil.move(film(f"e{i}.mkv", **DUBBED), season / f"e{i}.mkv") for i in (1, 2)]
    age_tree(season)
    done = hook(
        "Sonarr",
        "Download",
        Series_Id="4",
        Series_OriginalLanguage="jpn",
        EpisodeFile_Paths="|".join(str(e) for e in episodes),
    )
    assert done.code == 0, done
    assert "from Sonarr" in done.stdout
    assert [_languages(Path(e)) for e in episodes] == [["eng", "jpn"], ["eng", "jpn"]]
    assert rows(vpo_home, "SELECT count(*) FROM original_languages WHERE source = 'Sonarr'") == [(2,)]
