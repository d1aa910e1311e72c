"""A simulated host for the several-hosts tests: a worker process with its own VPO_HOME,
whose config.yaml names the shared catalogue (what a second machine would have)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from integration.conftest import VPO

HANG_GUARD = 120.0
FAKEHOST = Path(__file__).resolve().parent.parent / "fakehost"  # its sitecustomize.py


class Host:
    """A worker host: its own VPO_HOME, whose config.yaml points at the shared catalogue."""

    def __init__(
        self, home: Path, url: str | None, extra: str = "", *, name: str | None = None, clock_shift: float = 0
    ) -> None:
        """`name`, `clock_shift`: the machine's name and how far (seconds) its clock is off
        the real one (tests/fakehost/sitecustomize.py); by default this machine's."""
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        text = extra
        if url:
            text += f"database:\n  url: {json.dumps(url)}\n"
        (home / "config.yaml").write_text(text)
        (home / "config.yaml").chmod(0o600)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("VPO_")}
        self.env["VPO_HOME"] = str(home)
        if name or clock_shift:
            self.env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(FAKEHOST), self.env.get("PYTHONPATH")])
            )
            self.env["FAKE_HOST_NAME"] = name or ""
            self.env["FAKE_HOST_CLOCK_SHIFT"] = str(clock_shift)

    def start(self, *args: Any, name: str = "run") -> subprocess.Popen[bytes]:
        out = open(self.home / f"{name}.out", "wb")  # noqa: SIM115 - closed by the child's exit
        err = open(self.home / f"{name}.err", "wb")  # noqa: SIM115
        argv = [str(VPO), *(os.fsencode(a) if isinstance(a, Path) else str(a) for a in args)]
        return subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=self.env)

    def run(self, *args: Any) -> subprocess.CompletedProcess[bytes]:
        argv = [str(VPO), *(os.fsencode(a) if isinstance(a, Path) else str(a) for a in args)]
        return subprocess.run(argv, capture_output=True, env=self.env, stdin=subprocess.DEVNULL, timeout=300)

    def output(self, name: str = "run") -> tuple[str, str]:
        return ((self.home / f"{name}.out").read_text(), (self.home / f"{name}.err").read_text())


def wait(proc: subprocess.Popen[bytes]) -> int:
    try:
        return proc.wait(timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"hang guard: a worker did not exit within {HANG_GUARD:.0f}s")
