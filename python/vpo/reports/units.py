"""Sizes for people: `1.4 GiB` (powers of 1024, as `ls -lh` and `du -h` count)."""

from __future__ import annotations

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_size(size: int | None) -> str:
    """`1.4 GiB`; bytes below 1 KiB as they are; `-` when unknown."""
    if size is None:
        return "-"
    if size < 0:  # a transcode that grew the file "saves" a negative amount
        return "-" + human_size(-size)
    value = float(size)
    for unit in _UNITS[:-1]:
        if value < 1024:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} {_UNITS[-1]}"
