"""How compactly, and how fast, could the clip cache store the sample's clips?

```
python bench/bench_cache.py                 # voices the sample seed into a temporary cache first
python bench/bench_cache.py --cache DIR     # the clips already in a clip cache folder
```

Every candidate stores the 16-bit samples a clip carries (``narrator.audio.transform.quantize``)
and must give them back exactly (checked). For each it prints the size in KB per second of
audio (the target is 30 at most), and the median time to encode and to decode one second of
audio, over all clips. Candidates that need a package which is not installed are skipped.
"""

from __future__ import annotations

import argparse
import bz2
import lzma
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

Pcm = npt.NDArray[np.int16]
Codec = tuple[Callable[[Pcm, int], bytes], Callable[[bytes], Pcm]]


def _shuffle(pcm: Pcm) -> bytes:
    """Sample-to-sample differences, low bytes then high bytes (the high bytes are mostly 0/255)."""
    delta = np.diff(pcm.astype(np.int32), prepend=0).astype("<i2")
    return delta.view(np.uint8).reshape(-1, 2).T.tobytes()


def _unshuffle(data: bytes) -> Pcm:
    planes = np.frombuffer(data, dtype=np.uint8).reshape(2, -1)
    delta = np.ascontiguousarray(planes.T).view("<i2").ravel()
    return np.cumsum(delta, dtype=np.int16)


def _lzma_filters() -> list[dict[str, int]]:
    return [{"id": lzma.FILTER_DELTA, "dist": 2}, {"id": lzma.FILTER_LZMA2, "preset": 6}]


def candidates() -> dict[str, Codec]:
    found: dict[str, Codec] = {
        "raw int16": (lambda p, r: p.tobytes(), lambda b: np.frombuffer(b, "<i2")),
        "int16 + zlib 6": (
            lambda p, r: zlib.compress(p.tobytes(), 6),
            lambda b: np.frombuffer(zlib.decompress(b), "<i2"),
        ),
        "delta/bytes + zlib 6": (
            lambda p, r: zlib.compress(_shuffle(p), 6),
            lambda b: _unshuffle(zlib.decompress(b)),
        ),
        "delta/bytes + zlib 9": (
            lambda p, r: zlib.compress(_shuffle(p), 9),
            lambda b: _unshuffle(zlib.decompress(b)),
        ),
        "delta/bytes + bz2 9": (
            lambda p, r: bz2.compress(_shuffle(p), 9),
            lambda b: _unshuffle(bz2.decompress(b)),
        ),
        "int16 + lzma (delta 2)": (
            lambda p, r: lzma.compress(
                p.tobytes(), format=lzma.FORMAT_RAW, filters=_lzma_filters()
            ),
            lambda b: np.frombuffer(
                lzma.decompress(b, format=lzma.FORMAT_RAW, filters=_lzma_filters()), "<i2"
            ),
        ),
    }
    try:
        import io

        import soundfile

        def flac(pcm: Pcm, rate: int, level: float | None = None) -> bytes:
            out = io.BytesIO()
            soundfile.write(
                out, pcm, rate, format="FLAC", subtype="PCM_16", compression_level=level
            )
            return out.getvalue()

        def unflac(data: bytes) -> Pcm:
            pcm, _ = soundfile.read(io.BytesIO(data), dtype="int16")
            return np.asarray(pcm, dtype=np.int16)

        found["FLAC (soundfile, default level)"] = (flac, unflac)
        found["FLAC (soundfile, level 1.0)"] = (lambda p, r: flac(p, r, 1.0), unflac)
        found["FLAC (soundfile, level 0.0)"] = (lambda p, r: flac(p, r, 0.0), unflac)
    except ImportError:
        print("soundfile not installed: FLAC skipped", file=sys.stderr)
    try:
        import brotli

        found["delta/bytes + brotli 9"] = (
            lambda p, r: brotli.compress(_shuffle(p), quality=9),
            lambda b: _unshuffle(brotli.decompress(b)),
        )
    except ImportError:
        pass
    try:
        from narrator.build.store import decode_entry, encode_entry
        from narrator.models import Clip

        found["narrator's store (this version)"] = (
            lambda p, r: encode_entry(Clip(p.astype(np.float32) / 32768, r)),
            lambda b: np.round(decode_entry(b).samples * 32768).astype(np.int16),
        )
    except ImportError:
        pass
    return found


def read_float_wav(raw: bytes) -> tuple[npt.NDArray[np.float32], int]:
    """Samples and rate of a float32 WAV entry of ``clips-v1`` (narrator before 16-bit clips)."""
    import struct

    chunks: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(raw):
        name, size = raw[pos : pos + 4], struct.unpack_from("<I", raw, pos + 4)[0]
        chunks[name] = raw[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size & 1)
    rate = struct.unpack_from("<I", chunks[b"fmt "], 4)[0]
    return np.frombuffer(chunks[b"data"], dtype="<f4").astype(np.float32), rate


def load_clips(cache: Path) -> list[tuple[Pcm, int]]:
    """Every clip of a clip cache folder, as 16-bit samples, whatever version wrote it."""
    from narrator.audio.transform import PCM16_SCALE, quantize
    from narrator.build import store
    from narrator.models import Clip

    clips: list[tuple[Pcm, int]] = []
    for path in sorted(cache.glob("clips-v*/*/*")):
        if path.name.startswith("."):  # a temporary file of a build writing right now
            continue
        raw = path.read_bytes()
        try:
            clip = store.decode_entry(raw)
        except store.CorruptEntry:
            clip = quantize(Clip(*read_float_wav(raw)))  # an old float32 entry (clips-v1)
        pcm = np.round(clip.samples * PCM16_SCALE).astype(np.int16)
        clips.append((pcm, clip.sample_rate))
    return clips


def voice_sample(cache: Path) -> None:
    from narrator.build.pipeline import build
    from narrator.build.store import ClipCache
    from narrator.config import load_config
    from narrator.voice.synthesizer import Synthesizer

    with tempfile.TemporaryDirectory() as out:
        synthesizer = Synthesizer(cache=ClipCache(cache))
        build([ROOT / "seeds"], Path(out), load_config(None), synthesizer=synthesizer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache", type=Path, help="a clip cache folder (default: voice the sample)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timings per clip (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or Path(tmp)
        if args.cache is None:
            voice_sample(cache)
        clips = load_clips(cache)
    seconds = sum(len(p) / r for p, r in clips)
    print(f"{len(clips)} clips, {seconds:.1f} s of audio at {clips[0][1]} Hz")
    print(f"{'candidate':34s} {'KB/s':>6s} {'enc ms/s':>9s} {'dec ms/s':>9s}")
    for name, (encode, decode) in candidates().items():
        size, enc, dec = 0, 0.0, 0.0
        for pcm, rate in clips:
            times_e, times_d = [], []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                data = encode(pcm, rate)
                t1 = time.perf_counter()
                back = decode(data)
                t2 = time.perf_counter()
                times_e.append(t1 - t0)
                times_d.append(t2 - t1)
            if not np.array_equal(back, pcm):
                raise SystemExit(f"{name} is not lossless")
            size += len(data)
            enc += statistics.median(times_e)
            dec += statistics.median(times_d)
        print(
            f"{name:34s} {size / seconds / 1000:6.1f} "
            f"{enc / seconds * 1000:9.2f} {dec / seconds * 1000:9.2f}"
        )


if __name__ == "__main__":
    main()
