"""The command line read before Typer is loaded: which subcommand it asks for.

`cli/app.py` needs it to register only the command being run (importing every command's
module would cost each command the start-up of all of them).
"""

from __future__ import annotations

# Options of the `vpo` callback (cli/app.py) that take a value, so that a value is never
# taken for a command name (`vpo --profile scan jobs list` runs `jobs`).
VALUED_OPTIONS = frozenset({"--profile", "-p", "--log-level", "--log-file"})


def subcommand(args: list[str]) -> str | None:
    """The first argument that is neither an option nor a global option's value."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in VALUED_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


# Global flags a person types at the end as often as at the start (`vpo scan LIB -v`).
VERBOSITY_FLAGS = frozenset({"-v", "-vv", "-vvv", "--verbose", "-q", "--quiet"})


def hoist_global_flags(args: list[str]) -> list[str]:
    """`-v`, `-vv`, `-q` anywhere before `--` move in front of the command, where the
    `vpo` callback reads them; everything else keeps its order."""
    end = args.index("--") if "--" in args else len(args)
    flags = [a for a in args[:end] if a in VERBOSITY_FLAGS]
    if not flags:
        return args
    rest = [a for a in args[:end] if a not in VERBOSITY_FLAGS] + args[end:]
    return flags + rest
