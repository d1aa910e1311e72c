"""Which encoder ffmpeg offers for a target codec (asked once per run)."""

from __future__ import annotations

import functools
import subprocess

from vpo.errors import ToolError
from vpo.media.children import tool_preexec
from vpo.media.tools import last_lines
from vpo.transcode.decide import ENCODERS


@functools.lru_cache(maxsize=4)
def available_encoders(ffmpeg: str) -> frozenset[str]:
    try:
        out = subprocess.run(
            [ffmpeg, "-hide_banner", "-encoders"],
            capture_output=True,
            timeout=30,
            check=False,
            preexec_fn=tool_preexec(),  # dies with VPO (media/children.py)
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolError(f"cannot run {ffmpeg}: {exc}", details={"tool": ffmpeg}) from None
    if out.returncode != 0:  # a broken ffmpeg is not "an ffmpeg without encoders"
        text = (out.stderr + out.stdout).decode("utf-8", "replace")
        raise ToolError(
            f"{ffmpeg} -encoders failed (exit {out.returncode}): {last_lines(text, 5)}",
            details={"tool": ffmpeg, "exit_code": out.returncode},
        )
    names = set()
    for line in out.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 6 and parts[0][0] in "VAS":
            names.add(parts[1])
    return frozenset(names)


def encoder_for(ffmpeg: str, codec: str) -> str:
    have = available_encoders(ffmpeg)
    for name in ENCODERS[codec]:
        if name in have:
            return name
    raise ToolError(
        f"{ffmpeg} has no {codec} encoder (looked for {', '.join(ENCODERS[codec])})", details={"codec": codec}
    )
