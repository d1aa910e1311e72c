"""The Typer application: global options and the command groups."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from vpo import __version__
from vpo.cli.argv import subcommand
from vpo.cli.context import state
from vpo.cli.options import Command

LOG_LEVELS = ("debug", "info", "warning", "error")

app = typer.Typer(
    name="vpo",
    help="Keep a video library in order: catalogue, rescan, apply policies, transcode.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from vpo.cli.render import print_text

        print_text(f"vpo {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    profile: Annotated[
        Optional[str],
        typer.Option("--profile", "-p", help="Settings profile for every command (default: $VPO_PROFILE)."),
    ] = None,
    log_level: Annotated[
        Optional[str], typer.Option("--log-level", help="debug, info, warning or error.")
    ] = None,
    log_file: Annotated[
        Optional[str],
        typer.Option(
            "--log-file", help="Log to this file (rotated; stderr too only with logging.include_stderr)."
        ),
    ] = None,
    log_json: Annotated[bool, typer.Option("--log-json", help="Log JSON lines.")] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            show_default=False,
            help="On stderr, info lines too (-vv: debug). Anywhere on the line.",
        ),
    ] = 0,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Errors only on stderr, and no human summary (exit code and --json unchanged).",
        ),
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    if log_level is not None and log_level.lower() not in LOG_LEVELS:
        raise typer.BadParameter(
            f"{log_level!r}; choose from {', '.join(LOG_LEVELS)}", param_hint="--log-level"
        )
    st = state(ctx)
    st.profile, st.log_file, st.log_json = profile, log_file, log_json
    st.log_level = log_level.lower() if log_level else None
    st.verbosity = -1 if quiet else min(verbose, 2)
    if quiet:
        from vpo.cli import render

        render.QUIET = True  # print_summary() prints nothing; query results still print


def _register_scan(root: typer.Typer) -> None:
    from vpo.cli import scan_cmd

    root.command("scan", cls=Command)(scan_cmd.scan)


def _register_inspect(root: typer.Typer) -> None:
    from vpo.cli import inspect_cmd

    root.command("inspect", cls=Command)(inspect_cmd.inspect)


def _register_apply(root: typer.Typer) -> None:
    from vpo.cli import apply_cmd

    root.command("apply", cls=Command)(apply_cmd.apply)


def _register_transcode(root: typer.Typer) -> None:
    from vpo.cli import transcode_cmd

    root.command("transcode", cls=Command)(transcode_cmd.transcode)


def _register_check(root: typer.Typer) -> None:
    from vpo.cli import check_cmd

    root.command("check", cls=Command)(check_cmd.check)


def _register_doctor(root: typer.Typer) -> None:
    from vpo.cli import doctor_cmd

    root.command("doctor", cls=Command)(doctor_cmd.doctor)


def _register_files(root: typer.Typer) -> None:
    from vpo.cli import files_cmd

    root.command("files", cls=Command)(files_cmd.files)


def _register_report(root: typer.Typer) -> None:
    from vpo.cli import report_cmd

    root.command("report", cls=Command)(report_cmd.report)


def _register_jobs(root: typer.Typer) -> None:
    from vpo.cli import jobs_cmd, queue_cmd, undo_cmd

    group = jobs_cmd.app
    if not any(c.name == "run" for c in group.registered_commands):
        group.command("run", cls=Command)(queue_cmd.run_cmd)
        group.command("cancel", cls=Command)(queue_cmd.cancel_cmd)
        group.command("retry", cls=Command)(queue_cmd.retry_cmd)
        group.command("undo", cls=Command)(undo_cmd.undo_cmd)
    root.add_typer(group, name="jobs")


def _register_backups(root: typer.Typer) -> None:
    from vpo.cli import backups_cmd

    root.add_typer(backups_cmd.app, name="backups")


def _register_policy(root: typer.Typer) -> None:
    from vpo.cli import policy_cmd

    root.add_typer(policy_cmd.app, name="policy")


def _register_profiles(root: typer.Typer) -> None:
    from vpo.cli import profiles_cmd

    root.add_typer(profiles_cmd.app, name="profiles")


def _register_watch(root: typer.Typer) -> None:
    from vpo.cli import watch_cmd

    root.add_typer(watch_cmd.app, name="watch")


def _register_hook(root: typer.Typer) -> None:
    from vpo.cli import hook_cmd

    root.command("hook", cls=Command)(hook_cmd.hook)


def _register_db(root: typer.Typer) -> None:
    from vpo.cli import db_cmd

    root.add_typer(db_cmd.app, name="db")


# In the order `vpo --help` lists them.
COMMANDS = {
    "scan": _register_scan,
    "inspect": _register_inspect,
    "apply": _register_apply,
    "transcode": _register_transcode,
    "check": _register_check,
    "doctor": _register_doctor,
    "files": _register_files,
    "report": _register_report,
    "jobs": _register_jobs,
    "backups": _register_backups,
    "profiles": _register_profiles,
    "policy": _register_policy,
    "watch": _register_watch,
    "hook": _register_hook,
    "db": _register_db,
}


def requested_command(args: list[str]) -> str | None:
    """The command named on the command line, if it is one of ours."""
    name = subcommand(args)
    return name if name in COMMANDS else None


def build_app(args: list[str]) -> typer.Typer:
    """The application with only the command being run registered: Typer inspects every
    registered function on each start, and cron runs VPO thousands of times. Help without
    a command, unknown commands and shell completion get every command."""
    wanted = requested_command(args)
    completing = any(key.endswith("_COMPLETE") for key in os.environ)
    for name, register in COMMANDS.items():
        if wanted is None or completing or name == wanted:
            register(app)
    return app


def click_exceptions() -> tuple[type[BaseException], ...]:
    """Click's exception bases, found through a public name (typer may vendor click)."""
    mro = typer.BadParameter.__mro__
    click_base = next(c for c in mro if c.__name__ == "ClickException")
    return (click_base, typer.Abort, typer.Exit)
