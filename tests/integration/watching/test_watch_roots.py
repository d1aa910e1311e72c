"""A root that goes away (an unmounted share, renamed) marks nothing missing and is
rescanned when it is back; nothing is lost across a SIGKILL or while no watcher runs;
SIGHUP picks up a profile added since; SIGINT exits 130."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from integration.watching.conftest import Film, Start
from integration.watching.helpers import (
    catalogued,
    copy_in,
    jobs_of,
    ready,
    rows,
    until,
    watcher_row,
    write_profile,
)


def test_a_root_renamed_away_marks_nothing_missing_and_is_rescanned_when_back(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    write_profile(vpo_home, "movies", [lib])
    (lib / "Films").mkdir()
    watcher = start_watch()
    ready(vpo_home, lib, watcher)
    kept = catalogued(vpo_home, copy_in(film("kept.mkv"), lib / "Films" / "kept.mkv"), watcher)
    away = lib.with_name("lib.away")
    lib.rename(away)  # what an unmounted share looks like from the watcher: its root is gone
    until(lambda: (watcher_row(vpo_home, lib) or {}).get("mode") == "away", "the root reported away", watcher)
    copy_in(film("new.mkv", tone=500), away / "Films" / "new.mkv")  # added while it was away
    away.rename(lib)
    catalogued(vpo_home, lib / "Films" / "new.mkv", watcher)  # the rescan when it came back
    assert watcher_row(vpo_home, lib)["mode"] == "events"  # watched with events again
    assert watcher.stop() == 0, watcher.output()
    assert rows(vpo_home, "SELECT count(*) FROM files WHERE scan_status = 'missing'") == [(0,)]
    assert [o for _, o, _ in jobs_of(vpo_home, kept["id"])] == ["added"]
    assert "Nothing is marked missing" in watcher.stderr()


def test_files_settling_when_the_watcher_is_killed_and_files_added_while_none_ran_are_handled(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    write_profile(vpo_home, "movies", [lib], settle=30)  # nothing settles before the kill
    first = start_watch()
    ready(vpo_home, lib, first)
    waiting = copy_in(film("waiting.mkv"), lib / "waiting.mkv")
    until(
        lambda: rows(vpo_home, "SELECT count(*) FROM watch_files WHERE waiting_since IS NOT NULL") == [(1,)],
        "the new file recorded as waiting to settle",
        first,
    )
    first.kill()  # SIGKILL: no clean-up at all
    later = copy_in(film("later.mkv", tone=500), lib / "later.mkv")  # while no watcher runs
    write_profile(vpo_home, "movies", [lib])  # settle 1 s again, so the test is quick
    second = start_watch()
    catalogued(vpo_home, waiting, second)
    catalogued(vpo_home, later, second)
    assert second.stop() == 0, second.output()


def test_sighup_rereads_the_profiles_and_watches_a_root_added_since(
    vpo_home: Path, tmp_path: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    write_profile(vpo_home, "movies", [lib])
    watcher = start_watch()
    ready(vpo_home, lib, watcher)
    tv = tmp_path / "tv"
    tv.mkdir()
    write_profile(vpo_home, "tv", [tv])
    watcher.proc.send_signal(signal.SIGHUP)
    ready(vpo_home, tv, watcher)
    catalogued(vpo_home, copy_in(film("episode.mkv"), tv / "episode.mkv"), watcher)
    (vpo_home / "profiles" / "tv.yaml").unlink()
    watcher.proc.send_signal(signal.SIGHUP)
    until(lambda: watcher_row(vpo_home, tv) is None, "the removed root let go", watcher)
    assert watcher.stop() == 0, watcher.output()


def test_sigint_stops_the_watcher_with_130_and_lets_go_of_its_roots(
    vpo_home: Path, lib: Path, start_watch: Start
) -> None:
    write_profile(vpo_home, "movies", [lib])
    watcher = start_watch()
    ready(vpo_home, lib, watcher)
    os.kill(watcher.pid, signal.SIGINT)
    assert watcher.proc.wait(timeout=60) == 130, watcher.output()
    assert watcher_row(vpo_home, lib) is None
