"""A text log record is one line whatever the names in it hold: on stderr (`vpo: LEVEL:
message`) and in a `--log-file` (`TIMESTAMP LEVEL logger: message [context]`), the message,
its arguments and every context field show control characters escaped, so a file named
`x\\nvpo: ERROR: forged line` cannot write a record of its own, and ESC never reaches the
terminal. A traceback's lines follow their record, each marked `  | `. JSON logs keep the
exact value (JSON escapes it).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

from integration.conftest import RunVpo
from security.hostile import FORGED, NAMES_SHOWN, OSC, assert_inert, build_library, controls
from vpo.logging import CONTINUED, STDERR_FORMAT, TEXT_FORMAT, TextFormatter

POLICY = """\
schema_version: 2
audio_language_preference: [eng]
rules:
  - when: {}
    action: warn
    reason: look at this one
"""
RECORD = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (DEBUG|INFO|WARNING|ERROR) vpo[.\w]*: ")


def hostile(make_video: Callable[..., Path], tmp_path: Path) -> tuple[Path, dict[str, bytes], Path]:
    paths = build_library(make_video, tmp_path / "lib")
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    return tmp_path / "lib", paths, policy


def test_stderr_log_lines_at_debug_are_one_record_each(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo
) -> None:
    root, _paths, policy = hostile(make_video, tmp_path)
    for args in (("-vv", "scan", root), ("-vv", "apply", "--policy", policy, root)):
        result = vpo(*args)
        assert result.code == 0, result
        assert_inert(result.stderr, args)
        lines = result.stderr.splitlines()
        assert lines and all(line.startswith("vpo: ") for line in lines), result.stderr
        assert any(line.startswith("vpo: DEBUG: ") for line in lines), result.stderr
        for shown in NAMES_SHOWN.values():
            assert any(shown in line for line in lines), (shown, result.stderr)


def test_log_file_text_lines_are_one_record_each_and_json_keeps_names_exact(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo
) -> None:
    root, paths, policy = hostile(make_video, tmp_path)
    text_log, json_log = tmp_path / "vpo.log", tmp_path / "vpo.jsonl"
    text = ("--log-level", "debug", "--log-file", text_log)
    for args in (("scan", root), ("apply", "--dry-run", "--policy", policy, root)):
        result = vpo(*text, *args)
        assert result.code == 0 and result.stderr == "", result  # the log file took every record
    result = vpo(*text, "apply", "--policy", policy, root)
    assert result.code == 0 and result.stderr == "", result
    written = text_log.read_bytes().decode("utf-8")  # a non-UTF-8 name is escaped, never raw
    assert_inert(written, text_log)
    lines = written.splitlines()
    assert all(RECORD.match(line) or line.startswith(CONTINUED) for line in lines), written
    for key, shown in NAMES_SHOWN.items():
        assert f"file={root}/{shown}" in written, (key, written)  # the context field too
        assert f"WARNING vpo.apply.carry_out: {root}/{shown}: rule 1: look at this one" in written, key

    vpo("--log-level", "debug", "--log-json", "--log-file", json_log, "apply", "--policy", policy, root)
    records = [json.loads(line) for line in json_log.read_text().splitlines()]
    logged = {os.fsencode(r["file"]) for r in records if "file" in r}
    assert logged == set(paths.values()), logged


def test_a_traceback_follows_its_record_marked_line_by_line() -> None:
    """`log.exception(...)` (a transcode that crashed): the exception's message holds a
    hostile name; its lines stay lines, each marked, and none can pass for a record."""
    try:
        raise ValueError(f"cannot read /lib/x{OSC}{FORGED}.mkv")
    except ValueError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "vpo.transcode", logging.ERROR, __file__, 1, "crashed: %s", ("a\nb",), exc_info
    )
    record.file = f"/lib/x{FORGED}.mkv"
    for fmt, context in ((TEXT_FORMAT, True), (STDERR_FORMAT, False)):
        text = TextFormatter(fmt, context=context).format(record)
        first, *rest = text.split("\n")
        assert "crashed: a\\nb" in first and "Traceback" not in first, text
        assert ("[file=/lib/x\\nvpo: ERROR: forged line.mkv]" in first) == context, text
        assert rest and all(line.startswith(CONTINUED) for line in rest), text
        assert f"{CONTINUED}vpo: ERROR: forged line.mkv" in rest, text  # the message's own line
        assert controls(text) == [], text
