"""Signals in the middle of a step: SIGTERM lets it finish and exits 0; SIGINT stops it as
the interrupted command would (the apply cancelled, the file as it was) and exits 130.
The step is made long with an mkvmerge that waits a few seconds before working."""

from __future__ import annotations

import os
import signal
import stat
import textwrap
from pathlib import Path

from integration.watching.conftest import Film, Start
from integration.watching.helpers import BILINGUAL, DROP_GERMAN, copy_in, ready, rows, until, write_profile


def _slow_mkvmerge(folder: Path) -> Path:
    tool = folder / "slow-mkvmerge"
    tool.write_text(
        textwrap.dedent(
            """\
            #!/bin/sh
            case "$1" in --version|-V) exec mkvmerge "$@";; esac
            sleep 2
            exec mkvmerge "$@"
            """
        )
    )
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return tool


def _applying(vpo_home: Path, tmp_path: Path, lib: Path, film: Film, start_watch: Start) -> tuple:
    """A watcher in the middle of applying a policy to a new file: (watcher, file)."""
    policy = tmp_path / "drop-german.yaml"
    policy.write_text(DROP_GERMAN)
    tool = _slow_mkvmerge(tmp_path)
    write_profile(vpo_home, "movies", [lib], policy=policy, extra=f"tools:\n  mkvmerge: {tool}\n")
    watcher = start_watch()
    ready(vpo_home, lib, watcher)
    dest = copy_in(film("bilingual.mkv", **BILINGUAL), lib / "bilingual.mkv")
    until(
        lambda: (
            rows(vpo_home, "SELECT count(*) FROM jobs WHERE type = 'apply' AND status = 'running'") == [(1,)]
        ),
        "an apply running",
        watcher,
    )
    return watcher, dest


def _apply_status(vpo_home: Path) -> str:
    return rows(vpo_home, "SELECT status FROM jobs WHERE type = 'apply'")[0][0]


def test_sigterm_in_the_middle_of_an_apply_lets_it_finish_and_exits_0(
    vpo_home: Path, tmp_path: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    watcher, dest = _applying(vpo_home, tmp_path, lib, film, start_watch)
    before = dest.read_bytes()
    watcher.proc.send_signal(signal.SIGTERM)
    assert watcher.proc.wait(timeout=120) == 0, watcher.output()
    assert _apply_status(vpo_home) == "completed"
    assert dest.read_bytes() != before  # the German track went


def test_sigint_in_the_middle_of_an_apply_cancels_it_and_exits_130(
    vpo_home: Path, tmp_path: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    watcher, dest = _applying(vpo_home, tmp_path, lib, film, start_watch)
    before = dest.read_bytes()
    os.kill(watcher.pid, signal.SIGINT)
    assert watcher.proc.wait(timeout=120) == 130, watcher.output()
    assert _apply_status(vpo_home) == "cancelled"
    assert dest.read_bytes() == before  # as it was
    assert rows(vpo_home, "SELECT count(*) FROM watchers") == [(0,)]  # let go of its root
