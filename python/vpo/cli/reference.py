"""The CLI reference (docs/cli.md): every command's `--help`, as `vpo` prints it.

`python -m vpo.cli.reference > docs/cli.md` (`make docs`) writes it; a test fails when
the file and the code disagree, so the reference never goes stale.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

WIDTH = 80  # the help is wrapped as `vpo` wraps it: at most 80 columns

HEADER = """# CLI reference

Every command's `--help`, as `vpo` prints it (80 columns). Generated from the
code by `make docs` (`python -m vpo.cli.reference > docs/cli.md`);
`tests/unit/test_cli_reference.py` fails when this file and the code disagree.
"""


def commands() -> Iterator[tuple[list[str], Any, Any]]:
    """(path, click command, click context) of `vpo` and every command under it, in the
    order `vpo --help` lists them."""
    import typer

    from vpo.cli.app import build_app

    root = typer.main.get_command(build_app([]))

    def walk(cmd: Any, path: list[str], parent: Any) -> Iterator[tuple[list[str], Any, Any]]:
        ctx = cmd.make_context(
            path[-1],
            [],
            parent=parent,
            resilient_parsing=True,
            # click wraps a real terminal's help at min(columns, 80) - 2
            terminal_width=WIDTH - 2,
            max_content_width=WIDTH,
        )
        yield path, cmd, ctx
        for name in getattr(cmd, "list_commands", lambda _ctx: [])(ctx):
            yield from walk(cmd.get_command(ctx, name), [*path, name], ctx)

    yield from walk(root, ["vpo"], None)


def reference() -> str:
    parts = [HEADER]
    for path, cmd, ctx in commands():
        parts.append(f"\n## {' '.join(path)}\n\n```text\n{cmd.get_help(ctx).rstrip()}\n```\n")
    return "".join(parts)


def main() -> None:
    os.environ.setdefault("COLUMNS", str(WIDTH))
    print(reference(), end="")


if __name__ == "__main__":
    main()
