"""The pipeline, on both engines: a settled file is catalogued (a scan job), the profile's
default policy applied (an apply job), and VPO's own change starts no other round; renames
keep the file's id and history, deletions make it missing, as a scan records them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from integration.scanutil import run_vpo
from integration.watching.conftest import Film, Start
from integration.watching.helpers import (
    BILINGUAL,
    DROP_GERMAN,
    SETTLE,
    catalogued,
    copy_in,
    file_row,
    job_count,
    jobs_of,
    ready,
    rows,
    until,
    write_profile,
)

pytestmark = pytest.mark.engines


def _audio_languages(home: Path, file_id: int) -> list[str]:
    return [
        r[0] for r in rows(home, "SELECT language FROM tracks WHERE file_id = ? AND type = 'audio'", file_id)
    ]


def _policy_applied_once_and_no_loop(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start, quiet_for: float
) -> None:
    policy = vpo_home.parent / "drop-german.yaml"
    policy.write_text(DROP_GERMAN)
    write_profile(vpo_home, "movies", [lib], policy=policy)
    watcher = start_watch()
    ready(vpo_home, lib, watcher)
    dest = copy_in(film("bilingual.mkv", **BILINGUAL), lib / "bilingual.mkv")
    row = catalogued(vpo_home, dest, watcher)

    def applied() -> bool:
        return [t for t, _, _ in jobs_of(vpo_home, row["id"])] == ["scan", "apply"]

    until(applied, "the policy applied to the new file", watcher)
    assert _audio_languages(vpo_home, row["id"]) == ["eng"]
    inspected = run_vpo(vpo_home, "inspect", "--json", dest)
    assert [t["language"] for t in inspected.json()["tracks"] if t["type"] == "audio"] == ["eng"]
    jobs_after = job_count(vpo_home)
    time.sleep(SETTLE + quiet_for)  # the "no further jobs in the following settle + N s"
    assert watcher.stop() == 0, watcher.output()
    assert [(t, o) for t, o, _ in jobs_of(vpo_home, row["id"])] == [("scan", "added"), ("apply", "applied")]
    assert job_count(vpo_home) == jobs_after  # the apply's own change started nothing


def test_a_new_file_is_catalogued_and_the_policy_applied_once(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    _policy_applied_once_and_no_loop(vpo_home, lib, film, start_watch, quiet_for=5)


@pytest.mark.slow
def test_no_further_jobs_for_thirty_seconds_after_the_policy_was_applied(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    _policy_applied_once_and_no_loop(vpo_home, lib, film, start_watch, quiet_for=30)


def test_catalogue_only_when_watch_apply_is_false(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    policy = vpo_home.parent / "drop-german.yaml"
    policy.write_text(DROP_GERMAN)
    write_profile(vpo_home, "movies", [lib], policy=policy, extra="  apply: false\n")
    watcher = start_watch()
    ready(vpo_home, lib, watcher)
    dest = copy_in(film("bilingual.mkv", **BILINGUAL), lib / "bilingual.mkv")
    row = catalogued(vpo_home, dest, watcher)
    assert watcher.stop() == 0, watcher.output()
    assert [t for t, _, _ in jobs_of(vpo_home, row["id"])] == ["scan"]
    assert sorted(_audio_languages(vpo_home, row["id"])) == ["eng", "ger"]


def test_a_renamed_file_keeps_its_id_and_history_and_a_deleted_one_becomes_missing(
    vpo_home: Path, lib: Path, film: Film, start_watch: Start
) -> None:
    write_profile(vpo_home, "movies", [lib])
    watcher = start_watch()
    ready(vpo_home, lib, watcher)
    (lib / "A").mkdir()
    (lib / "B").mkdir()
    first = catalogued(vpo_home, copy_in(film("one.mkv"), lib / "A" / "one.mkv"), watcher)
    doomed = catalogued(vpo_home, copy_in(film("two.mkv", tone=500), lib / "A" / "two.mkv"), watcher)
    moved = lib / "B" / "one renamed.mkv"
    os.rename(lib / "A" / "one.mkv", moved)  # a move between two folders
    (lib / "A" / "two.mkv").unlink()
    after = catalogued(vpo_home, moved, watcher)
    gone = catalogued(vpo_home, lib / "A" / "two.mkv", watcher, status="missing")
    assert watcher.stop() == 0, watcher.output()
    assert after["id"] == first["id"]
    assert gone["id"] == doomed["id"]
    assert [(t, o) for t, o, _ in jobs_of(vpo_home, first["id"])] == [("scan", "added"), ("scan", "moved")]
    history = run_vpo(vpo_home, "jobs", "list", "--file", moved, "--json")
    assert len(history.json()) == 2, history  # the scan that added it under its old name, the move
    assert file_row(vpo_home, lib / "A" / "one.mkv") is None
