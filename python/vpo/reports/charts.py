"""Charts for the HTML report, drawn by matplotlib as inline SVG.

matplotlib is imported here only, when a page is asked for, so `vpo report --json` does not
pay for it. Its SVG backend draws text as paths (`svg.fonttype: path`), so a page needs no
font, and nothing is fetched when it is opened. Element ids are prefixed per chart, so
several charts can sit in one page without their ids clashing.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

# Colour-blind safe (Okabe-Ito), in the order job types and bars use them.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
FILES_COLOUR, BYTES_COLOUR = PALETTE[0], PALETTE[1]
WIDTH_INCHES = 6.0  # a page column is ~550 px: text comes out at ~11 px
MIN_WEEK_SLOTS = 8
_RC = {
    "svg.fonttype": "path",
    "svg.hashsalt": "vpo-report",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_ID = re.compile(r'id="([^"]+)"')


def bar_chart(labels: Sequence[str], files: Sequence[int], sizes: Sequence[int], *, prefix: str) -> str:
    """Two horizontal bar panels sharing the labels: files, and bytes (in GiB, MiB...)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    scale, unit = _size_unit(max(sizes, default=0))
    height = 0.75 + 0.24 * max(1, len(labels))
    with _rc():
        fig = Figure(figsize=(WIDTH_INCHES, height), layout="constrained")
        left, right = fig.subplots(1, 2, sharey=True)
        positions = list(range(len(labels)))
        left.barh(positions, files, color=FILES_COLOUR)
        right.barh(positions, [s / scale for s in sizes], color=BYTES_COLOUR)
        left.set_yticks(positions, labels=list(labels))
        left.invert_yaxis()
        left.set_xlabel("files")
        right.set_xlabel(unit)
        for ax, values, fmt in ((left, files, "{:,.0f}"), (right, [s / scale for s in sizes], "{:,.1f}")):
            ax.bar_label(ax.containers[0], labels=[fmt.format(v) for v in values], padding=2, fontsize=8)
            ax.margins(x=0.18)
        left.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        right.xaxis.set_major_locator(MaxNLocator(nbins=4))
        return _svg(fig, prefix)


def stacked_weeks(weeks: Sequence[str], series: Mapping[str, Sequence[int]], *, prefix: str) -> str:
    """Jobs per week: one bar per week, stacked by job type."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with _rc():
        fig = Figure(figsize=(WIDTH_INCHES, 2.4), layout="constrained")
        ax = fig.subplots()
        positions = list(range(len(weeks)))
        bottom = [0] * len(weeks)
        for colour, (kind, counts) in zip(PALETTE, series.items()):
            ax.bar(positions, counts, bottom=bottom, label=kind, color=colour)
            bottom = [b + c for b, c in zip(bottom, counts)]
        step = max(1, len(weeks) // 12)
        ax.set_xticks(positions[::step], labels=list(weeks)[::step], rotation=30, ha="right")
        ax.set_ylabel("jobs")
        ax.legend(frameon=False, ncols=min(4, max(1, len(series))), loc="upper left", fontsize=8)
        ax.margins(y=0.25)
        ax.set_xlim(-0.6, max(len(weeks), MIN_WEEK_SLOTS) - 0.4)  # one week is not one wide block
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        return _svg(fig, prefix)


def _rc() -> Any:
    import matplotlib

    return matplotlib.rc_context(cast(Any, _RC))


def _size_unit(largest: int) -> tuple[float, str]:
    for power, unit in ((4, "TiB"), (3, "GiB"), (2, "MiB"), (1, "KiB")):
        if largest >= 1024**power:
            return float(1024**power), unit
    return 1.0, "bytes"


def _svg(fig: Any, prefix: str) -> str:
    """The figure as an `<svg>` element for inline use: no XML prolog, ids prefixed,
    scaled by the page (viewBox kept, fixed width and height dropped)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buf = io.StringIO()
    FigureCanvasSVG(fig).print_svg(buf, metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.DOTALL)
    text = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = text.replace('href="#', f'href="#{prefix}-').replace("url(#", f"url(#{prefix}-")
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 class="chart"', text, count=1)
    return text
