"""File names and track titles written by strangers reach the terminal as text, never as
commands to it: every table, plan, summary and warning shows their control characters
escaped (`\\x1b`, `\\x07`, `\\u009b`, `\\n`, `\\xff` for a byte that is not UTF-8), so no
escape sequence retitles or recolours the terminal and no newline in a name forges a line.
`--json` keeps the exact value.

One library of hostile names (tests/security/hostile.py), each file with a hostile audio
title, is scanned and applied once for the module (a schema 2 policy that reorders the
audio, clears the hostile title and warns); each test reads it back through one group of
commands.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from integration.conftest import Result
from security.hostile import (
    NAMES,
    NAMES_SHOWN,
    TITLE,
    TITLE_SHOWN,
    assert_inert,
    build_library,
    run_vpo,
)

POLICY = """\
schema_version: 2
audio_language_preference: [eng]
labels:
  clear_titles_matching: ['pwned']
rules:
  - when: {}
    action: warn
    reason: look at this one
"""


@dataclass
class Library:
    root: Path
    home: Path
    policy: Path
    paths: dict[str, bytes]  # by NAMES key
    scan_job: str
    dry: Result  # apply --dry-run, text
    dry_json: Result
    applied: Result  # apply, text, -v
    apply_job: str

    def vpo(self, *args: object) -> Result:
        result = run_vpo(self.home, *args)
        assert result.code in (0, 1), result
        return result


@pytest.fixture(scope="module")
def lib(make_video: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Library:
    base = tmp_path_factory.mktemp("hostile")
    root, home, policy = base / "lib", base / "home", base / "policy.yaml"
    paths = build_library(make_video, root)
    policy.write_text(POLICY)
    scan = run_vpo(home, "scan", "--json", root)
    assert scan.code == 0 and scan.json()["counts"]["added"] == len(NAMES), scan
    dry = run_vpo(home, "apply", "--dry-run", "--policy", policy, root)
    dry_json = run_vpo(home, "apply", "--dry-run", "--json", "--policy", policy, root)
    applied = run_vpo(home, "-v", "apply", "--policy", policy, root)
    assert applied.code == 0, applied
    jobs = run_vpo(home, "jobs", "list", "--type", "apply", "--json").json()
    return Library(root, home, policy, paths, scan.json()["job_id"], dry, dry_json, applied, jobs[0]["id"])


def shown(lib: Library, key: str) -> str:
    """How a person sees the file's path: the root as it is, the name escaped."""
    return f"{lib.root}/{NAMES_SHOWN[key]}"


def assert_names_shown(text: str, lib: Library, what: object) -> None:
    assert_inert(text, what)
    for key in NAMES_SHOWN:
        assert shown(lib, key) in text, (key, what, text)
    for key in ("dash", "equals"):
        assert os.fsdecode(lib.paths[key]) in text, (key, what, text)


def test_files_report_and_jobs_list_show_names_escaped(lib: Library) -> None:
    for args in (("files",), ("report",)):
        result = lib.vpo(*args)
        assert_names_shown(result.stdout, lib, args)
        assert_inert(result.stderr, args)
    # a table measures the escaped text: every row of `vpo files` is as wide as its header
    # says (the size column is right-aligned, so rows line up only if widths are right)
    rows = lib.vpo("files").stdout.splitlines()
    assert len({row.index(" ok ") for row in rows[1:-1]}) == 1, rows
    listing = lib.vpo("jobs", "list")
    assert_inert(listing.stdout, "jobs list")


def test_inspect_shows_the_name_and_title_escaped(lib: Library) -> None:
    for key in NAMES_SHOWN:
        result = lib.vpo("inspect", lib.paths[key])
        assert_inert(result.stdout + result.stderr, key)
        assert result.stdout.splitlines()[0] == shown(lib, key), result
        # the title was cleared by the apply; the kept original still has it
        original = lib.vpo("inspect", lib.paths[key] + b".vpo-original")
        assert_inert(original.stdout, key)
        assert TITLE_SHOWN in original.stdout, original


def test_apply_plan_and_its_warnings_show_names_and_titles_escaped(lib: Library) -> None:
    plan = lib.dry.stdout
    assert lib.dry.code == 0, lib.dry
    assert_names_shown(plan, lib, "apply --dry-run")
    assert TITLE_SHOWN in plan  # in the plan's table and the action that clears it
    assert f"clear_title track 1: {TITLE_SHOWN} -> " in plan, plan
    assert plan.count("warning: rule 1: look at this one") == len(NAMES), plan
    # the real apply logs each warning with the file's name, on stderr
    assert_inert(lib.applied.stdout, "apply")
    assert_inert(lib.applied.stderr, "apply stderr")
    warnings = [line for line in lib.applied.stderr.splitlines() if line.startswith("vpo: WARNING: ")]
    for key in NAMES_SHOWN:
        assert f"vpo: WARNING: {shown(lib, key)}: rule 1: look at this one" in warnings, lib.applied


def test_jobs_show_escapes_paths_titles_and_details(lib: Library) -> None:
    for job in (lib.scan_job, lib.apply_job):
        result = lib.vpo("jobs", "show", job)
        assert_names_shown(result.stdout, lib, job)
    detail = lib.vpo("jobs", "show", lib.apply_job).stdout
    assert TITLE_SHOWN in detail, detail  # the actions, and the tracks before


def test_backups_and_undo_show_names_escaped(lib: Library) -> None:
    kept = lib.vpo("backups", "list")
    assert_names_shown(kept.stdout, lib, "backups list")
    undo = lib.vpo("jobs", "undo", "--dry-run", lib.apply_job)
    assert_names_shown(undo.stdout, lib, "undo --dry-run")


def test_json_keeps_every_name_and_title_exact(lib: Library) -> None:
    expected = sorted(lib.paths.values())
    listed = lib.vpo("files", "--json").json()
    assert sorted(os.fsencode(f["path"]) for f in listed) == expected
    planned = lib.dry_json.json()["files"]
    assert sorted(os.fsencode(f["path"]) for f in planned) == expected
    cleared = [a for f in planned for a in f["actions"] if a["action"] == "clear_title"]
    assert [a["from"] for a in cleared] == [TITLE] * len(NAMES), cleared
    shown_job = lib.vpo("jobs", "show", lib.scan_job, "--json").json()
    assert sorted(os.fsencode(f["path"]) for f in shown_job["files"]) == expected
    probed = lib.vpo("inspect", "--json", lib.paths["osc"] + b".vpo-original").json()
    assert TITLE in [t["title"] for t in probed["tracks"]], probed
