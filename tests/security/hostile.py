"""Names and titles written by an attacker, small real media that carries them, and the
checks that what VPO prints for a person holds none of their control characters.

A terminal obeys ESC ] 0 ; ... BEL (it retitles itself), ESC [ ... m (colours), a C1 CSI
(U+009B, a one-character ESC [) and a newline (a line of its own that can pass for one of
VPO's). Each is shown escaped (python/vpo/escape.py): `\\x1b`, `\\x07`, `\\u009b`, `\\n`;
a byte that is not UTF-8 as `\\xff`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from integration.conftest import Result, age_tree
from integration.scanutil import argv, env_for

OSC = "\x1b]0;pwned\x07"  # retitles the terminal
CSI = "\x1b[31m"  # recolours what follows
C1_CSI = "\u009b2J"  # a one-character CSI: clears the screen on some terminals
FORGED = "\nvpo: ERROR: forged line"  # a record of its own, in a log or on stdout

OSC_SHOWN = "\\x1b]0;pwned\\x07"
CSI_SHOWN = "\\x1b[31m"
C1_SHOWN = "\\u009b2J"
FORGED_SHOWN = "\\nvpo: ERROR: forged line"

# File names (bytes, as on disk) by what they try.
NAMES = {
    "osc": f"osc {OSC}{CSI}red.mkv".encode(),
    "forged": f"line{FORGED}.mkv".encode(),
    "bytes": b"bytes \xff\xfe " + C1_CSI.encode() + b".mkv",
    "dash": b"-dash.mkv",
    "equals": b'=HYPERLINK("http:x","y").mkv',
    "html": b"<script>alert(1)<!-- <img src=x onerror=alert(2)>.mkv",
}
NAMES_SHOWN = {
    "osc": f"osc {OSC_SHOWN}{CSI_SHOWN}red.mkv",
    "forged": f"line{FORGED_SHOWN}.mkv",
    "bytes": f"bytes \\xff\\xfe {C1_SHOWN}.mkv",
}
# An audio track's title, on every file.
TITLE = f"title {OSC}{CSI}{C1_CSI}{FORGED}"
TITLE_SHOWN = f"title {OSC_SHOWN}{CSI_SHOWN}{C1_SHOWN}{FORGED_SHOWN}"


def build_library(make_video: Callable[..., Path], dest: Path) -> dict[str, bytes]:
    """One small Matroska file per name in NAMES under `dest` (jpn default audio titled
    TITLE, then eng), an hour old; returns the absolute path bytes by key."""
    master = make_video(
        dest.parent / "hostile-master.mkv", audio=[("jpn", TITLE, True), ("eng", None, False)]
    )
    os.makedirs(dest, exist_ok=True)
    paths = {}
    for key, name in NAMES.items():
        paths[key] = os.fsencode(dest) + b"/" + name
        shutil.copyfile(master, paths[key])
    age_tree(dest)
    return paths


def controls(text: str) -> list[str]:
    """What in `text` a terminal would obey or choke on: every control character but the
    newline (C0, DEL, C1) and every byte that is not UTF-8 (read as surrogate escapes)."""
    return sorted(
        {
            repr(c)
            for c in text
            if (c < " " and c != "\n") or "\x7f" <= c <= "\x9f" or "\udc80" <= c <= "\udcff"
        }
    )


def forged(text: str) -> list[str]:
    """The lines that a newline in a name or title started: they begin with the fake record."""
    return [line for line in text.split("\n") if line.lstrip().startswith(FORGED.lstrip())]


def assert_inert(text: str, what: object) -> None:
    """No control character reaches the reader, and no line was forged by a name."""
    assert controls(text) == [], (what, text)
    assert forged(text) == [], (what, text)


def run_vpo(home: Path, *args: object) -> Result:
    """The real CLI for a home, on a wide terminal (COLUMNS): `vpo report` cuts no path."""
    done = subprocess.run(
        argv(*args),
        capture_output=True,
        timeout=120,
        env={**env_for(home), "COLUMNS": "400"},
        stdin=subprocess.DEVNULL,
    )
    decoded = (done.stdout.decode("utf-8", "surrogateescape"), done.stderr.decode("utf-8", "surrogateescape"))
    return Result(list(args), done.returncode, *decoded)
