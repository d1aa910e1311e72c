"""`vpo doctor [--json]` (SPEC 9): tools and versions, PyAV, the extension, the database,
config and profile validity. Exit 0 when all is sound, 1 when something needs attention;
a broken config or profile is reported, not fatal; the database is only read."""

from __future__ import annotations

import shutil
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import pytest

import engine
import media
from integration.conftest import Result, RunVpo
from integration.scanutil import assert_no_traceback

TOOLS = ("ffmpeg", "ffprobe", "mkvmerge", "mkvpropedit", "mkvextract")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def checks(result: Result) -> dict[str, dict[str, Any]]:
    assert_no_traceback(result)
    doc = result.json()
    assert set(doc) >= {"ok", "home", "checks"}
    for check in doc["checks"]:
        assert set(check) == {"name", "ok", "detail", "data"}, check
        assert isinstance(check["ok"], bool) and isinstance(check["detail"], str)
    by_name = {c["name"]: c for c in doc["checks"]}
    assert len(by_name) == len(doc["checks"]), "duplicate check names"
    assert doc["ok"] == all(c["ok"] for c in doc["checks"])
    assert result.code == (0 if doc["ok"] else 1), result
    return by_name


def failing(found: dict[str, dict[str, Any]]) -> set[str]:
    return {name for name, c in found.items() if not c["ok"]}


@pytest.fixture(scope="module")
def all_tools_present() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:  # doctor's own verdict would then be "BAD" for a reason outside VPO
        pytest.fail(f"these tests need {', '.join(missing)} on PATH (make system-deps)")


def test_fresh_home_is_healthy_and_doctor_creates_no_database(
    vpo: RunVpo, vpo_home: Path, all_tools_present: None
) -> None:
    result = vpo("doctor", "--json")
    found = checks(result)
    assert result.json()["ok"] is True, result
    assert result.json()["home"] == str(vpo_home)
    assert result.json()["profile"] is None
    for tool in TOOLS:
        check = found[f"tool:{tool}"]
        assert check["data"]["path"] == shutil.which(tool)
        assert check["data"]["version"] and check["data"]["version"][0].isdigit(), check
        assert check["data"]["version"] in check["detail"]
    assert found["pyav"]["data"]["version"]
    assert found["extension"]["detail"].startswith("vpo._core ")
    if engine.url_for(vpo_home) is None:
        assert found["database"]["detail"].endswith("(not created yet)")
    else:  # the (empty) PostgreSQL database exists already
        assert found["database"]["detail"].endswith("empty (created on first use)")
        assert found["database"]["data"]["schema_version"] == 0
    assert found["config"]["data"] == {"path": str(vpo_home / "config.yaml"), "present": False}
    assert found["settings"]["ok"] and found["log file"]["ok"]
    assert not (vpo_home / "library.db").exists()  # doctor only looks
    assert not engine.has_catalogue(vpo_home)


def test_after_a_scan_it_reports_schema_and_counts(vpo: RunVpo, vpo_home: Path, corpus: media.Corpus) -> None:
    assert vpo("scan", "--json", corpus.root).code == 1  # the corpus holds broken files
    db = checks(vpo("doctor", "--json"))["database"]
    assert db["ok"] is True
    assert db["data"]["schema_version"] == db["data"]["supported_schema"] >= 1
    assert db["data"]["files"] == len(corpus.files)
    assert db["data"]["jobs"] == 1
    # SQLite's own check; none on PostgreSQL, whose server guards its pages (nothing faked)
    assert db["data"]["integrity"] == ("ok" if engine.url_for(vpo_home) is None else None)


def test_database_from_a_newer_vpo_is_reported_and_left_alone(vpo: RunVpo, vpo_home: Path) -> None:
    vpo_home.mkdir(parents=True)
    if engine.url_for(vpo_home) is None:
        conn = sqlite3.connect(vpo_home / "library.db")
        conn.execute("PRAGMA user_version = 999")
        conn.close()
        before = (vpo_home / "library.db").read_bytes()
    else:
        assert vpo("jobs", "list").code == 0  # the schema, then a version from the future
        conn = engine.connect(vpo_home)
        conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 'x')")
        conn.close()
    found = checks(vpo("doctor", "--json"))
    assert failing(found) == {"database"}
    assert "newer than this VPO supports" in found["database"]["detail"]
    assert found["database"]["data"]["schema_version"] == 999
    if engine.url_for(vpo_home) is None:
        assert (vpo_home / "library.db").read_bytes() == before


@pytest.mark.sqlite_only
def test_a_file_that_is_not_a_database(vpo: RunVpo, vpo_home: Path) -> None:
    write(vpo_home / "library.db", "this is not sqlite\n" * 100)
    found = checks(vpo("doctor", "--json"))
    assert failing(found) == {"database"}
    assert "not a database" in found["database"]["detail"]


def test_broken_config_is_reported_not_fatal(vpo: RunVpo, vpo_home: Path) -> None:
    path = write(vpo_home / "config.yaml", "scan:\n  workers: 2\n  wrokers: 3\n")
    result = vpo("doctor", "--json")
    found = checks(result)
    assert result.code == 1
    assert failing(found) == {"config", "settings"}
    assert found["config"]["detail"].startswith(f"{path}:3: scan.wrokers: unknown key 'wrokers'")
    assert found["settings"]["data"]["code"] == "CONFIG_INVALID"
    assert found["settings"]["data"]["details"]["line"] == 3
    assert all(found[f"tool:{t}"]["ok"] for t in TOOLS)  # the rest is still checked


def test_broken_and_good_profiles_each_get_a_check(vpo: RunVpo, vpo_home: Path) -> None:
    write(vpo_home / "profiles" / "base.yaml", "scan:\n  workers: 2\n")
    write(vpo_home / "profiles" / "movies.yaml", "extends: base\n")
    bad = write(vpo_home / "profiles" / "tv.yaml", "extends: series\n")
    found = checks(vpo("doctor", "--json"))
    assert failing(found) == {"profile:tv"}
    assert found["profile:movies"]["data"]["extends"] == "base"
    assert found["profile:tv"]["detail"].startswith(f"{bad}:1: extends: profile 'series' not found")


def test_unknown_selected_profile_is_reported(vpo: RunVpo, vpo_home: Path) -> None:
    write(vpo_home / "profiles" / "movies.yaml", "{}\n")
    result = vpo("doctor", "--json", env={"VPO_PROFILE": "moveis"})
    found = checks(result)
    assert result.json()["profile"] == "moveis"
    assert failing(found) == {"settings"}
    assert found["settings"]["data"]["code"] == "PROFILE_NOT_FOUND"
    assert "available: movies" in found["settings"]["detail"]
    ok = checks(vpo("doctor", "--json", "--profile", "movies"))
    assert ok["settings"]["ok"] and ok["settings"]["detail"] == "profile movies"


def test_tools_come_from_the_settings(vpo: RunVpo, vpo_home: Path, tmp_path: Path) -> None:
    write(
        vpo_home / "config.yaml",
        f"""
        tools:
          mkvmerge: {tmp_path / "nowhere" / "mkvmerge"}
          mkvpropedit: /bin/false
    """,
    )
    found = checks(vpo("doctor", "--json"))
    assert failing(found) == {"tool:mkvmerge", "tool:mkvpropedit"}
    assert found["tool:mkvmerge"]["detail"].startswith(f"{tmp_path / 'nowhere' / 'mkvmerge'} not found")
    assert "failed (exit status 1)" in found["tool:mkvpropedit"]["detail"]


def test_unusable_log_file_is_reported(vpo: RunVpo, tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("x")
    result = vpo("--log-file", tmp_path / "file.txt" / "sub" / "vpo.log", "doctor", "--json")
    found = checks(result)
    assert failing(found) == {"log file"}
    assert "VPO logs to stderr instead" in found["log file"]["detail"]
    assert result.stderr.count("vpo: warning: cannot open log file") == 1


def test_text_output_one_line_per_check(vpo: RunVpo, vpo_home: Path) -> None:
    write(vpo_home / "profiles" / "broken.yaml", "scan: [\n")
    result = vpo("doctor")
    assert result.code == 1, result
    lines = result.stdout.splitlines()
    names = [line[5:].split()[0] for line in lines]
    assert names[:7] == [
        "tool:ffmpeg",
        "tool:ffprobe",
        "tool:mkvmerge",
        "tool:mkvpropedit",
        "tool:mkvextract",
        "pyav",
        "extension",
    ]
    assert {"database", "config", "profile:broken", "settings"} <= set(names)
    marks = {line[5:].split()[0]: line[:3] for line in lines}
    assert marks["profile:broken"] == "BAD" and marks["tool:ffmpeg"] == "ok "
