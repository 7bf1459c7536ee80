"""Measurements on audio used by the tests (pitch, silence)."""

from __future__ import annotations

import numpy as np

from narrator.models import Clip


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
