"""A FIFO in place of a catalogued file (anyone who can write a library folder can make
one): every command that reads the file reports it, "not a regular file (FIFO)", and goes
on with the others; none waits on it (issue 22, finding 3). Before, `vpo jobs run` and
`vpo check` waited forever in open(), `scan` called the file missing, `inspect` said it
did not exist, `apply` that it had changed, `transcode` queued it, and `jobs undo` said
the file had changed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from integration.conftest import RunVpo
from integration.scanutil import files_by_path
from security.stuck import FIFO_ERROR, GUARD, POLICY, Guard, Lib, guard_fixture, lib_fixture  # noqa: F401


def run(vpo: RunVpo, *args: Any) -> Any:
    """`vpo ARGS --json`: exit 1 (one file failed), one JSON document, no traceback."""
    done = vpo(*args, "--json", timeout=GUARD)
    assert done.code == 1, done
    assert "Traceback" not in done.stderr, done
    return done.json()


@pytest.mark.parametrize(
    "flags",
    [[], pytest.param(["--full"], marks=pytest.mark.slow), ["--verify-hash"]],  # full: the same walk
    ids=["incremental", "full", "hash"],
)
def test_scan_reports_the_fifo_as_that_files_error(
    lib: Lib, vpo: RunVpo, vpo_home: Path, guard: Guard, flags: list[str]
) -> None:
    guard.fifo_in_place(lib.victim)
    doc = run(vpo, "scan", *flags, lib.root)
    assert doc["errors"] == [{"path": str(lib.victim), "error": FIFO_ERROR}]
    assert doc["counts"]["removed"] == 0  # not "missing": it is there, and it is no video
    rows = files_by_path(vpo_home)
    assert (rows[os.fsencode(lib.victim)]["scan_status"], rows[os.fsencode(lib.victim)]["scan_error"]) == (
        "error",
        FIFO_ERROR,
    )
    assert rows[os.fsencode(lib.good)]["scan_status"] == "ok"


@pytest.mark.parametrize("flags", [[], ["--thorough"]], ids=["quick", "thorough"])
def test_check_fails_the_fifo_and_checks_the_rest(
    lib: Lib, vpo: RunVpo, guard: Guard, flags: list[str]
) -> None:
    guard.fifo_in_place(lib.victim)
    doc = run(vpo, "check", *flags, lib.root)
    assert doc["failures"] == [{"path": str(lib.victim), "error": FIFO_ERROR}]
    assert (doc["counts"]["checked"], doc["counts"]["passed"]) == (2, 1)


def test_inspect_says_what_the_file_is(lib: Lib, vpo: RunVpo, guard: Guard) -> None:
    guard.fifo_in_place(lib.victim)
    doc = run(vpo, "inspect", lib.victim)
    assert doc["code"] == "PROBE_FAILED"
    assert doc["details"] == {"path": str(lib.victim), "reason": FIFO_ERROR}


def test_apply_fails_the_fifo_and_changes_the_rest(
    lib: Lib, vpo: RunVpo, guard: Guard, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    guard.fifo_in_place(lib.victim)
    doc = run(vpo, "apply", "--policy", policy, lib.root)
    outcome = {f["path"]: (f["status"], f.get("error")) for f in doc["files"]}
    assert outcome[str(lib.good)] == ("changed", None)
    assert outcome[str(lib.victim)][0] == "failed"
    assert FIFO_ERROR in outcome[str(lib.victim)][1]


def test_transcode_does_not_queue_the_fifo(lib: Lib, vpo: RunVpo, guard: Guard) -> None:
    guard.fifo_in_place(lib.victim)
    doc = run(vpo, "transcode", lib.victim, lib.good)
    assert [(f["path"], f["status"], f["reason"]) for f in doc["files"]] == [
        (str(lib.victim), "failed", FIFO_ERROR),
        (str(lib.good), "queued", None),
    ]


def test_jobs_run_fails_the_fifos_job_and_runs_the_next(lib: Lib, vpo: RunVpo, guard: Guard) -> None:
    queued = vpo("transcode", "--json", lib.victim, lib.good)
    assert queued.code == 0, queued
    victim_job, good_job = (f["job_id"] for f in queued.json()["files"])
    guard.fifo_in_place(lib.victim)  # after it was queued, before the worker reads it
    doc = run(vpo, "jobs", "run", "--workers", "1")
    jobs = {j["id"]: (j["status"], j["error"]) for j in doc["jobs"]}
    assert jobs[victim_job] == ("failed", f"cannot read {lib.victim}: {FIFO_ERROR}")
    assert jobs[good_job][0] in ("completed", "skipped"), jobs


def test_undo_refuses_a_fifo_in_the_results_place(
    lib: Lib, vpo: RunVpo, guard: Guard, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    applied = vpo("apply", "--policy", policy, "--json", lib.good)
    assert applied.code == 0, applied
    guard.fifo_in_place(lib.good)
    doc = run(vpo, "jobs", "undo", applied.json()["job_id"])
    assert [(f["path"], f["status"], f["reason"]) for f in doc["files"]] == [
        (str(lib.good), "refused", FIFO_ERROR)
    ]
