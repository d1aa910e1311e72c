"""Names people use for a picture size and a channel count: `1080p`, `5.1`.

Pure and shared: `vpo report` groups by them in SQL (db/reports.py builds its CASE from
RESOLUTION_CLASSES) and `vpo files` prints them.
"""

from __future__ import annotations

# (class, width above, height above), largest first: a picture is in the first class whose
# width OR height it exceeds, so a 1920x800 scope film is 1080p and a 1440x1080 one too.
# Anything bigger than UHD (5K, 8K) counts as 2160p; below 720p is SD.
RESOLUTION_CLASSES = (
    ("2160p", 2560, 1440),
    ("1080p", 1280, 720),
    ("720p", 1024, 576),
)
SD = "SD"
RESOLUTION_ORDER = ("2160p", "1080p", "720p", SD)

CHANNEL_LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 6: "5.1", 7: "6.1", 8: "7.1"}


def resolution_class(width: int | None, height: int | None) -> str | None:
    """`2160p`, `1080p`, `720p` or `SD`; None when the size is unknown."""
    if not width and not height:
        return None
    for name, above_width, above_height in RESOLUTION_CLASSES:
        if (width or 0) > above_width or (height or 0) > above_height:
            return name
    return SD


def resolution_sql(width: str, height: str) -> str:
    """The same classification as an SQL expression over two columns."""
    cases = " ".join(
        f"WHEN coalesce({width}, 0) > {w} OR coalesce({height}, 0) > {h} THEN '{name}'"
        for name, w, h in RESOLUTION_CLASSES
    )
    return (
        f"(CASE WHEN coalesce({width}, 0) = 0 AND coalesce({height}, 0) = 0 THEN NULL "
        f"{cases} ELSE '{SD}' END)"
    )


def channel_layout(channels: int | None) -> str | None:
    """`mono`, `stereo`, `5.1`, `7.1`... or `N ch`; None when unknown."""
    if not channels:
        return None
    return CHANNEL_LAYOUTS.get(channels, f"{channels} ch")
