"""`vpo profiles list|show`."""

from __future__ import annotations

from typing import Annotated

import typer

from vpo.cli.context import flags_layer, resolve_settings
from vpo.cli.options import Command, JsonOpt
from vpo.cli.render import print_json, print_text, safe, table

app = typer.Typer(help="Named settings profiles ($VPO_HOME/profiles/NAME.yaml).", no_args_is_help=True)


def _complete_profile(incomplete: str) -> list[str]:
    from vpo.config.loader import available_profiles
    from vpo.config.settings import vpo_home

    return [n for n in available_profiles(vpo_home()) if n.startswith(incomplete)]


@app.command("list", cls=Command)
def list_cmd(ctx: typer.Context, json_out: JsonOpt = False) -> int:
    """List profiles with their description and default policy; broken ones say why."""
    from vpo.config.profiles import list_profiles

    effective = resolve_settings(ctx)
    entries = list_profiles(effective.settings.home)
    if json_out:
        print_json([e.to_dict() for e in entries])
        return 0
    if not entries:
        print_text(f"No profiles in {safe(effective.settings.home / 'profiles')}.")
        return 0
    rows = [
        (e.name, f"INVALID: {e.error}" if e.error else (e.description or ""), e.default_policy or "-")
        for e in entries
    ]
    print_text(table(["NAME", "DESCRIPTION", "DEFAULT POLICY"], rows))
    return 0


@app.command("show", cls=Command)
def show_cmd(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", autocompletion=_complete_profile, help="Profile name.")
    ],
    json_out: JsonOpt = False,
) -> int:
    """Show a profile, the effective settings it produces, and where each value comes from."""
    from vpo.config.profiles import show_profile

    effective = resolve_settings(ctx)
    shown = show_profile(effective.settings.home, name, cli=flags_layer(ctx))
    if json_out:
        print_json(shown)
        return 0
    print_text(f"Profile {safe(shown['name'])} ({safe(shown['path'])})")
    if len(shown["extends_chain"]) > 1:
        # in the order the layers apply: each later profile overrides the ones before it
        print_text(f"  applied: {' -> '.join(map(safe, shown['extends_chain']))} (later ones override)")
    if shown["description"]:
        print_text(f"  {safe(shown['description'])}")
    print_text(f"  default policy: {safe(shown['default_policy'] or '-')}")
    print_text(f"  roots: {', '.join(map(safe, shown['roots'])) or '-'}")
    rows = []
    for section, values in shown["effective"].items():
        for key, value in values.items():
            shown_value = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            rows.append((f"{section}.{key}", shown_value, shown["sources"][f"{section}.{key}"]))
    print_text(table(["SETTING", "VALUE", "SOURCE"], rows))
    return 0
