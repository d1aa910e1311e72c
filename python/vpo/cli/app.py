"""The Typer application: global options and the command groups."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from vpo import __version__
from vpo.cli import apply_cmd, doctor_cmd, inspect_cmd, jobs_cmd, profiles_cmd, queue_cmd, scan_cmd, transcode_cmd
from vpo.cli.context import state

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
    profile: Annotated[Optional[str], typer.Option("--profile", "-p",
                                                   help="Settings profile for every command "
                                                   "(default: $VPO_PROFILE).")] = None,
    log_level: Annotated[Optional[str], typer.Option("--log-level",
                                                     help="debug, info, warning or error.")] = None,
    log_file: Annotated[Optional[str], typer.Option("--log-file", help="Log to this file (rotated; stderr too only with logging.include_stderr).")] = None,
    log_json: Annotated[bool, typer.Option("--log-json", help="Log JSON lines.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version.")] = False,
) -> None:
    if log_level is not None and log_level.lower() not in LOG_LEVELS:
        raise typer.BadParameter(f"{log_level!r}; choose from {', '.join(LOG_LEVELS)}", param_hint="--log-level")
    st = state(ctx)
    st.profile, st.log_file, st.log_json = profile, log_file, log_json
    st.log_level = log_level.lower() if log_level else None


app.command("scan")(scan_cmd.scan)
app.command("inspect")(inspect_cmd.inspect)
app.command("apply")(apply_cmd.apply)
app.command("transcode")(transcode_cmd.transcode)
jobs_cmd.app.command("run")(queue_cmd.run_cmd)
jobs_cmd.app.command("cancel")(queue_cmd.cancel_cmd)
jobs_cmd.app.command("retry")(queue_cmd.retry_cmd)
app.add_typer(jobs_cmd.app, name="jobs")
app.add_typer(profiles_cmd.app, name="profiles")
app.command("doctor")(doctor_cmd.doctor)


def click_exceptions() -> tuple[type[BaseException], ...]:
    """Click's exception bases, found through a public name (typer may vendor click)."""
    mro = typer.BadParameter.__mro__
    click_base = next(c for c in mro if c.__name__ == "ClickException")
    return (click_base, typer.Abort, typer.Exit)
