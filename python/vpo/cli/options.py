"""Option definitions shared by every command, so `--json` or `--profile` look the same."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

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
