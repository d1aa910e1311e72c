"""`apply` over a whole library holds no outcome per file (SPEC section 20): targets are
read a page at a time, planned as they come, and each outcome is handed to the caller's
sink and dropped. Here the live objects are counted while a dry run goes through 40 files."""

from __future__ import annotations

import gc
import os
import shutil
from pathlib import Path

import pytest

import media
from integration.conftest import age_tree
from integration.scanutil import run_vpo
from vpo.apply.outcome import FileOutcome
from vpo.apply.planning import Planned
from vpo.apply.service import ApplyOptions, apply
from vpo.db.connection import open_database
from vpo.policy.loader import load_policy

FILES = 40


def _live(kind: type) -> int:
    return sum(1 for o in gc.get_objects() if type(o) is kind)


@pytest.mark.sqlite_only  # in-process, on the home's own library.db
def test_a_dry_run_hands_each_outcome_on_and_keeps_none(corpus: media.Corpus, tmp_path: Path) -> None:
    lib, home = tmp_path / "lib", tmp_path / "home"
    source = next(v for v in corpus.videos if v.container == "matroska")
    for i in range(FILES):
        folder = lib / f"d-{i // 10}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source.path, folder / f"f-{i:02d}.mkv")
    age_tree(lib)
    assert run_vpo(home, "scan", lib).code == 0
    policy = tmp_path / "policy.yaml"
    policy.write_text("schema_version: 1\naudio_language_preference: [jpn, eng]\n")
    options = ApplyOptions(
        paths=(os.fsencode(lib),), policy=load_policy(policy), policy_path=str(policy), dry_run=True
    )
    seen: list[tuple[str, int, int]] = []

    def sink(outcome: FileOutcome) -> None:
        seen.append((outcome.path, _live(FileOutcome), _live(Planned)))

    gc.collect()
    before = (_live(FileOutcome), _live(Planned))  # what other tests of this process left
    db = open_database(home / "library.db")
    try:
        report = apply(db, options, sink=sink)
    finally:
        db.close()
    assert len(seen) == FILES and report.files == []
    assert sum(report.counts().values()) == FILES
    # the one being handed on, and at most the one before it not yet collected
    assert max(outcomes for _, outcomes, _ in seen) - before[0] <= 2, (before, seen)
    assert max(planned for _, _, planned in seen) - before[1] <= 2, (before, seen)
