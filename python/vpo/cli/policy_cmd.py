"""`vpo policy check`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import typer

from vpo.cli.options import Command, JsonOpt
from vpo.cli.render import print_json, print_text, safe

app = typer.Typer(help="Policy files: check one, see every default.", no_args_is_help=True)


@app.command("check", cls=Command)
def check_cmd(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Policy YAML file (schema_version 1 or 2).")],
    json_out: JsonOpt = False,
) -> int:
    """Validate a policy and print it with every default filled in.

    Exit 0: valid; 2: the file's line, key and reason on stderr.
    """
    from vpo.policy.loader import load_policy

    path = file.expanduser().absolute()
    policy = load_policy(path)
    document = policy.model_dump(mode="json", by_alias=True)
    if json_out:
        print_json({"path": str(path), "valid": True, "policy": document})
        return 0
    from ruamel.yaml import YAML

    out = io.StringIO()
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.dump(document, out)
    print_text(f"# {safe(path)}: valid (schema_version {policy.schema_version}); every default filled in")
    print_text(out.getvalue().rstrip())
    return 0
