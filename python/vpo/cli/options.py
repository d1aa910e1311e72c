"""Option definitions shared by every command, so `--json` or `--profile` look the same."""

from __future__ import annotations

import os
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperCommand

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
ProfileOpt = Annotated[
    Optional[str],
    typer.Option(
        "--profile",
        "-p",
        help="Settings profile ($VPO_HOME/profiles/NAME.yaml); "
        "default: the global --profile, then $VPO_PROFILE.",
    ),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")]


def complete_job_id(incomplete: str) -> list[str]:
    """Tab completion of a job id: the ids that start so (none without a catalogue)."""
    try:
        from vpo.config.settings import Settings
        from vpo.db import jobs as jobs_db
        from vpo.db.connection import open_database

        url = os.environ.get("VPO_DATABASE_URL")
        path = Settings().database_path
        if not url and not path.exists():  # pressing Tab must not create a library
            return []
        db = open_database(url or path)
        try:
            return jobs_db.ids_with_prefix(db.conn, incomplete.lower(), limit=50)
        finally:
            db.close()
    except Exception:
        return []


def job_id_argument(help: str = "Job id or a unique prefix (4+ characters).") -> typer.models.ArgumentInfo:
    """A job's ID argument, completed from the catalogue's ids."""
    return typer.Argument(metavar="ID", autocompletion=complete_job_id, help=help)


JobIdArg = Annotated[str, job_id_argument()]


def optional_paths_argument(help: str) -> typer.models.ArgumentInfo:
    """A [PATH]... argument (none or more), shown as `[PATH]...` in usage lines."""
    return typer.Argument(metavar="[PATH]...", help=help, show_default=False)


class Command(TyperCommand):
    """Every VPO command's class: usage lines as people write them (`PATH...`, `ID`), not
    Typer's braces around required arguments (`{PATH...}`)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:  # ctx: click's Context (typer may vendor click)
        pieces = super().collect_usage_pieces(ctx)
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]
