"""One watcher per root per catalogue: a second one exits 2 naming the holder's host and
pid; with --standby it waits and takes over once the first is gone."""

from __future__ import annotations

import os
from pathlib import Path

from integration.watching.conftest import Film, Start
from integration.watching.helpers import catalogued, copy_in, ready, until, watcher_row, write_profile


def test_a_second_watcher_exits_2_naming_the_holder_and_a_standby_takes_over(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    write_profile(vpo_home, "movies", [lib])
    first = start_watch()
    ready(vpo_home, lib, first)
    second = start_watch()
    assert second.proc.wait(timeout=60) == 2, second.output()
    (line,) = [x for x in second.stderr().splitlines() if x.startswith("Error: ")]
    assert f"watched by process {first.pid} on {os.uname().nodename}" in line, second.output()
    assert "--standby" in line
    standby = start_watch("--standby")
    until(lambda: "standing by" in standby.output(), "the standby waiting", standby)
    assert watcher_row(vpo_home, lib)["pid"] == first.pid
    first.kill()
    ready(vpo_home, lib, standby)  # taken over
    catalogued(vpo_home, copy_in(film("film.mkv"), lib / "film.mkv"), standby)
    assert standby.stop() == 0, standby.output()
    assert watcher_row(vpo_home, lib) is None  # let go on the way out
