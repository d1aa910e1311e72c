"""Tool messages and names in CSV, HTML and the lines of `scan` and `check`.

- CSV (`vpo files --csv`, `vpo report --csv`) is for programs: every value exact (raw
  bytes of a non-UTF-8 name, ESC, newlines inside quotes), except that a text cell starting
  like a spreadsheet formula (`=`, `+`, `-`, `@`, tab, carriage return) gets a `'` in front.
- The HTML report shows a name holding `<script>` as text.
- `vpo scan` and `vpo check` print a tool's message (which may quote the file's name)
  escaped, like the name.

The tools are stand-ins (a shell script as `tools.ffprobe`, `tools.ffmpeg`) that fail the
way a real one does on a hostile file, with the message chosen here.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from integration.conftest import Result
from security.hostile import NAMES, NAMES_SHOWN, OSC, OSC_SHOWN, assert_inert, build_library, run_vpo

# What the stand-in ffprobe says about two of the files: formulas, with an OSC after them.
DASH_ERROR = f'-2+3+cmd|" /C calc"!A0 {OSC}'
EQUALS_ERROR = f"@SUM(1+1) {OSC}"
FAKE_FFPROBE = f"""#!/bin/sh
for last; do :; done
case "$last" in
  *-dash.mkv) printf '%s\\n' '{DASH_ERROR}' >&2; exit 1;;
  *=HYPERLINK*) printf '%s\\n' '{EQUALS_ERROR}' >&2; exit 1;;
esac
exec ffprobe "$@"
"""
# The stand-in ffmpeg fails every decode as ffmpeg does on a file it cannot open: naming it.
FAKE_FFMPEG = """#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = "-i" ] && input=$2; shift; done
printf '%s: Invalid data found when processing input\\n' "$input" >&2
exit 1
"""


@dataclass
class Broken:
    root: Path
    home: Path
    paths: dict[str, bytes]
    scan: Result  # text

    def vpo(self, *args: object) -> Result:
        result = run_vpo(self.home, *args)
        assert result.code in (0, 1), result
        return result


def script(path: Path, text: str) -> str:
    path.write_text(text)
    path.chmod(0o755)
    return str(path)


@pytest.fixture(scope="module")
def broken(make_video: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Broken:
    base = tmp_path_factory.mktemp("csv-html")
    paths = build_library(make_video, base / "lib")
    home = base / "home"
    home.mkdir()
    ffprobe, ffmpeg = script(base / "ffprobe", FAKE_FFPROBE), script(base / "ffmpeg", FAKE_FFMPEG)
    (home / "config.yaml").write_text(
        f"tools:\n  ffprobe: {ffprobe}\n  ffmpeg: {ffmpeg}\nscan:\n  prober: ffprobe\n"
    )
    scan = run_vpo(home, "scan", base / "lib")
    assert scan.code == 1, scan  # the two files the stand-in fails
    return Broken(base / "lib", home, paths, scan)


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_keeps_values_exact_and_neutralises_formulas(broken: Broken) -> None:
    listed = rows(broken.vpo("files", "--csv").stdout)
    header, body = listed[0], {os.fsencode(r[1]): dict(zip(listed[0], r)) for r in listed[1:]}
    assert header[:3] == ["id", "path", "size_bytes"]
    assert set(body) == set(broken.paths.values())  # every path exact: ESC, newline, raw bytes
    assert body[broken.paths["dash"]]["error"] == "'" + DASH_ERROR
    assert body[broken.paths["equals"]]["error"] == "'" + EQUALS_ERROR
    assert all(r["size_bytes"].isdigit() for r in body.values())  # numbers stay numbers

    report = broken.vpo("report", "--csv", "--section", "broken").stdout
    errors = {os.fsencode(r[0]): r[2] for r in rows(report)[1:]}
    assert errors == {broken.paths["dash"]: "'" + DASH_ERROR, broken.paths["equals"]: "'" + EQUALS_ERROR}
    largest = rows(broken.vpo("report", "--csv", "--section", "largest").stdout)
    assert {os.fsencode(r[0]) for r in largest[1:]} == set(broken.paths.values()) - set(errors)


def test_scan_lines_and_report_text_show_tool_messages_escaped(broken: Broken) -> None:
    assert_inert(broken.scan.stdout + broken.scan.stderr, "scan")
    for key in ("dash", "equals"):
        assert f"  ! {broken.root}/{NAMES[key].decode()}: " in broken.scan.stdout, broken.scan
    assert broken.scan.stdout.count(OSC_SHOWN) == 2, broken.scan
    report = broken.vpo("report", "--section", "broken", "--section", "largest").stdout
    assert_inert(report, "report")
    assert OSC_SHOWN in report and NAMES_SHOWN["osc"] in report, report
    job = broken.scan.stdout.rsplit("(job ", 1)[1][:8]
    detail = broken.vpo("jobs", "show", job).stdout  # each file's outcome and error
    assert_inert(detail, "jobs show")
    assert f"error: @SUM(1+1) {OSC_SHOWN}" in detail and NAMES_SHOWN["forged"] in detail, detail


def test_check_lines_show_a_message_that_quotes_the_name_escaped(broken: Broken) -> None:
    result = broken.vpo("check", "--thorough")
    assert_inert(result.stdout + result.stderr, result)
    for key, shown in NAMES_SHOWN.items():
        assert f"  ! {broken.root}/{shown}: " in result.stdout, (key, result)


def test_html_report_shows_a_script_in_a_name_as_text(broken: Broken, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = broken.vpo("report", "--html", page)
    assert_inert(result.stdout, result)
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;!-- &lt;img src=x onerror=alert(2)&gt;.mkv" in html
    assert OSC_SHOWN in html and "\x1b" not in html  # the broken files' messages too
