"""An added audio track (policy `audio.add`, SPEC 19) as ffmpeg makes it: what is encoded,
from which track, and ffmpeg's filter and arguments for it. Pure: edit/additions.py runs it.

The downmixes are fixed matrices (ffmpeg's `pan`, by channel number: libavcodec decodes
5.1 as FL FR FC LFE SL SR and 7.1 as FL FR FC LFE BL BR SL SR, whatever the codec), never
ffmpeg's `-ac`: its matrix depends on the encoder's sample format (libswresample
normalises it, every channel divided by 1 + 0.707 + 0.707, -7.7 dB, when the output is an
integer format such as PCM or FLAC, and not for float encoders such as AAC), so the same
policy would land 8 LU apart by codec; a fixed matrix lands the same way for every codec
(docs/policies.md has the measurements). A limiter (`alimiter`, peak only, its delay
compensated) catches the peaks that the unnormalised sums push past full scale, without
the level riding that loudnorm would do.

- `standard`: ITU-R BS.775 coefficients: front 1, centre 0.707, each surround 0.707; LFE
  left out (as EBU R128 leaves it out of the loudness).
- `dialogue`: the centre lifted to 1.0 and the fronts and surrounds lowered (0.7, 0.5):
  speech stands out, the overall loudness stays near the standard mix's.
- `night`: the standard mix, then a compressor (threshold -26 dBFS, ratio 4, makeup 2):
  loud passages come down, quiet ones up; the loudness range shrinks.
"""

from __future__ import annotations

from dataclasses import dataclass

LFE = 3  # channel number of the LFE in 5.1 and 7.1 as decoded
# (surround-left channel numbers, surround-right) of a decoded 5.1 and 7.1
_SURROUNDS = {6: ((4,), (5,)), 8: ((4, 6), (5, 7))}
# (front, centre, surround) gains of each downmix to stereo
_STEREO = {"standard": (1.0, 0.707, 0.707), "night": (1.0, 0.707, 0.707), "dialogue": (0.7, 1.0, 0.5)}
# (front, centre, surround) gains of each 5.1 (from 7.1, or dialogue's from 5.1)
_FIVE_ONE = {"standard": (1.0, 1.0, 1.0), "night": (1.0, 1.0, 1.0), "dialogue": (0.7, 1.0, 0.7)}
_NIGHT = "acompressor=threshold=0.05:ratio=4:attack=10:release=250:makeup=2"
_LIMITER = "alimiter=limit=0.98:level=0:latency=1"
ENCODERS = {"aac": "aac", "ac3": "ac3", "eac3": "eac3", "opus": "libopus"}
# The default bitrate of each codec by channels, when the policy names none.
DEFAULT_BITRATES = {("aac", 2): "192k", ("aac", 6): "384k", ("ac3", 2): "192k", ("ac3", 6): "448k",
                    ("eac3", 2): "192k", ("eac3", 6): "384k", ("opus", 2): "128k", ("opus", 6): "256k"}  # fmt: skip


@dataclass(frozen=True)
class Encoding:
    """One track to add: `index` is its number in the plan (`order`), `source` the current
    index of the track it is made from."""

    index: int
    source: int
    source_channels: int
    codec: str  # aac | ac3 | eac3 | opus
    channels: int  # 2 or 6
    bitrate: str | None
    downmix: str  # standard | dialogue | night

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "codec": self.codec,
            "channels": self.channels,
            "bitrate": self.bitrate or DEFAULT_BITRATES[(self.codec, self.channels)],
            "downmix": self.downmix,
        }


def audio_filter(enc: Encoding) -> str | None:
    """The filter graph that turns the source's channels into the added track's (None: the
    channels stay as they are, e.g. stereo AAC from a stereo FLAC)."""
    mix = _mix(enc)
    chain = [mix] if mix else []
    if enc.downmix == "night":
        chain.append(_NIGHT)
    if chain:
        chain.append(_LIMITER)
    return ",".join(chain) or None


def _mix(enc: Encoding) -> str | None:
    """The matrix from the source's channels to the added track's (None: none needed)."""
    if enc.source_channels in _SURROUNDS and enc.channels == 2:
        return _to_stereo(enc.source_channels, _STEREO[enc.downmix])
    if enc.source_channels in _SURROUNDS and enc.channels == 6:
        if enc.source_channels == 6 and enc.downmix != "dialogue":
            return None
        return _to_five_one(enc.source_channels, _FIVE_ONE[enc.downmix])
    if enc.channels == enc.source_channels:
        return None
    # an uncommon layout (3, 4, 5, 7 channels): libswresample's matrix, not normalised
    return f"aresample=rematrix_maxval=0,aformat=channel_layouts={_LAYOUTS[enc.channels]}"


_LAYOUTS = {2: "stereo", 6: "5.1(side)"}


def _to_stereo(source_channels: int, gains: tuple[float, float, float]) -> str:
    front, centre, surround = gains
    lefts, rights = _SURROUNDS[source_channels]

    def side(first: int, surrounds: tuple[int, ...]) -> str:
        return "+".join([f"{front}*c{first}", f"{centre}*c2", *(f"{surround}*c{s}" for s in surrounds)])

    return f"pan=stereo|c0={side(0, lefts)}|c1={side(1, rights)}"


def _to_five_one(source_channels: int, gains: tuple[float, float, float]) -> str:
    """5.1 from 5.1 or 7.1: a 7.1's back and side surrounds are summed at 0.707 each (the
    same power for uncorrelated sounds)."""
    front, centre, surround = gains
    lefts, rights = _SURROUNDS[source_channels]
    each = surround * (0.707 if len(lefts) > 1 else 1.0)

    def sur(channels: tuple[int, ...]) -> str:
        return "+".join(f"{each:g}*c{c}" for c in channels)

    return f"pan=5.1(side)|c0={front}*c0|c1={front}*c1|c2={centre}*c2|c3=c3|c4={sur(lefts)}|c5={sur(rights)}"


def encode_args(ffmpeg: str, src: bytes, dst: bytes, enc: Encoding) -> list[str | bytes]:
    """ffmpeg's arguments: track `enc.source` of `src` (absolute, `file:`-prefixed by the
    caller's rule) encoded alone into the Matroska audio file `dst`."""
    args: list[str | bytes] = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", src]
    args += ["-map", f"0:{enc.source}", "-vn", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1"]
    graph = audio_filter(enc)
    if graph:
        args += ["-af", graph]
    args += ["-c:a", ENCODERS[enc.codec], "-b:a", enc.bitrate or DEFAULT_BITRATES[(enc.codec, enc.channels)]]
    args += ["-ac", str(enc.channels)]
    if enc.codec == "opus" and enc.channels == 6:
        args += ["-mapping_family", "1"]
    args += ["-f", "matroska", dst]
    return args
