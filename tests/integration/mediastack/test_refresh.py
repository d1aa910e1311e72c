"""After apply (and undo) changed files, every configured service is asked once per folder
(Radarr: once per movie, by the id found for the folder), through the real CLI; a service
that answers 500 or never answers is a warning on the job, never a failure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from integration.conftest import RunVpo
from integration.mediastack.conftest import make_films
from integration.mediastack.helpers import entry, write_config
from protocol.arr import FakeArr, movie
from protocol.jellyfin import FakeMediaBrowser
from protocol.plex import FakePlex


def _stock(radarr: FakeArr, plex: FakePlex, root: Path, folders: list[Path]) -> dict[str, int]:
    """Radarr knows each folder as a movie (ids from 101), Plex has the root as a section
    and an unrelated one; the movie id of each folder."""
    ids = {str(folder): 101 + n for n, folder in enumerate(folders)}
    radarr.items = [movie(i, f, file=f + "/part1.mkv") for f, i in ids.items()]
    radarr.items.append(movie(999, "/elsewhere/Other Film (1999)"))
    radarr.root_folders = [str(root)]
    plex.sections = [("7", "Music", "artist", ["/srv/music"]), ("2", "Films", "movie", [str(root)])]
    return ids


def test_apply_refreshes_each_folder_once_in_every_service(
    vpo: RunVpo,
    vpo_home: Path,
    tmp_path: Path,
    make_video: Callable[..., Path],
    policy_file: Path,
    radarr: FakeArr,
    sonarr: FakeArr,
    plex: FakePlex,
    jellyfin: FakeMediaBrowser,
    emby: FakeMediaBrowser,
) -> None:
    root = tmp_path / "films"
    paths = make_films(make_video, root, folders=5, per_folder=10)
    folders = sorted({p.parent for p in paths})
    ids = _stock(radarr, plex, root, folders)
    write_config(
        vpo_home,
        {
            name: entry(s)
            for name, s in [
                ("radarr", radarr),
                ("sonarr", sonarr),
                ("plex", plex),
                ("jellyfin", jellyfin),
                ("emby", emby),
            ]
        },
    )
    assert vpo("scan", root).code == 0
    assert not radarr.requests and not plex.requests  # a scan changes nothing

    applied = vpo("apply", "--policy", policy_file, "--json", root)
    assert applied.code == 0, applied
    doc = applied.json()
    assert doc["counts"]["changed"] == 50, doc["counts"]
    assert doc["warnings"] == []

    # Radarr: one lookup of the movies, one RescanMovie per movie, with the right id
    assert len(radarr.calls("GET", "/api/v3/movie")) == 1
    rescans = [c.json() for c in radarr.calls("POST", "/api/v3/command")]
    assert sorted(r["movieId"] for r in rescans) == sorted(ids.values())
    assert {r["name"] for r in rescans} == {"RescanMovie"}
    assert all(c.headers["x-api-key"] == radarr.key for c in radarr.requests)
    # Sonarr manages none of them: looked up once, asked nothing
    assert [c.path for c in sonarr.requests] == ["/api/v3/series"]
    # Plex: the section holding the root, each folder once, nothing in the music section
    assert sorted(plex.refreshes()) == sorted(("2", str(f)) for f in folders)
    assert all(c.headers["x-plex-token"] == plex.key for c in plex.requests)
    assert "X-Plex-Token" not in "".join(str(c.query) for c in plex.requests)  # never in the URL
    # Jellyfin and Emby: one Media/Updated per folder, with their own key headers
    for server in (jellyfin, emby):
        assert sorted(u["Path"] for u in server.updates()) == sorted(str(f) for f in folders)
        assert {u["UpdateType"] for u in server.updates()} == {"Modified"}
        assert len(server.requests) == len(folders)
    assert all(
        c.headers["authorization"] == f'MediaBrowser Token="{jellyfin.key}"' for c in jellyfin.requests
    )
    assert all(c.headers["x-emby-token"] == emby.key for c in emby.requests)

    # undo puts the files back: the same folders are refreshed again
    for server in (radarr, plex, jellyfin):
        server.requests.clear()
    radarr.commands.clear()
    undone = vpo("jobs", "undo", doc["job_id"], "--json")
    assert undone.code == 0, undone
    assert undone.json()["counts"]["restored"] == 50
    assert sorted(c.json()["movieId"] for c in radarr.calls("POST", "/api/v3/command")) == sorted(
        ids.values()
    )
    assert sorted(plex.refreshes()) == sorted(("2", str(f)) for f in folders)
    assert len(jellyfin.updates()) == len(folders)


def test_a_failing_or_silent_service_is_a_warning_on_the_job(
    vpo: RunVpo,
    vpo_home: Path,
    tmp_path: Path,
    make_video: Callable[..., Path],
    policy_file: Path,
    radarr: FakeArr,
    plex: FakePlex,
    jellyfin: FakeMediaBrowser,
) -> None:
    root = tmp_path / "films"
    paths = make_films(make_video, root, folders=2, per_folder=2)
    folders = sorted({p.parent for p in paths})
    _stock(radarr, plex, root, folders)
    radarr.mode = "error"  # every answer a 500
    plex.mode = "hang"  # never answers
    write_config(
        vpo_home,
        {"radarr": entry(radarr), "plex": entry(plex), "jellyfin": entry(jellyfin)},
        timeout=0.5,
        retries=1,
    )
    assert vpo("scan", root).code == 0
    applied = vpo("apply", "--policy", policy_file, "--json", root, timeout=60)
    assert applied.code == 0, applied  # the files were changed: the job did not fail
    doc = applied.json()
    assert doc["counts"] == {"planned": 0, "changed": 4, "unchanged": 0, "failed": 0}
    warnings = doc["warnings"]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("radarr: ") and "answered 500" in warnings[0]
    assert warnings[1].startswith("plex: ") and "no answer" in warnings[1]
    assert "radarr: " in applied.stderr and "plex: " in applied.stderr  # logged as warnings too
    assert len(radarr.requests) == 2  # the first attempt and one retry (retries: 1), then given up
    assert len(plex.requests) == 2
    assert len(jellyfin.updates()) == 2  # the others still asked

    job = vpo("jobs", "show", doc["job_id"], "--json").json()
    assert job["status"] == "completed"
    assert job["summary"]["warnings"] == warnings
