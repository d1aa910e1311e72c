"""HDR from a video stream's transfer characteristic (what ffprobe calls `color_transfer`).

The catalogue stores the transfer's name as ffprobe spells it, or nothing when the stream
does not state one. PQ (`smpte2084`: HDR10, HDR10+, Dolby Vision's base layer) and HLG
(`arib-std-b67`) are HDR; everything else is SDR. Both probe adapters call this module so
that they store the same names.
"""

from __future__ import annotations

# libavutil's AVColorTransferCharacteristic values and their names (av_color_transfer_name),
# as PyAV hands over the number and ffprobe prints the name. 2 is "unspecified": not stored.
TRANSFER_NAMES = {
    1: "bt709",
    4: "bt470m",
    5: "bt470bg",
    6: "smpte170m",
    7: "smpte240m",
    8: "linear",
    9: "log100",
    10: "log316",
    11: "iec61966-2-4",
    12: "bt1361e",
    13: "iec61966-2-1",
    14: "bt2020-10",
    15: "bt2020-12",
    16: "smpte2084",
    17: "smpte428",
    18: "arib-std-b67",
}
UNSPECIFIED = ("unspecified", "unknown", "reserved", "reserved0", "")

# Transfer name -> HDR format.
HDR_TRANSFERS = {"smpte2084": "PQ", "arib-std-b67": "HLG"}


def transfer_name(value: int | str | None) -> str | None:
    """The stored name for a transfer given as libavutil's number (PyAV) or name (ffprobe)."""
    if value is None:
        return None
    if isinstance(value, int):
        return TRANSFER_NAMES.get(value)
    name = value.strip().lower()
    return None if name in UNSPECIFIED else name


def hdr_format(transfer: str | None) -> str | None:
    """`PQ` or `HLG` for an HDR transfer, None for SDR (or a stream that states none)."""
    return HDR_TRANSFERS.get(transfer or "")


def hdr_label(transfer: str | None, *, has_video: bool) -> str | None:
    """What reports show: `PQ`, `HLG`, `SDR`, or None for a file without a video track."""
    if not has_video:
        return None
    return hdr_format(transfer) or "SDR"
