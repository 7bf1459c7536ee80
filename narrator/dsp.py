"""Signal processing on clips: resampling, pitch, trimming, loudness, peaks.

pyloudnorm (an ITU-R BS.1770-4 meter) measures integrated loudness; scipy's
polyphase resampler does every rate change, including the 4x oversampling used
to estimate the true peak.
"""

from __future__ import annotations

import logging
from fractions import Fraction

import numpy as np
import numpy.typing as npt
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly

from narrator.models import Clip

log = logging.getLogger(__name__)

Samples = npt.NDArray[np.float32]


def silence(seconds: float, rate: int) -> Samples:
    """Digital silence of the given length."""
    return np.zeros(max(0, round(seconds * rate)), dtype=np.float32)


def _resample(samples: Samples, ratio: Fraction) -> Samples:
    if ratio == 1 or len(samples) == 0:
        return samples
    out = resample_poly(samples, ratio.numerator, ratio.denominator)
    return np.asarray(out, dtype=np.float32)


def resample(clip: Clip, rate: int) -> Clip:
    """The clip at another sample rate (polyphase, anti-aliased)."""
    if clip.sample_rate == rate:
        return clip
    ratio = Fraction(rate, clip.sample_rate)
    return Clip(_resample(clip.samples, ratio), rate)


def shift_pitch(clip: Clip, factor: float) -> Clip:
    """Raise (factor > 1) or lower the pitch by playing the clip faster or slower.

    This also changes the tempo by the same factor; the caller compensates by
    asking the voice for a tempo of 1/factor beforehand (see ``synthesize``).
    """
    if abs(factor - 1.0) < 1e-3:
        return clip
    ratio = Fraction(1 / factor).limit_denominator(100)
    return Clip(_resample(clip.samples, ratio), clip.sample_rate)


def trim(clip: Clip, threshold_db: float = -50.0, keep: float = 0.02) -> Clip:
    """Remove leading and trailing near-silence, keeping ``keep`` seconds of margin."""
    samples = clip.samples
    if len(samples) == 0:
        return clip
    loud = np.flatnonzero(np.abs(samples) > 10 ** (threshold_db / 20))
    if len(loud) == 0:
        return Clip(samples[:0], clip.sample_rate)
    margin = round(keep * clip.sample_rate)
    start = max(0, int(loud[0]) - margin)
    end = min(len(samples), int(loud[-1]) + margin + 1)
    return Clip(samples[start:end], clip.sample_rate)


def fade(samples: Samples, rate: int, seconds: float = 0.005) -> Samples:
    """Short linear fades at both ends, so cut clips never click."""
    n = min(len(samples) // 2, round(seconds * rate))
    if n == 0:
        return samples
    out = samples.copy()
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    out[:n] *= ramp
    out[-n:] *= ramp[::-1]
    return out


def integrated_loudness(clip: Clip) -> float:
    """Integrated loudness in LUFS (BS.1770-4, gated), -inf for silence."""
    import pyloudnorm

    if clip.duration < 0.5:
        return float("-inf")
    meter = pyloudnorm.Meter(clip.sample_rate)
    return float(meter.integrated_loudness(clip.samples.astype(np.float64)))


def _oversampled(samples: Samples) -> Samples:
    return _resample(samples, Fraction(4))


def true_peak_db(clip: Clip) -> float:
    """True peak in dBTP, estimated with 4x oversampling (BS.1770-4 annex 2)."""
    if len(clip.samples) == 0:
        return float("-inf")
    peak = float(np.max(np.abs(_oversampled(clip.samples))))
    return 20 * np.log10(peak) if peak > 0 else float("-inf")


def limit(clip: Clip, ceiling_db: float, lookahead: float = 0.005, release: float = 0.05) -> Clip:
    """A look-ahead peak limiter: gain only dips where the true peak would pass ``ceiling_db``."""
    ceiling = 10 ** (ceiling_db / 20)
    rate = clip.sample_rate
    over = np.abs(_oversampled(clip.samples))
    n = len(clip.samples)
    peaks = np.pad(over, (0, max(0, 4 * n - len(over))))[: 4 * n].reshape(n, 4).max(axis=1)
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    if needed.min() >= 1.0:
        return clip
    hold = max(1, round(lookahead * rate))
    gain = minimum_filter1d(needed, size=2 * hold + 1)
    gain = uniform_filter1d(gain, size=max(1, round(release * rate / 4)))
    gain = np.minimum(gain, minimum_filter1d(needed, size=2 * hold + 1))
    return Clip((clip.samples * gain).astype(np.float32), rate)


def normalize_loudness(clip: Clip, target_lufs: float, ceiling_db: float) -> Clip:
    """Gain the whole clip to ``target_lufs``, then keep the true peak under ``ceiling_db``."""
    current = integrated_loudness(clip)
    if not np.isfinite(current):
        return clip
    out = Clip((clip.samples * 10 ** ((target_lufs - current) / 20)).astype(np.float32), clip.sample_rate)
    margin = 0.3  # the true-peak estimate between oversampled points can still rise a little
    for _ in range(2):
        if true_peak_db(out) <= ceiling_db - margin / 2:
            break
        out = limit(out, ceiling_db - margin)
        current = integrated_loudness(out)
        out = Clip(
            (out.samples * 10 ** ((target_lufs - current) / 20)).astype(np.float32),
            out.sample_rate,
        )
    if true_peak_db(out) > ceiling_db:
        out = limit(out, ceiling_db - margin)
    log.debug("loudness %.2f LUFS -> %.2f target", current, target_lufs)
    return out
