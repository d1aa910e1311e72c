"""Where events cannot be trusted the root is polled: a root set `watch.poll: true` still
sees new, changed and deleted files; a host out of inotify watches falls back to polling
and says why; `vpo watch status` shows each root's state."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import engine
from integration.scanutil import run_vpo
from integration.watching.conftest import Film, Start
from integration.watching.helpers import catalogued, copy_in, file_row, ready, until, write_profile

NO_WATCHES = Path(__file__).resolve().parent / "no_watches"  # its sitecustomize.py


def test_a_polled_root_sees_new_changed_and_deleted_files(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    write_profile(vpo_home, "movies", [lib], extra="  poll: true\n")
    copy_in(film("keeper.mkv", tone=300), lib / "keeper.mkv")  # the root never looks unmounted
    watcher = start_watch()
    row = ready(vpo_home, lib, watcher, mode="polling")
    assert row["reason"] == "watch.poll is true"
    path = lib / "film.mkv"
    first = catalogued(vpo_home, copy_in(film("film.mkv"), path), watcher)
    bigger = film("bigger.mkv", duration=2.0, tone=900)
    shutil.copyfile(bigger, path)  # replaced by a different, larger file: changed
    until(
        lambda: (file_row(vpo_home, path) or {}).get("size") == bigger.stat().st_size,
        "the change catalogued",
        watcher,
    )
    path.unlink()
    gone = catalogued(vpo_home, path, watcher, status="missing")
    assert watcher.stop() == 0, watcher.output()
    assert gone["id"] == first["id"]


def test_a_host_out_of_inotify_watches_falls_back_to_polling_and_says_why(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    write_profile(vpo_home, "movies", [lib])
    pythonpath = os.pathsep.join(filter(None, [str(NO_WATCHES), os.environ.get("PYTHONPATH")]))
    watcher = start_watch(env={"PYTHONPATH": pythonpath})
    row = ready(vpo_home, lib, watcher, mode="polling")
    assert "out of inotify watches" in row["reason"], row
    catalogued(vpo_home, copy_in(film("film.mkv"), lib / "film.mkv"), watcher)
    status = run_vpo(vpo_home, "watch", "status", "--json")
    assert watcher.stop() == 0, watcher.output()
    assert watcher.stderr().count("out of inotify watches") == 1, watcher.output()  # once per root
    (root,) = status.json()["roots"]
    assert root["root"] == str(lib) and root["state"] == "polling" and root["profile"] == "movies"
    assert "max_user_watches" in root["reason"]
    assert root["waiting"] == 0 and root["handled_24h"] == 1
    assert root["pid"] == watcher.pid and root["last_error"] is None


def test_status_lists_the_profiles_roots_nobody_watches(
    vpo_home: Path, lib: Path, vpo_env: dict, db_engine: str
) -> None:
    write_profile(vpo_home, "movies", [lib])
    done = run_vpo(vpo_home, "watch", "status", "--json")
    assert done.code == 0, done
    assert [(r["root"], r["state"]) for r in done.json()["roots"]] == [(str(lib), "not watched")]
    text = run_vpo(vpo_home, "watch", "status")
    assert "not watched" in text.stdout and str(lib) in text.stdout, text
    if db_engine == "sqlite":  # (a database URL always names a catalogue)
        assert not engine.has_catalogue(vpo_home)  # a query: it created no catalogue file
