"""Encoding and decoding compressed audio.

Encoding uses ``lameenc`` (LAME as a library: no ffmpeg process, about three
times faster than piping through ffmpeg); an episode is encoded chunk by chunk
(``encode_chunks``), so that unchanged chunks keep their MP3 frames. Decoding
goes through pydub with the ffmpeg binary that ``imageio-ffmpeg`` ships on
PyPI, so no system ffmpeg is needed.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import warnings
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from narrator.build.versions import package_version
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


def encode_pcm(ints: npt.NDArray[np.int16], rate: int, bitrate_kbps: int, quality: int) -> bytes:
    """16-bit mono PCM as one CBR MP3 stream (LAME's delay and padding included)."""
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


def frames_in(data: bytes, rate: int, bitrate_kbps: int) -> int:
    """Frames in a CBR MPEG-1 Layer III stream of ``data`` (frames hold 144·bitrate/rate bytes)."""
    return round(len(data) / (144 * bitrate_kbps * 1000 / rate))


def encode_mp3(clip: Clip, bitrate_kbps: int = 64, quality: int = 7) -> bytes:
    """Encode a mono clip to CBR MP3 bytes, in one stream (no Xing header is written,
    so players decode every frame)."""
    return encode_pcm(_to_pcm16(clip.samples), clip.sample_rate, bitrate_kbps, quality)


# Chunked encoding: an episode is encoded as a run of independent CBR streams, one
# per chunk of audio cut in a pause, joined frame to frame. A stream of n samples
# decodes to ``stream_frames(n) * FRAME_SAMPLES`` samples: the encoder's delay,
# the n samples, then padding to a whole frame. Assembly plans each chunk's following
# silence to be exactly that delay and padding (``stream_gap``), so every
# sample's time is known; and since a chunk's stream depends on nothing but its
# own samples, an unchanged chunk's MP3 frames can be reused as they are.
STREAM_DELAY = 1105
"""Samples a decoder plays before a LAME stream's first sample at MPEG-1 rates (the
encoder's 576 and the decoder's 529; measured: 25.06 ms at 44.1 kHz)."""
MPEG1_RATES = (32000, 44100, 48000)
"""Rates of 1152-sample frames (MPEG-1 Layer III), the ones chunks are planned for."""
JOIN_SILENCE = FRAME_SAMPLES + FRAME_SAMPLES / 2
"""Silence (output samples) each join adds on average (see ``stream_gap``)."""
MIN_CUT_PAUSE = 0.05
"""A pause is cut into chunks only if this much of it is left before the next chunk's speech."""
CHUNK_FORMAT = 1
"""Bump when the way a chunk becomes MP3 bytes changes (invalidates stored chunks)."""


def chunked(rate: int) -> bool:
    """Whether episodes at ``rate`` are encoded in chunks."""
    return rate in MPEG1_RATES


def stream_frames(samples: int) -> int:
    """Frames of a CBR stream of ``samples`` samples from LAME: the samples rounded up to
    whole frames, plus one for the encoder's delay and flush (measured: lameenc 1.9,
    LAME 3.100, at every MPEG-1 rate)."""
    return -(-samples // FRAME_SAMPLES) + 1


def stream_gap(samples: int) -> int:
    """Silence a stream of ``samples`` samples adds when decoded (1152 to 2303 samples):
    the encoder's delay before them and its padding after them."""
    return stream_frames(samples) * FRAME_SAMPLES - samples


class ChunkStore(Protocol):
    """Where encoded chunks are kept between builds (``narrator.build.store.ClipCache``)."""

    def get_chunk(self, key: str) -> bytes | None: ...

    def put_chunk(self, key: str, data: bytes) -> None: ...


def chunk_key(level_key: str, rate: int, out_rate: int, bitrate: int, quality: int) -> str:
    """What an encoded chunk's bytes depend on: its leveled audio and every encoding setting."""
    encoder = package_version("lameenc", "lameenc")
    head = f"{CHUNK_FORMAT}|{level_key}|{rate}|{out_rate}|{bitrate}|{quality}|{encoder}"
    return hashlib.sha256(head.encode()).hexdigest()


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity where the system has one (Linux:
    what ``taskset`` or a container's cpuset allows), else ``os.cpu_count()``. A CPU
    quota (cgroup ``cpu.max``) is not seen, so under one this counts too many."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _to_pcm16(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.int16]:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")


def encode_chunks(
    keys: Sequence[str],
    samples_of: Callable[[int], npt.NDArray[np.float32]],
    lengths: Sequence[int],
    rate: int,
    out_rate: int,
    bitrate_kbps: int = 64,
    quality: int = 7,
    store: ChunkStore | None = None,
) -> bytes | None:
    """Encode each chunk (``samples_of(i)``: ``lengths[i]`` samples at ``rate``, made only
    when needed; resampled to ``out_rate``) as a stream of its own and join the streams.
    A chunk whose ``keys[i]`` (what its audio depends on) ``store`` holds is not made or
    encoded again.

    Returns None if a stream does not come out at its planned length (the caller
    then encodes the episode as one stream).
    """
    from concurrent.futures import ThreadPoolExecutor

    from narrator.audio.transform import resample, resampled_length

    names = [chunk_key(k, rate, out_rate, bitrate_kbps, quality) for k in keys]
    frames = [stream_frames(resampled_length(n, rate, out_rate)) for n in lengths]
    streams: list[bytes | None] = [None] * len(keys)
    if store is not None:
        for i, name in enumerate(names):
            data = store.get_chunk(name)
            if data is not None and frames_in(data, out_rate, bitrate_kbps) == frames[i]:
                streams[i] = data
    todo = [i for i, data in enumerate(streams) if data is None]
    made = {i: samples_of(i) for i in todo}  # in this thread: leveling is not thread-safe

    def encode(i: int) -> bytes:
        pcm = resample(Clip(made[i], rate), out_rate).samples
        return encode_pcm(_to_pcm16(pcm), out_rate, bitrate_kbps, quality)

    threads = min(len(todo), usable_cores())
    if threads > 1:  # lameenc and numpy's FFTs release the GIL
        with ThreadPoolExecutor(max_workers=threads) as pool:
            fresh = list(pool.map(encode, todo))
    else:
        fresh = [encode(i) for i in todo]
    for i, data in zip(todo, fresh, strict=True):
        got = frames_in(data, out_rate, bitrate_kbps)
        if got != frames[i]:
            log.debug("chunk %d came out at %d frames, not %d", i, got, frames[i])
            return None
        streams[i] = data
        if store is not None:
            store.put_chunk(names[i], data)
    log.debug("encoded %d of %d chunks (the others were stored)", len(todo), len(keys))
    return b"".join(s for s in streams if s is not None)
