"""Settling: a file is handled once its size and mtime stop changing for `watch.settle`
seconds, never mid-copy; a temporary name is never handled, its final name once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from integration.watching.conftest import Film, Start
from integration.watching.helpers import (
    catalogued,
    copy_in,
    file_row,
    jobs_named,
    jobs_of,
    ready,
    write_profile,
    write_slowly,
)

SLOW_SETTLE = 2.0  # the pauses between pieces (0.4 s) stay well below it


def _slow_write_handled_once(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start, seconds: float
) -> None:
    write_profile(vpo_home, "movies", [lib], settle=SLOW_SETTLE)
    watcher = start_watch()
    ready(vpo_home, lib, watcher)
    source = film("slow.mkv")
    dest = lib / "slow.mkv"
    writer = threading.Thread(target=write_slowly, args=(source, dest, seconds))
    writer.start()
    writer.join()
    # While it was being written nothing was catalogued or recorded under its name.
    assert file_row(vpo_home, dest) is None, watcher.output()
    assert jobs_named(vpo_home, dest) == []
    row = catalogued(vpo_home, dest, watcher)
    assert row["size"] == source.stat().st_size  # the whole file, not a piece of it
    assert [(t, o) for t, o, _ in jobs_of(vpo_home, row["id"])] == [("scan", "added")]
    assert watcher.stop() == 0, watcher.output()
    assert [(t, o) for t, o, _ in jobs_of(vpo_home, row["id"])] == [("scan", "added")]


def test_a_file_written_slowly_is_handled_once_after_it_settles(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    _slow_write_handled_once(vpo_home, lib, film, start_watch, seconds=6)


@pytest.mark.slow
def test_a_file_written_over_twenty_seconds_is_handled_once_after_it_settles(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    _slow_write_handled_once(vpo_home, lib, film, start_watch, seconds=20)


def test_a_part_file_renamed_at_the_end_is_handled_once_under_its_final_name(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    write_profile(vpo_home, "movies", [lib])
    watcher = start_watch()
    ready(vpo_home, lib, watcher)
    part = copy_in(film("movie.mkv"), lib / "movie.mkv.part")
    marker = copy_in(film("marker.mkv", tone=700), lib / "marker.mkv")
    # The marker, which arrived after the .part file, is handled: the .part had time too.
    catalogued(vpo_home, marker, watcher)
    final = lib / "movie.mkv"
    part.rename(final)
    row = catalogued(vpo_home, final, watcher)
    assert watcher.stop() == 0, watcher.output()
    assert file_row(vpo_home, part) is None
    assert jobs_named(vpo_home, part) == []
    assert [(t, o) for t, o, _ in jobs_of(vpo_home, row["id"])] == [("scan", "added")]


def test_hidden_and_ignored_names_are_never_handled(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    write_profile(vpo_home, "movies", [lib], extra="  ignore: ['*.tmp', 'sample-*']\n")
    watcher = start_watch()
    ready(vpo_home, lib, watcher)
    skipped = [
        copy_in(film("a.mkv"), lib / ".hidden.mkv"),
        copy_in(film("b.mkv", tone=500), lib / "sample-b.mkv"),
        copy_in(film("c.mkv", tone=600), lib / ".vpo-tmp-1-0123abcd.mkv"),
    ]
    marker = copy_in(film("marker.mkv", tone=700), lib / "marker.mkv")
    catalogued(vpo_home, marker, watcher)
    assert watcher.stop() == 0, watcher.output()
    assert [file_row(vpo_home, p) for p in skipped] == [None, None, None]
