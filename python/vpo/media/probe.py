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


def prober_for(settings: Settings) -> ProberConfig:
    """The prober the settings ask for: the one place that reads them for it (scan,
    inspect, and the verification after apply and transcode all probe alike)."""
    return ProberConfig(
        backend=settings.scan.prober, ffprobe=settings.tools.ffprobe, timeout=settings.scan.probe_timeout
    )


def probe_file(path: bytes, config: ProberConfig) -> ProbeResult:
    """Probe in this process. Raises ValueError(reason) when the file is not readable media."""
    if config.backend == "ffprobe":
        from vpo.media import probe_ffprobe

        return probe_ffprobe.probe(path, ffprobe=config.ffprobe, timeout=config.timeout)
    from vpo.media import probe_pyav

    return probe_pyav.probe(path)
