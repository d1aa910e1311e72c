"""Logging through the real console script (SPEC 6): levels, JSON lines with job context,
file/stderr routing, rotation, and a log file that cannot be written. stdout is the
command's result only, whatever the logging settings."""

from __future__ import annotations

import json
import os
import re
import shutil
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import media
from integration.conftest import RunVpo, age_tree

STARTED = "scan started"
COMPLETED = "scan completed"
BASE_KEYS = {"timestamp", "level", "logger", "message"}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line must be one JSON object with the four base keys and a UTC `Z` timestamp."""
    records = []
    for line in text.splitlines():
        record = json.loads(line)  # fails the test on any line that is not JSON
        assert isinstance(record, dict), line
        assert set(record) >= BASE_KEYS, line
        assert record["level"] in ("debug", "info", "warning", "error", "critical"), line
        assert record["timestamp"].endswith("Z"), line
        stamp = datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00"))
        assert stamp.utcoffset() == timezone.utc.utcoffset(None)
        assert abs((datetime.now(timezone.utc) - stamp).total_seconds()) < 600
        records.append(record)
    return records


@pytest.fixture(scope="module")
def small(corpus: media.Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two good files and one broken one (read-only: scans never write to media)."""
    root = tmp_path_factory.mktemp("small-lib")
    shutil.copy2(corpus.by_name("movie.mkv").path, root / "movie.mkv")
    shutil.copy2(corpus.by_name("dual.mp4").path, root / "dual.mp4")
    shutil.copy2(corpus.root / "random.mkv", root / "random.mkv")
    age_tree(root)
    return root


def scan_json(result: Any) -> dict[str, Any]:
    """A scan of `small` prints exactly one JSON document; it exits 1 when it finds the
    broken file, 0 when that file was already known broken (SPEC section 14)."""
    doc = result.json()
    counts = doc["counts"]
    assert counts["discovered"] == 3 and counts["errors"] + counts["known_broken"] == 1, doc
    assert result.code == counts["errors"], result
    return doc


# -- JSON lines from a real scan ----------------------------------------------------------


def test_debug_json_log_file_of_a_scan(vpo: RunVpo, small: Path, tmp_path: Path) -> None:
    log = tmp_path / "logs" / "deep" / "vpo.log"  # folders created on demand
    result = vpo("--log-level", "debug", "--log-json", "--log-file", log, "scan", "--json", small)
    report = scan_json(result)
    assert result.stderr == "", result  # a file and no include_stderr: nothing on the terminal
    records = json_lines(log.read_text(encoding="utf-8"))
    assert records, "no log lines"
    # every line logged during the job carries its id, as a top-level key
    assert {r.get("job_id") for r in records} == {report["job_id"]}
    messages = [r["message"] for r in records]
    started = [r for r in records if r["message"].startswith(STARTED)]
    completed = [r for r in records if r["message"].startswith(COMPLETED)]
    assert len(started) == 1 and len(completed) == 1, messages
    assert started[0]["level"] == "info" and started[0]["logger"] == "vpo.scan.service"
    assert started[0]["roots"] == [str(small)]
    assert completed[0]["counts"]["discovered"] == 3
    assert completed[0]["counts"]["errors"] == 1
    assert isinstance(completed[0]["duration_seconds"], (int, float))
    assert messages.index(started[0]["message"]) < messages.index(completed[0]["message"])
    # per-file probe timings at debug, with the file as a top-level key
    probes = [r for r in records if r["level"] == "debug" and r.get("operation") == "probe"]
    assert sorted(r["file"] for r in probes) == sorted(
        str(small / n) for n in ("dual.mp4", "movie.mkv", "random.mkv")
    )
    for r in probes:
        assert isinstance(r["duration_seconds"], (int, float)) and r["duration_seconds"] >= 0
    failed = [r for r in records if r["level"] == "warning"]
    assert [r["file"] for r in failed] == [str(small / "random.mkv")]
    # nothing at info is per file: info is the start and the finish only
    assert [r["message"] for r in records if r["level"] == "info"] == [
        started[0]["message"],
        completed[0]["message"],
    ]


def test_log_file_is_private(vpo: RunVpo, tmp_path: Path) -> None:
    log = tmp_path / "new" / "vpo.log"
    assert vpo("--log-file", log, "--log-level", "debug", "jobs", "list", "--json").code == 0
    assert log.exists()
    assert log.stat().st_mode & 0o077 == 0
    assert log.parent.stat().st_mode & 0o077 == 0


def test_json_logs_on_stderr_keep_stdout_clean(vpo: RunVpo, small: Path) -> None:
    result = vpo("--log-level", "debug", "--log-json", "scan", "--json", small)
    report = scan_json(result)  # stdout parses as exactly one document
    records = json_lines(result.stderr)  # and stderr holds nothing but JSON lines
    assert {r["job_id"] for r in records} == {report["job_id"]}
    assert any(r["level"] == "debug" for r in records)


def test_text_logs_on_stderr_keep_stdout_clean(vpo: RunVpo, small: Path) -> None:
    result = vpo("--log-level", "debug", "scan", "--json", small)
    scan_json(result)
    lines = result.stderr.splitlines()
    assert any(line.startswith("vpo: DEBUG: probed ") for line in lines), result
    assert any(line.startswith(f"vpo: INFO: {STARTED}") for line in lines), result
    assert any(line.startswith("vpo: WARNING: probe failed: ") for line in lines), result


def test_stderr_shows_warnings_unless_a_level_is_asked_for(vpo: RunVpo, vpo_home: Path, small: Path) -> None:
    """SPEC section 6: cron mails only what went wrong; -v / -vv / a configured level show more."""
    result = vpo("scan", "--json", small)
    scan_json(result)
    assert "INFO" not in result.stderr and "DEBUG" not in result.stderr, result
    assert "vpo: WARNING: probe failed" in result.stderr, result  # the broken file
    result = vpo("scan", "--json", "--full", small, "-v")  # -v anywhere on the line
    assert f"vpo: INFO: {STARTED}" in result.stderr and "DEBUG" not in result.stderr, result
    result = vpo("-vv", "scan", "--json", "--full", small)
    assert "vpo: DEBUG: probed " in result.stderr, result
    write(vpo_home / "config.yaml", "logging:\n  level: info\n")  # a level asked for: shown
    result = vpo("scan", "--json", "--full", small)
    assert f"vpo: INFO: {STARTED}" in result.stderr, result


def test_unchanged_library_rescan_writes_nothing_to_stderr(vpo: RunVpo, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    media.make_video(lib / "a.mkv")
    age_tree(lib)
    assert vpo("scan", lib).code == 0
    again = vpo("scan", lib)
    assert again.code == 0 and again.stderr == "", again
    assert "Skipped (unchanged):" in again.stdout


def test_quiet_prints_nothing_and_keeps_the_exit_code(vpo: RunVpo, small: Path) -> None:
    result = vpo("-q", "scan", small)  # the broken file: exit 1, and no warning about it
    assert result.code == 1 and result.stdout == "" and result.stderr == "", result
    result = vpo("scan", "--full", "--json", small, "--quiet")  # --json is unaffected
    # the broken file is known broken now (not news: exit 0), and -q keeps its warning off stderr
    assert result.code == 0 and result.stderr == "" and scan_json(result)["counts"]["known_broken"] == 1
    checked = vpo("-q", "check", small)  # check's summary too, failures included: exit 1 says it
    assert checked.code == 1 and checked.stdout == "", checked
    listed = vpo("-q", "jobs", "list")  # a query's result is not a summary: it still prints
    assert listed.code == 0 and "scan" in listed.stdout


def test_log_level_flag_beats_profile_beats_config(vpo: RunVpo, vpo_home: Path, small: Path) -> None:
    write(vpo_home / "config.yaml", "logging:\n  level: debug\n  format: json\n")
    write(vpo_home / "profiles" / "quiet.yaml", "logging:\n  level: error\n")
    levels = {r["level"] for r in json_lines(vpo("--profile", "quiet", "scan", "--json", small).stderr)}
    assert levels == set()  # error only, and the scan logs no errors
    result = vpo("--profile", "quiet", "--log-level", "info", "scan", "--json", "--full", small)
    levels = {r["level"] for r in json_lines(result.stderr)}
    assert levels == {"info", "warning"}


def test_text_log_file_lines_carry_the_job(vpo: RunVpo, small: Path, tmp_path: Path) -> None:
    log = tmp_path / "vpo.log"
    report = scan_json(vpo("--log-file", log, "scan", "--json", small))
    lines = log.read_text().splitlines()
    assert len(lines) == 3, lines  # started, one failed probe, completed
    for line in lines:
        assert re.match(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (INFO|WARNING) vpo\.scan\.service: ", line
        ), line
        assert f"job={report['job_id'][:8]}" in line, line
    assert f"file={small / 'random.mkv'}" in lines[1]


def test_include_stderr_logs_to_both(vpo: RunVpo, vpo_home: Path, tmp_path: Path) -> None:
    log = tmp_path / "both.log"
    write(vpo_home / "config.yaml", f"logging:\n  file: {log}\n  include_stderr: true\n  level: debug\n")
    result = vpo("doctor", "--json")
    assert result.json()["checks"]  # stdout still one clean document
    assert "vpo: DEBUG: ran " in result.stderr
    assert "DEBUG vpo.doctor.checks: ran " in log.read_text()


# -- rotation -----------------------------------------------------------------------------


@pytest.mark.parametrize("backup_count", [2, 0])
def test_rotation_keeps_exactly_backup_count_files(
    vpo: RunVpo, vpo_home: Path, small: Path, backup_count: int
) -> None:
    write(
        vpo_home / "config.yaml",
        f"""
        logging:
          file: logs/vpo.log
          format: json
          level: debug
          max_bytes: 600
          backup_count: {backup_count}
    """,
    )
    folder = vpo_home / "logs"  # relative to VPO_HOME
    for _ in range(2):  # ~8 lines of ~300 bytes each time: several rollovers
        scan_json(vpo("scan", "--json", "--full", small))
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["vpo.log"] + [f"vpo.log.{i}" for i in range(1, backup_count + 1)]
    longest = 0
    for path in folder.iterdir():
        text = path.read_text()
        records = json_lines(text)  # no line was cut by a rollover
        assert records or path.name == "vpo.log"
        longest = max([longest, *(len(line) + 1 for line in text.splitlines())])
    for path in folder.iterdir():
        assert path.stat().st_size <= max(600, longest), path  # max_bytes holds (a lone long line aside)
    # the newest lines are in vpo.log: the last scan's completion is there or in .1
    newest = (folder / "vpo.log").read_text() + ((folder / "vpo.log.1").read_text() if backup_count else "")
    assert COMPLETED in newest


# -- a log file that cannot be used -------------------------------------------------------


@pytest.fixture
def blocked(tmp_path: Path) -> Path:
    """A path whose folder can never be made, even by root: a regular file is in the way."""
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "file.txt").write_text("not a folder")
    return tmp_path / "x" / "file.txt" / "sub" / "vpo.log"


def test_unwritable_log_path_warns_once_and_falls_back_to_stderr(
    vpo: RunVpo, small: Path, blocked: Path
) -> None:
    result = vpo("--log-file", blocked, "scan", "--json", small)
    scan_json(result)
    lines = result.stderr.splitlines()
    warnings = [line for line in lines if line.startswith("vpo: warning: cannot open log file")]
    assert warnings == [f"vpo: warning: cannot open log file {blocked} (Not a directory); logging to stderr"]
    assert lines[0] == warnings[0]
    # stderr shows what it would have shown without a log file: warnings, not info
    assert any(line.startswith("vpo: WARNING: probe failed") for line in lines), result
    assert not any("INFO" in line for line in lines), result
    assert not blocked.parent.exists()


def test_log_file_directly_under_a_regular_file(vpo: RunVpo, tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    result = vpo("--log-file", tmp_path / "plain" / "vpo.log", "jobs", "list", "--json")
    assert result.code == 0, result
    assert result.json() == []
    assert result.stderr == (
        f"vpo: warning: cannot open log file {tmp_path / 'plain' / 'vpo.log'} "
        f"({tmp_path / 'plain'} is not a directory); logging to stderr\n"
    )


def test_a_directory_given_as_the_log_file(vpo: RunVpo, tmp_path: Path) -> None:
    result = vpo("--log-json", "--log-file", tmp_path, "--log-level", "debug", "jobs", "list", "--json")
    assert result.code == 0, result
    assert result.json() == []
    assert result.stderr.splitlines() == [
        f"vpo: warning: cannot open log file {tmp_path} (Is a directory); logging to stderr"
    ]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux /dev/full")
def test_disk_full_warns_once_and_keeps_going_on_stderr(vpo: RunVpo, small: Path) -> None:
    result = vpo("--log-file", "/dev/full", "--log-json", "--log-level", "debug", "scan", "--json", small)
    report = scan_json(result)
    lines = result.stderr.splitlines()
    warnings = [line for line in lines if line.startswith("vpo: warning:")]
    assert len(warnings) == 1, result
    assert warnings[0].startswith("vpo: warning: cannot write log file /dev/full (")
    records = json_lines("\n".join(line for line in lines if not line.startswith("vpo: warning:")))
    assert records[0]["message"].startswith(STARTED)  # the record that failed is not lost
    assert records[-1]["message"].startswith(COMPLETED)
    assert {r["job_id"] for r in records} == {report["job_id"]}
