"""A damaged catalogue: `library.db` cut short (to half, to its header, by its last page) or
with a table's page overwritten. Every command that needs the catalogue exits 2 with one
line that names the file and points at `vpo doctor` (the JSON error object with `--json`),
never a traceback, and leaves the file as it was for the user to look at; `vpo doctor`
says the database is bad. (test_scan_first.py covers a file that is not SQLite at all.)"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import tempfile
from pathlib import Path

import pytest

import media_libraries
from integration.conftest import RunVpo, age_tree
from integration.scanutil import SPEC_ERROR_KEYS, assert_no_traceback, error_line, run_vpo

pytestmark = pytest.mark.sqlite_only  # the SQLite file itself, cut and overwritten

POLICY = "schema_version: 1\naudio_language_preference: [eng]\n"
COMMANDS = {
    "scan": lambda root, policy: ["scan", root],
    "jobs list": lambda root, policy: ["jobs", "list"],
    "jobs show": lambda root, policy: ["jobs", "show", "0123abcd"],
    "apply": lambda root, policy: ["apply", "--dry-run", "--policy", policy, root],
}


@pytest.fixture(scope="module")
def catalogued(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, bytes]:
    """A library, a policy and the bytes of a healthy catalogue of it (several pages)."""
    base = tmp_path_factory.mktemp("corrupt")
    root = media_libraries.make_bulk_library(base / "lib", count=40, dirs=4)
    age_tree(root)
    (base / "policy.yaml").write_text(POLICY)
    assert run_vpo(base / "home", "scan", root).code == 0
    assert run_vpo(base / "home", "scan", "--full", root).code == 0  # more jobs, more pages
    data = (base / "home" / "library.db").read_bytes()
    assert len(data) >= 8 * 4096
    return root, base / "policy.yaml", data


def damaged(home: Path, data: bytes) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    db = home / "library.db"
    db.write_bytes(data)
    return db


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_refused(
    vpo: RunVpo, db: Path, args: list, *, json_too: bool = True, unchanged: bool = True
) -> None:
    before = digest(db)
    result = vpo(*args)
    assert result.code == 2, result
    line = error_line(result)
    assert str(db) in line and "vpo doctor" in line, line
    if json_too:
        doc = vpo(*args, "--json").json()
        assert set(doc) == SPEC_ERROR_KEYS and doc["error"] is True, doc
        assert doc["code"] == "DATABASE_ERROR" and "vpo doctor" in doc["message"], doc
    if unchanged:
        assert digest(db) == before  # left as it was


@pytest.mark.parametrize("command", list(COMMANDS))
def test_cut_to_half(command: str, catalogued: tuple[Path, Path, bytes], vpo: RunVpo, vpo_home: Path) -> None:
    root, policy, data = catalogued
    db = damaged(vpo_home, data[: len(data) // 2])
    assert_refused(vpo, db, COMMANDS[command](root, policy))


@pytest.mark.parametrize("cut", ["header only", "first page only", "last page lost"])
def test_cut_elsewhere(cut: str, catalogued: tuple[Path, Path, bytes], vpo: RunVpo, vpo_home: Path) -> None:
    root, _, data = catalogued
    size = {"header only": 100, "first page only": 4096, "last page lost": len(data) - 4096}[cut]
    db = damaged(vpo_home, data[:size])
    assert_refused(vpo, db, ["scan", root], json_too=False)


def test_doctor_says_the_database_is_bad(
    catalogued: tuple[Path, Path, bytes], vpo: RunVpo, vpo_home: Path
) -> None:
    _, _, data = catalogued
    db = damaged(vpo_home, data[: len(data) // 2])
    before = digest(db)
    result = vpo("doctor", "--json")
    assert_no_traceback(result)
    assert result.code != 0, result
    [check] = [c for c in result.json()["checks"] if c["name"] == "database"]
    assert check["ok"] is False and str(db) in check["detail"], check
    assert digest(db) == before


def _overwrite_table_root(data: bytes, table: str) -> bytes:
    """`data` with the first page of `table` (or index) replaced by seeded noise: SQLite
    opens the file and reads the schema fine, and fails only when a command reads it."""
    fd, name = tempfile.mkstemp(suffix=".db")
    os.close(fd)
    path = Path(name)
    try:
        path.write_bytes(data)
        conn = sqlite3.connect(path)
        [(root_page,)] = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchall()
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.close()
    finally:
        path.unlink(missing_ok=True)
    start = (root_page - 1) * page_size
    noise = random.Random(table).randbytes(page_size)
    return data[:start] + noise + data[start + page_size :]


@pytest.mark.parametrize(
    "damage, args",
    [
        # a rescan reads the trusted rows through this index, in the Rust walker
        ("files_trusted", ["scan"]),
        # a full scan reads the table itself (a no-change rescan never needs its pages)
        ("files", ["scan", "--full"]),
    ],
)
def test_damaged_table_found_mid_command(
    damage: str, args: list[str], catalogued: tuple[Path, Path, bytes], vpo: RunVpo, vpo_home: Path
) -> None:
    root, _, data = catalogued
    db = damaged(vpo_home, _overwrite_table_root(data, damage))
    # The damage is met after the scan's job row was written: the job records the failure.
    assert_refused(vpo, db, [*args, root], unchanged=False)
    conn = sqlite3.connect(db)
    try:
        status, message = conn.execute(
            "SELECT status, error_message FROM jobs ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    assert status == "failed" and "malformed" in message, (status, message)


def test_damaged_table_is_found_by_doctor(
    catalogued: tuple[Path, Path, bytes], vpo: RunVpo, vpo_home: Path
) -> None:
    _, _, data = catalogued
    db = damaged(vpo_home, _overwrite_table_root(data, "files"))
    before = digest(db)
    result = vpo("doctor", "--json")
    assert_no_traceback(result)
    [check] = [c for c in json.loads(result.stdout)["checks"] if c["name"] == "database"]
    assert check["ok"] is False, check
    assert digest(db) == before
