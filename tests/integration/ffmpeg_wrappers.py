"""Stand-in ffmpegs for the tests that must catch VPO's jobs while they run: shell scripts
that run the real ffmpeg. Calls without an input (`-version`, the encoder list) pass
straight through; a call with an input (`-i`) is the one a wrapper changes.

- `slow_ffmpeg`: the real ffmpeg reading its input at a set pace (`-re`: in real time), so a
  clip of a few seconds keeps its job running long enough to signal or look at mid-way.
- `HeldFfmpeg`: the real ffmpeg does the work at full speed, then the wrapper holds ffmpeg's
  output pipes open (VPO sees a tool still at work, its progress read, its heartbeat going)
  until `release()`. A test that must look at running jobs looks as long as it needs, then
  lets them finish at once, instead of racing a clip decoded in real time. A hang guard lets
  go by itself, so a failed test leaves no process."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import media

GUARD_TENTHS = 1200  # a held wrapper lets go by itself after 120 s


def write_tool(path: Path, script: str) -> Path:
    """`script` written to `path` (its folder made if need be) and made executable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script)
    path.chmod(0o755)
    return path


def real_ffmpeg() -> str:
    """The real ffmpeg (the corpus's: `VPO_TEST_FFMPEG`, else ffmpeg on PATH), quoted for a
    shell script."""
    ffmpeg = shutil.which(media.FFMPEG)
    assert ffmpeg, f"{media.FFMPEG} not found"
    return shlex.quote(ffmpeg)


def input_wrapper(path: Path, on_input: str) -> Path:
    """A wrapper at `path` that runs the shell lines `on_input` for a call with an input
    (`-i`) and the real ffmpeg unchanged for any other call."""
    real = real_ffmpeg()
    return write_tool(path, f'#!/bin/sh\ncase " $* " in *" -i "*) ;; *) exec {real} "$@";; esac\n{on_input}')


def slow_ffmpeg(path: Path, pace: str = "-re") -> Path:
    """A wrapper at `path` whose ffmpeg reads its input at `pace` (ffmpeg's input options:
    `-re`, real time; `-readrate 4`, four times the native rate). Returns `path`."""
    return input_wrapper(path, f'exec {real_ffmpeg()} {pace} "$@"\n')


class HeldFfmpeg:
    """`path`: the wrapper, to name as `tools.ffmpeg`."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "held-ffmpeg.sh"
        self.gate = folder / "held-ffmpeg.released"
        real, gate = real_ffmpeg(), shlex.quote(str(self.gate))
        input_wrapper(
            self.path,
            f'{real} "$@"\nrc=$?\nn=0\n'
            f"while [ ! -e {gate} ] && [ $n -lt {GUARD_TENTHS} ]; do sleep 0.1; n=$((n + 1)); done\n"
            "exit $rc\n",
        )

    def release(self) -> None:
        """Every held ffmpeg, and any started from now on, exits with the real one's status."""
        self.gate.touch()
