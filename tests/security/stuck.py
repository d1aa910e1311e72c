"""Helpers of the FIFO and signal tests: a catalogued library (`lib`), a FIFO in a file's
place, tools that never answer, and the processes a `vpo` left behind, found through /proc
(no psutil).

Nothing here can hang the suite: every wait has a guard, and the `cleanup` fixture opens
each FIFO for writing (a reader stuck in open() gets through, and reads EOF) and SIGKILLs
whatever still runs with the test's VPO_HOME in its environment.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from integration.conftest import RunVpo, age_tree
from integration.scanutil import argv

FIFO_ERROR = "not a regular file (FIFO)"
GUARD = 60.0  # seconds; reached only when something waits on a FIFO or a stuck tool
STOPPED_WITHIN = 10.0  # what the issue asks of SIGTERM


def stuck_tool(folder: Path, tool: str, when: str = "") -> Path:
    """A `tool` that runs the real one, except when its arguments hold `when` (always, for
    ""): then it writes its pid to `folder/stuck` and never answers."""
    folder.mkdir(parents=True, exist_ok=True)  # VPO_HOME holds nothing yet with PostgreSQL
    script = folder / f"stuck-{tool}.sh"
    real = shutil.which(tool) or tool
    script.write_text(
        "#!/bin/sh\n"
        f'case " $* " in *"{when}"*) echo $$ >> "{folder}/stuck"; exec sleep 600;; esac\n'
        f'exec {real} "$@"\n'
    )
    script.chmod(0o755)
    return script


def stuck_pids(folder: Path) -> list[int]:
    try:
        return [int(line) for line in (folder / "stuck").read_text().split()]
    except FileNotFoundError:
        return []


def survivors(marker: str) -> list[str]:
    """Live processes (zombies aside) whose environment or command line holds `marker`
    (the test's VPO_HOME: every child of a `vpo` inherits it), as "PID command line"."""
    found = []
    needle = marker.encode()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{name}/environ", "rb") as f:
                environ = f.read()
        except (OSError, IndexError):  # gone meanwhile, or not ours
            continue
        if state != b"Z" and (needle in environ or needle in cmdline):
            shown = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
            found.append(f"{name} {shown}")
    return found


def left_behind(marker: str) -> list[str]:
    """What still runs a few seconds after a `vpo` ended (its children die with it at once;
    the wait is only for the kernel to deliver)."""
    wait_until(lambda: not survivors(marker), guard=5.0)
    return survivors(marker)


def wait_until(predicate: Callable[[], Any], guard: float = GUARD) -> Any:
    """Poll `predicate` until it is true or `guard` seconds passed; its last value."""
    deadline = time.monotonic() + guard
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def start(env: dict[str, str], *args: Any) -> subprocess.Popen[bytes]:
    """`vpo ARGS` in the background (its own session, as a service manager starts it)."""
    return subprocess.Popen(
        argv(*args),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def stop_with(proc: subprocess.Popen[bytes], sig: int) -> tuple[int | None, str, str]:
    """Send `sig`: (exit status, stdout, stderr) if it exits within STOPPED_WITHIN, else
    (None, "", "") after killing it, so that the test fails on it and goes on."""
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=STOPPED_WITHIN)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=GUARD)
        return None, "", ""
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


class Guard:
    """The FIFOs a test makes and the processes it starts, put right afterwards."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.fifos: list[Path] = []

    def fifo_in_place(self, path: Path) -> None:
        """Replace the file at `path` by a FIFO."""
        os.unlink(path)
        os.mkfifo(path, 0o600)
        self.fifos.append(path)

    def release(self) -> None:
        """Open each FIFO for writing (a reader stuck in open() gets through and reads
        EOF), then SIGKILL every process of the test still alive."""
        for path in self.fifos:
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:  # no reader: nobody is stuck on it
                pass
        for line in survivors(self.marker):
            try:
                os.kill(int(line.split()[0]), signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture(name="guard")
def guard_fixture(vpo_home: Path) -> Iterator[Guard]:
    keeper = Guard(str(vpo_home))
    yield keeper
    keeper.release()


# eng is not the default: `audio_language_preference: [eng]` changes the flags in place
AUDIO = [("eng", None, False), ("jpn", None, True)]
POLICY = "schema_version: 1\naudio_language_preference: [eng]\n"


@dataclass
class Lib:
    root: Path
    good: Path
    victim: Path  # becomes a FIFO


@pytest.fixture(name="lib")
def lib_fixture(tmp_path: Path, vpo: RunVpo, make_video: Any) -> Lib:
    """Two catalogued Matroska files; the test turns `victim` into a FIFO."""
    root = tmp_path / "lib"
    good = make_video(root / "good.mkv", audio=AUDIO)
    victim = make_video(root / "victim.mkv", audio=AUDIO, tone=880)
    age_tree(root)
    assert vpo("scan", root).code == 0
    return Lib(root, good, victim)
