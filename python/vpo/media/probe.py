"""The prober interface: `probe_file(path, backend=...)` picks an adapter."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from vpo.media.models import ProbeResult

if TYPE_CHECKING:
    from vpo.config.settings import Settings

BACKENDS = ("pyav", "ffprobe")


class ProberConfig(NamedTuple):
    backend: str = "pyav"
    ffprobe: str = "ffprobe"
    timeout: float = 60.0
    quick_check: bool = True  # the integrity quick check (media.integrity, media.tail; SPEC 14)


def prober_for(settings: Settings, *, scanning: bool = False) -> ProberConfig:
    """The prober the settings ask for: the one place that reads them for it (scan,
    inspect, and the verification after apply and transcode all probe alike).
    `scan.quick_check: false` switches the integrity quick check off for scans only: a
    result VPO wrote itself is always checked before it replaces anything."""
    return ProberConfig(
        backend=settings.scan.prober,
        ffprobe=settings.tools.ffprobe,
        timeout=settings.scan.probe_timeout,
        quick_check=settings.scan.quick_check if scanning else True,
    )


def probe_file(path: bytes, config: ProberConfig) -> ProbeResult:
    """Probe in this process. Raises ValueError(reason) when the file is not readable media,
    or (with `config.quick_check`) when its container says it is cut short (SPEC section 14).

    The container's structure (and Matroska's end of streams) is read first, in Python, for
    every backend: a few small reads that name the damage better than a failed probe. The
    end of the streams of other containers is read inside the PyAV adapter, on the
    container it opened (the ffprobe backend skips that step, see docs/integrity.md).
    """
    if config.quick_check:
        from vpo.media.integrity import check_structure

        check_structure(path)
    if config.backend == "ffprobe":
        from vpo.media import probe_ffprobe

        return probe_ffprobe.probe(path, ffprobe=config.ffprobe, timeout=config.timeout)
    from vpo.media import probe_pyav

    return probe_pyav.probe(path, tail=config.quick_check)
