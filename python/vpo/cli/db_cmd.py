"""`vpo db migrate-to URL`: move the catalogue and job history to PostgreSQL."""

from __future__ import annotations

from typing import Annotated

import typer

from vpo.cli.context import settings_for
from vpo.cli.options import Command, DryRunOpt, JsonOpt, ProfileOpt
from vpo.cli.render import print_json, print_summary

app = typer.Typer(
    name="db",
    help="The catalogue database itself.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command("migrate-to", cls=Command)
def migrate_to(
    ctx: typer.Context,
    url: Annotated[
        str,
        typer.Argument(
            metavar="URL",
            help="The PostgreSQL database, without its password: postgresql://user@host/db.",
        ),
    ],
    dry_run: DryRunOpt = False,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Copy the SQLite catalogue (files, tracks, jobs, history) into an empty PostgreSQL
    database, ids kept. The SQLite file is left as it was; set database.url afterwards.

    A password in the URL is refused (`ps` would show it): it comes from PGPASSWORD,
    ~/.pgpass or, on a terminal, a prompt."""
    from vpo.errors import PasswordRequiredError
    from vpo.library.migrate_to import migrate_to as run

    settings = settings_for(ctx, profile=profile)
    try:
        report = run(settings, url, dry_run=dry_run)
    except PasswordRequiredError as exc:
        password = _ask_password(url, exc)
        report = run(settings, url, dry_run=dry_run, password=password)
    if json_out:
        print_json(report)
        return
    verb = "Would copy" if dry_run else "Copied"
    counts = ", ".join(f"{t['rows']:,} {t['table']}" for t in report["tables"])
    print_summary(f"{verb} {counts} to {report['target']}")
    if not dry_run:
        print_summary(
            f"Now set database.url (or VPO_DATABASE_URL) to use it; {report['source']} is unchanged."
        )


def _ask_password(url: str, refused: Exception) -> str:
    """The password typed at a prompt (echo off), as psql asks for it; without a terminal
    to ask on, the server's refusal stands."""
    import getpass
    import sys

    from vpo.redact import mask_url

    if not sys.stdin.isatty():
        raise refused
    try:
        return getpass.getpass(f"Password for {mask_url(url)}: ")
    except EOFError:
        raise refused from None
