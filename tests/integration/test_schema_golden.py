"""The schema each engine's migrations make, held by a committed file per engine
(tests/golden/schema-ENGINE.txt): columns with their types and collations, keys and
constraints, indexes, functions, as db/dialect.py's `describe_schema` reads them back from a
fresh catalogue. A change to either engine's migrations shows here as a diff to review."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import engine
from vpo.db.connection import Database, open_database

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
REGENERATE = "VPO_UPDATE_GOLDEN=1 python -m pytest tests/integration/test_schema_golden.py"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Database]]:
    target = tmp_path / "library.db" if request.param == "sqlite" else engine.cluster().new_database()
    db = open_database(target)
    yield request.param, db
    db.close()


def test_a_fresh_catalogue_has_the_committed_schema(fresh: tuple[str, Database]) -> None:
    name, db = fresh
    path = GOLDEN / f"schema-{name}.txt"
    got = "\n".join(db.dialect.describe_schema(db.conn)) + "\n"
    if os.environ.get("VPO_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    want = path.read_text(encoding="utf-8") if path.exists() else ""
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), str(path), "migrated"))
    assert got == want, (
        f"the {name} schema differs from {path}; if intended, regenerate: {REGENERATE}\n{diff}"
    )
