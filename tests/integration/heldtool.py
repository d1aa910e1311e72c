"""An ffmpeg that keeps its job running until the test lets it go: the real ffmpeg does the
work, then the wrapper holds ffmpeg's output pipes open (VPO sees a tool still at work,
its progress read, its heartbeat going) until `release()`. A test that must look at running
jobs looks as long as it needs, then lets them finish at once, instead of racing a clip
decoded in real time. A hang guard lets go by itself, so a failed test leaves no process."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

GUARD_TENTHS = 1200  # the wrapper lets go by itself after 120 s


class HeldFfmpeg:
    """`path`: the wrapper, to name as `tools.ffmpeg`; calls without an input (`-version`,
    the encoder list) pass straight through."""

    def __init__(self, folder: Path) -> None:
        ffmpeg = shutil.which("ffmpeg")
        assert ffmpeg, "ffmpeg not on PATH"
        self.path = folder / "held-ffmpeg.sh"
        self.gate = folder / "held-ffmpeg.released"
        real, gate = shlex.quote(ffmpeg), shlex.quote(str(self.gate))
        self.path.write_text(
            "#!/bin/sh\n"
            f'case " $* " in *" -i "*) ;; *) exec {real} "$@";; esac\n'
            f'{real} "$@"\nrc=$?\nn=0\n'
            f"while [ ! -e {gate} ] && [ $n -lt {GUARD_TENTHS} ]; do sleep 0.1; n=$((n + 1)); done\n"
            "exit $rc\n"
        )
        self.path.chmod(0o755)

    def release(self) -> None:
        """Every held ffmpeg, and any started from now on, exits with the real one's status."""
        self.gate.touch()
