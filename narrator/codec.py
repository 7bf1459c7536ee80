"""Encoding and decoding compressed audio.

Encoding uses ``lameenc`` (LAME as a library: no ffmpeg process, about three
times faster than piping through ffmpeg). Decoding goes through pydub with the
ffmpeg binary that ``imageio-ffmpeg`` ships on PyPI, so no system ffmpeg is
needed.
"""

from __future__ import annotations

import io
import logging
import math
import warnings
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from narrator.errors import NarratorError
from narrator.models import Clip

log = logging.getLogger(__name__)


@cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary shipped by imageio-ffmpeg."""
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - a dependency
        raise NarratorError("no ffmpeg available", hint="pip install imageio-ffmpeg") from exc
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _pydub() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "Couldn't find ffmpeg" at import
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg_exe()
    return AudioSegment


def decode(data: bytes, fmt: str = "mp3") -> Clip:
    """Decode compressed audio to a mono float clip at its own sample rate."""
    audio_segment = _pydub()
    from pydub.exceptions import CouldntDecodeError

    try:
        # Naming the codec skips pydub's ffprobe call (imageio-ffmpeg ships ffmpeg only).
        segment = audio_segment.from_file(io.BytesIO(data), format=fmt, codec=fmt)
    except CouldntDecodeError as exc:
        raise NarratorError(f"cannot decode {fmt} audio: {str(exc).strip()[-200:]}") from exc
    segment = segment.set_channels(1)
    raw = np.array(segment.get_array_of_samples())
    scale = float(1 << (8 * segment.sample_width - 1))
    return Clip((raw / scale).astype(np.float32), segment.frame_rate)


ENCODER_GAIN_DB = 20 * math.log10(0.95)
"""LAME scales its input by 0.95 (its default ``scale``, which lameenc does not expose):
the episode is made this much louder before encoding so the MP3 lands on target."""


FRAME_SAMPLES = 1152
"""Samples per MPEG-1 Layer III frame (32, 44.1 and 48 kHz)."""
LAME_LATENCY = 1105
"""Samples LAME adds before the first input sample plus its flush margin: a stream of
``n`` samples takes ``ceil((n + LAME_LATENCY) / FRAME_SAMPLES)`` frames."""
SPLIT_MIN_SECONDS = 60.0
"""Episodes at least this long are encoded as two halves at once (lameenc releases the GIL)."""


def _encode_pcm(ints: npt.NDArray[np.int16], rate: int, bitrate_kbps: int, quality: int) -> bytes:
    import lameenc

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bitrate_kbps)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(quality)
    try:
        return bytes(encoder.encode(ints.tobytes()) + encoder.flush())
    except RuntimeError as exc:
        raise NarratorError(f"MP3 encoding failed: {exc}") from exc


def _frames(data: bytes, rate: int, bitrate_kbps: int) -> int:
    """Frames in a CBR MPEG-1 Layer III stream of ``data`` (frames hold 144·bitrate/rate bytes)."""
    return round(len(data) / (144 * bitrate_kbps * 1000 / rate))


def _split_point(ints: npt.NDArray[np.int16], rate: int) -> tuple[int, int] | None:
    """``(split, skip)``: a point inside the longest silence of the middle third, and how many
    silent samples after it the second half leaves out so every later sample keeps its time."""
    n = len(ints)
    lo, hi = n // 3, 2 * n // 3
    quiet = np.abs(ints[lo:hi].astype(np.int32)) <= 1
    edges = np.flatnonzero(np.diff(np.concatenate(([0], quiet.view(np.int8), [0]))))
    if len(edges) < 2:
        return None
    starts, ends = edges[0::2], edges[1::2]
    longest = int(np.argmax(ends - starts))
    run_start, run_end = lo + int(starts[longest]), lo + int(ends[longest])
    split = run_start + 64
    skip = -(-(split + LAME_LATENCY) // FRAME_SAMPLES) * FRAME_SAMPLES - split
    if run_end - split < skip + 64:
        return None
    return split, skip


def encode_mp3(clip: Clip, bitrate_kbps: int = 64, quality: int = 7) -> bytes:
    """Encode a mono clip to CBR MP3 bytes.

    A long clip is encoded as two independent CBR streams in two threads, cut in
    a silence: the first stream's flush padding and the second's start-up delay
    replace exactly as many samples of that silence, so the decoded audio keeps
    every sample's time and length (no Xing header is written, so players
    decode every frame of both streams).
    """
    from concurrent.futures import ThreadPoolExecutor

    pcm = np.clip(clip.samples, -1.0, 1.0)
    ints = (pcm * 32767.0).round().astype("<i2")
    rate = clip.sample_rate
    cut = _split_point(ints, rate) if clip.duration >= SPLIT_MIN_SECONDS and rate >= 32000 else None
    if cut is None:
        return _encode_pcm(ints, rate, bitrate_kbps, quality)
    split, skip = cut
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(_encode_pcm, ints[:split], rate, bitrate_kbps, quality)
        second = pool.submit(_encode_pcm, ints[split + skip :], rate, bitrate_kbps, quality)
        head, tail = first.result(), second.result()
    if _frames(head, rate, bitrate_kbps) * FRAME_SAMPLES != split + skip:
        log.debug("MP3 split did not line up; encoding in one stream")
        return _encode_pcm(ints, rate, bitrate_kbps, quality)
    return head + tail
