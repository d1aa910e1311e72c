"""The console-script entry point: the one boundary that turns exceptions into exit codes."""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import TYPE_CHECKING

from vpo.cli import stopping
from vpo.cli.argv import hoist_global_flags

if TYPE_CHECKING:
    from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    args = hoist_global_flags(sys.argv[1:] if argv is None else argv)
    json_mode = "--json" in args
    stopping.install()  # SIGTERM and SIGHUP stop a command as Ctrl+C does
    if args == ["--version"]:  # answered before importing anything heavy
        from vpo import __version__

        sys.stdout.write(f"vpo {__version__}\n")
        sys.exit(0)
    code = run(args, json_mode)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
        code = code or 0
    _leave(code)


def _leave(code: int) -> None:
    """Exit without the interpreter's teardown, which only frees memory the OS frees anyway
    (~25 ms: a tenth of a no-change rescan of 100,000 files). By now every command has
    closed its database and stopped its workers and threads; the logs and the standard
    streams are flushed here, which is all the teardown would still have done for VPO."""
    import logging

    stopping.ignore()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def run(args: list[str], json_mode: bool) -> int:
    from vpo.errors import VpoError

    try:
        from vpo.cli.app import build_app, click_exceptions

        app = build_app(args)
        try:
            result = app(args=args, prog_name="vpo", standalone_mode=False)
        except click_exceptions() as exc:
            return _usage_error(exc, json_mode)
        if result == 130:  # typer's answer to a KeyboardInterrupt no command turned into an error
            return stopping.exit_code()
        return result if isinstance(result, int) else 0
    except VpoError as exc:
        from vpo.cli.render import print_error

        print_error(exc.code, exc.message, exc.details, json_mode=json_mode)
        return stopping.exit_code(exc.exit_code) if exc.code == "INTERRUPTED" else exc.exit_code
    except KeyboardInterrupt:
        from vpo.cli.render import print_error

        print_error("INTERRUPTED", "interrupted", {}, json_mode=json_mode)
        return stopping.exit_code()
    except sqlite3.DatabaseError as exc:
        # Opening checks the file; damage deeper in it surfaces only when a page is read.
        from vpo.cli.render import print_error
        from vpo.config.settings import vpo_home
        from vpo.db.connection import describe_sqlite_error
        from vpo.redact import mask_url

        url = os.environ.get("VPO_DATABASE_URL")
        where: str | Path = mask_url(url) if url else vpo_home() / "library.db"
        print_error(
            "DATABASE_ERROR", describe_sqlite_error(where, exc), {"path": str(where)}, json_mode=json_mode
        )
        return 2
    except BrokenPipeError:
        _quiet_broken_pipe()
        return 0


def _usage_error(exc: BaseException, json_mode: bool) -> int:
    from vpo.cli.render import print_error

    exit_code = getattr(exc, "exit_code", 2)
    if type(exc).__name__ == "Abort":  # click's name for a KeyboardInterrupt in a command
        print_error("INTERRUPTED", "aborted", {}, json_mode=json_mode)
        return stopping.exit_code()
    if type(exc).__name__ == "Exit":
        return exit_code
    if type(exc).__name__ == "NoArgsIsHelpError":
        # `vpo` or `vpo jobs` alone: the help, once, and no error line (a person asking
        # what there is to run). Exit 0, as for --help.
        sys.stdout.write(exc.format_message() + "\n")  # type: ignore[attr-defined]
        return 0
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    ctx = getattr(exc, "ctx", None)
    if ctx is not None and not json_mode:
        sys.stderr.write(ctx.get_usage() + "\n")
    print_error("USAGE", message, {}, json_mode=json_mode)
    return exit_code


def _quiet_broken_pipe() -> None:
    # The reader went away (`vpo jobs list | head`): exit quietly, not with a traceback.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
