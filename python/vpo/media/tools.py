"""Running external tools: argument lists (never a shell), logged at debug, stopped in stages."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from vpo.errors import ToolError
from vpo.media.children import tool_preexec

log = logging.getLogger(__name__)

Arg = str | bytes

# The commands run while `recording()` is open (a job's row records them: what ran, in order).
_RECORDED: ContextVar[list[str] | None] = ContextVar("vpo_recorded_commands", default=None)


@contextmanager
def recording() -> Iterator[list[str]]:
    """Every tool run inside the block, as its command line shows in the log, in order."""
    ran: list[str] = []
    token = _RECORDED.set(ran)
    try:
        yield ran
    finally:
        _RECORDED.reset(token)


def run_tool(
    argv: Sequence[Arg],
    *,
    timeout: float | None = None,
    ok_codes: Sequence[int] = (0,),
    warning_code: int | None = None,
    pass_fds: Sequence[int] = (),
    cwd: bytes | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run to completion; returns stderr+stdout text (also logged at debug). Raises ToolError
    with the tool's last lines on failure. Ctrl+C stops the child (SIGINT, then SIGKILL)
    before propagating. `pass_fds` are inherited by the child (for `/dev/fd/N` names).

    `warning_code`: an exit status that means "done, with warnings" (mkvtoolnix: 1) when
    the output holds a warning; the same status with no warning is a failure (`false`).

    The child dies with VPO even when VPO is killed outright (media/children.py); a
    library file is handed over by name only after media/regular_file.py said it is one."""
    name = os.path.basename(os.fsdecode(argv[0]))
    shown = " ".join(_shown(a) for a in argv)
    log.debug("running %s", shown, extra={"operation": name, "command": shown})
    recorded = _RECORDED.get()
    if recorded is not None:
        recorded.append(shown)
    started = time.monotonic()
    child = _start(argv, pass_fds=pass_fds, cwd=cwd, env=env)
    try:
        out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_child(child)
        raise ToolError(f"{name} timed out after {timeout:g}s", details={"command": shown}) from None
    except BaseException:
        stop_child(child)
        raise
    text = (err + out).decode("utf-8", "replace")
    _log_exit(name, child.returncode, time.monotonic() - started, text)
    if warning_code is not None and child.returncode == warning_code and "warning" in text.lower():
        log.warning("%s: %s", name, last_lines(text), extra={"operation": name})
    elif child.returncode not in ok_codes:
        raise ToolError(
            f"{name} failed (exit {child.returncode}): {last_lines(text)}",
            details={"command": shown, "exit_code": child.returncode, "output": last_lines(text, 10)},
        )
    return text


def _start(
    argv: Sequence[Arg], *, pass_fds: Sequence[int], cwd: bytes | None, env: dict[str, str] | None
) -> subprocess.Popen[bytes]:
    """The child, its output piped; a tool that cannot start is a ToolError saying why."""
    name, tool = os.path.basename(os.fsdecode(argv[0])), os.fsdecode(argv[0])
    try:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=tuple(pass_fds),
            cwd=cwd,
            env=None if env is None else {**os.environ, **env},
            preexec_fn=tool_preexec(),
        )
    except FileNotFoundError:
        why = f"not found at {tool} (check the tools section of your settings)"
    except PermissionError:
        why = f"{tool} is not executable"
    except OSError as exc:  # e.g. ENOEXEC: a script without a #! line
        why = f"cannot run {tool}: {exc.strerror or exc}"
    raise ToolError(f"{name}: {why}", details={"tool": tool})


def _log_exit(name: str, code: int, seconds: float, text: str) -> None:
    log.debug(
        "%s exited %s in %.3fs",
        name,
        code,
        seconds,
        extra={"operation": name, "exit_code": code, "duration_seconds": round(seconds, 3)},
    )
    if text.strip():
        log.debug("%s output:\n%s", name, text.rstrip(), extra={"operation": name})


def _shown(arg: Arg) -> str:
    """An argument as a log line shows it: non-UTF-8 bytes as \\xNN, never a crash."""
    return os.fsdecode(arg).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:]) if lines else "no output"


def stop_child(
    child: subprocess.Popen,
    *,
    signal_first: int = signal.SIGINT,
    grace: float = 3.0,
    close_stdin: bool = False,
) -> int | None:
    """The one way VPO stops a child process, in stages: (close its stdin and give it half
    a second to leave cleanly,) `signal_first` (SIGINT: a tool cleans up its output), wait
    `grace` seconds, then SIGKILL. Returns its exit status (None if it outlived even that)."""
    if child.poll() is not None:
        return child.returncode
    stages: list[tuple[int | None, float]] = [(signal_first, grace), (signal.SIGKILL, 5.0)]
    if close_stdin:
        try:
            child.stdin.close()  # type: ignore[union-attr]
        except (OSError, AttributeError):
            pass
        stages.insert(0, (None, 0.5))
    for sig, wait in stages:
        if sig is not None:
            try:
                child.send_signal(sig)
            except ProcessLookupError:
                break
        try:
            return child.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    return child.poll()


def require_tools(configured: dict[str, str]) -> None:
    """Every tool in `configured` ({name: path or command}) can be run, else ToolError
    naming the first that cannot (before any work starts)."""
    import shutil

    for name, command in configured.items():
        if shutil.which(command) is None:
            raise ToolError(
                f"{name} not found at {command!r} (tools.{name} in your settings)",
                details={"tool": name, "path": command},
            )
