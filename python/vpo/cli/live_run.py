"""A long service call seen live, then its report: the shape of `vpo scan` and `vpo check`.

While the service works, its display (cli/progress.py; none with `--json` or off a
terminal) draws on stderr. The display and the catalogue are closed however the call
ends: done, failed, or stopped by Ctrl+C (or SIGTERM/SIGHUP, which cli/stopping.py turns
into the same KeyboardInterrupt), so a stopped scan's last frame stays on stderr and the
error goes on to cli/main.py. Only a finished call's report is printed: one JSON document
with `--json`, else the command's own summary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from vpo.cli.render import print_json

if TYPE_CHECKING:
    from vpo.db.connection import Database

Progress = TypeVar("Progress", contravariant=True)
Options = TypeVar("Options")


class Display(Protocol[Progress]):
    """A live display: called with each progress snapshot, closed once at the end."""

    def __call__(self, progress: Progress, /) -> None: ...

    def close(self) -> None: ...


class Report(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=Report)


def run_live(
    db: Database,
    service: Callable[[Database, Options, Callable[[Progress], None] | None], R],
    options: Options,
    display: Callable[[bool], Display[Progress] | None],
    *,
    json_out: bool,
    summary: Callable[[R], None],
) -> R:
    """`service(db, options, progress)` with the display `display(json_out)` made for it,
    then its report printed; `db` is closed on every way out."""
    shown = display(json_out)
    try:
        report = service(db, options, shown)
    finally:
        if shown is not None:
            shown.close()
        db.close()
    if json_out:
        print_json(report.to_dict())
    else:
        summary(report)
    return report
