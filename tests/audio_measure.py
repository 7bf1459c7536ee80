"""Measurements on audio used by the tests and benchmarks (loudness, true peak, pitch,
silence); the build itself meters chunk by chunk (``narrator.audio.leveling``)."""

from __future__ import annotations

import numpy as np

from narrator.audio.loudness import Weighted, block_count, gated_loudness, loudness_of_blocks
from narrator.audio.peak import PeakEnvelope
from narrator.models import Clip


def integrated_loudness(clip: Clip) -> float:
    """Integrated loudness in LUFS (BS.1770-4, gated), -inf for silence.

    400 ms blocks with 75 % overlap, absolute gate at -70 LUFS, relative gate
    10 LU below. Each block is the sum of four 100 ms hops of squared
    K-weighted samples (the build's own meter, ``Weighted`` and ``gated_loudness``),
    so a 200 s episode takes about 35 ms (pyloudnorm's per-block loop: 0.3 s); at
    rates where 100 ms is not a whole number of samples, block energies come from
    one cumulative sum instead.
    """
    rate, n = clip.sample_rate, len(clip.samples)
    if clip.duration < 0.5:
        return float("-inf")
    meter = Weighted(clip.samples, rate)
    if rate % 10 == 0:
        return gated_loudness(meter.hops, rate, n)
    weighted = meter.weighted.astype(np.float64)
    energy = np.concatenate(([0.0], np.cumsum(weighted * weighted)))
    j = np.arange(block_count(n, rate))
    lower = np.minimum((0.4 * (j * 0.25) * rate).astype(np.int64), n)
    upper = np.minimum((0.4 * (j * 0.25 + 1) * rate).astype(np.int64), n)
    return loudness_of_blocks((energy[upper] - energy[lower]) / (0.4 * rate))


def true_peak_db(clip: Clip) -> float:
    """True peak in dBTP, estimated with 4x oversampling (BS.1770-4 annex 2), with the
    limiter's own envelope (``PeakEnvelope``)."""
    if len(clip.samples) == 0:
        return float("-inf")
    peaks = PeakEnvelope(clip.samples)
    peak = float(peaks.block_peaks.max())
    blocks = peaks.reaching(peak)
    if len(blocks):
        peak = max(peak, float(peaks.of(blocks).max()))
    return 20 * float(np.log10(peak)) if peak > 0 else float("-inf")


def median_pitch(clip: Clip, fmin: float = 60.0, fmax: float = 400.0) -> float:
    """Median fundamental frequency (Hz) over voiced frames, by autocorrelation."""
    rate = clip.sample_rate
    frame = int(0.04 * rate)
    hop = frame // 2
    lo, hi = int(rate / fmax), int(rate / fmin)
    samples = clip.samples.astype(np.float64)
    energy_floor = 0.1 * np.sqrt(np.mean(samples**2))
    pitches = []
    for start in range(0, len(samples) - frame, hop):
        x = samples[start : start + frame]
        x = x - x.mean()
        if np.sqrt(np.mean(x**2)) < energy_floor:
            continue
        ac = np.correlate(x, x, mode="full")[frame - 1 :]
        if ac[0] <= 0:
            continue
        ac = ac / ac[0]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5:
            pitches.append(rate / lag)
    return float(np.median(pitches)) if pitches else 0.0


def silent_runs(
    clip: Clip, threshold_db: float = -45.0, min_s: float = 0.05
) -> list[tuple[float, float]]:
    """(start, length) in seconds of every run of near-silence at least ``min_s`` long."""
    window = int(0.01 * clip.sample_rate)
    n = len(clip.samples) // window
    frames = clip.samples[: n * window].reshape(n, window)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    quiet = rms < 10 ** (threshold_db / 20)
    runs = []
    start = None
    for i, q in enumerate([*quiet.tolist(), False]):
        if q and start is None:
            start = i
        elif not q and start is not None:
            if (i - start) * 0.01 >= min_s:
                runs.append((start * 0.01, (i - start) * 0.01))
            start = None
    return runs
