"""Option definitions shared by every command, so `--json` or `--profile` look the same."""

from __future__ import annotations

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


def optional_paths_argument(help: str) -> typer.models.ArgumentInfo:
    """A [PATH]... argument (none or more), shown as `[PATH]...` in usage lines."""
    return typer.Argument(metavar="[PATH]...", help=help, show_default=False)


class Command(TyperCommand):
    """Every VPO command's class: usage lines as people write them (`PATH...`, `ID`), not
    Typer's braces around required arguments (`{PATH...}`)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:  # ctx: click's Context (typer may vendor click)
        pieces = super().collect_usage_pieces(ctx)
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]
