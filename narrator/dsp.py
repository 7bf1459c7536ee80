"""Signal processing on clips: resampling, pitch, trimming, loudness, peaks.

Integrated loudness is a vectorized ITU-R BS.1770-4 meter (pyloudnorm's
K-weighting filters; the tests check the two agree); scipy's polyphase
resampler does every rate change, including the 4x oversampling used to
estimate the true peak, which is computed only where it can reach the level
in question. scipy is imported inside the functions that need it.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from functools import cache

import numpy as np
import numpy.typing as npt

from narrator.models import Clip

log = logging.getLogger(__name__)

Samples = npt.NDArray[np.float32]


def silence(seconds: float, rate: int) -> Samples:
    """Digital silence of the given length."""
    return np.zeros(max(0, round(seconds * rate)), dtype=np.float32)


def _resample(samples: Samples, ratio: Fraction) -> Samples:
    if ratio == 1 or len(samples) == 0:
        return samples
    from scipy.signal import resample_poly  # scipy takes ~0.4 s to import: only when needed

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
    if abs(factor - 1.0) < 1e-3 or len(clip.samples) == 0:
        return clip
    return Clip(_fft_resample(clip.samples, round(len(clip.samples) / factor)), clip.sample_rate)


def _fft_resample(samples: Samples, length: int) -> Samples:
    """Band-limited resampling of one short clip to ``length`` samples, with numpy alone.

    Used in the synthesis workers, which then never import scipy (~0.5 s each).
    A clip starts and ends in near-silence, so the FFT's circular wrap is inaudible.
    """
    n = len(samples)
    spectrum = np.fft.rfft(samples.astype(np.float64))
    size = length // 2 + 1
    if size <= len(spectrum):
        spectrum = spectrum[:size]
    else:
        spectrum = np.concatenate((spectrum, np.zeros(size - len(spectrum), dtype=complex)))
    return (np.fft.irfft(spectrum, length) * (length / n)).astype(np.float32)


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


def _k_weighting(rate: int) -> npt.NDArray[np.float64]:
    """BS.1770-4 K-weighting at ``rate`` as second-order sections (shelf, then high-pass).

    The same RBJ biquad designs as pyloudnorm's "K-weighting" meter, so the two agree
    to the last digit; only the block loop is vectorized here.
    """
    a_gain = 10 ** (4.0 / 40.0)
    w0 = 2 * np.pi * 1500.0 / rate
    alpha = np.sin(w0) / (2 * (1 / np.sqrt(2)))
    cos, root = np.cos(w0), np.sqrt(a_gain)
    shelf_b = [
        a_gain * ((a_gain + 1) + (a_gain - 1) * cos + 2 * root * alpha),
        -2 * a_gain * ((a_gain - 1) + (a_gain + 1) * cos),
        a_gain * ((a_gain + 1) + (a_gain - 1) * cos - 2 * root * alpha),
    ]
    shelf_a = [
        (a_gain + 1) - (a_gain - 1) * cos + 2 * root * alpha,
        2 * ((a_gain - 1) - (a_gain + 1) * cos),
        (a_gain + 1) - (a_gain - 1) * cos - 2 * root * alpha,
    ]
    w0 = 2 * np.pi * 38.0 / rate
    alpha, cos = np.sin(w0) / (2 * 0.5), np.cos(w0)
    pass_b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
    pass_a = [1 + alpha, -2 * cos, 1 - alpha]
    rows = [
        [*(np.array(shelf_b) / shelf_a[0]), *(np.array(shelf_a) / shelf_a[0])],
        [*(np.array(pass_b) / pass_a[0]), *(np.array(pass_a) / pass_a[0])],
    ]
    return np.array(rows, dtype=np.float64)


def integrated_loudness(clip: Clip) -> float:
    """Integrated loudness in LUFS (BS.1770-4, gated), -inf for silence.

    400 ms blocks with 75 % overlap, absolute gate at -70 LUFS, relative gate
    10 LU below; block energies come from one cumulative sum, so a 200 s
    episode takes about 0.1 s (pyloudnorm's per-block loop: 0.3 s).
    """
    from scipy.signal import sosfilt

    rate, n = clip.sample_rate, len(clip.samples)
    if clip.duration < 0.5:
        return float("-inf")
    weighted = sosfilt(_k_weighting(rate), clip.samples.astype(np.float64))
    energy = np.concatenate(([0.0], np.cumsum(weighted * weighted)))
    block, step = 0.4, 0.25
    count = int(np.round((n / rate - block) / (block * step))) + 1
    j = np.arange(count)
    lower = np.minimum((block * (j * step) * rate).astype(np.int64), n)
    upper = np.minimum((block * (j * step + 1) * rate).astype(np.int64), n)
    z = (energy[upper] - energy[lower]) / (block * rate)
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10 * np.log10(z)
    gated = loudness >= -70.0
    if not gated.any():
        return float("-inf")
    relative = -0.691 + 10 * np.log10(z[gated].mean()) - 10.0
    gated = (loudness > relative) & (loudness > -70.0)
    if not gated.any():
        return float("-inf")
    return float(-0.691 + 10 * np.log10(z[gated].mean()))


# True peak: 4x oversampling with scipy's default polyphase filter, computed only
# where it can matter. Each oversampled value is a weighted sum of at most 21
# neighbouring samples, so it is bounded by their largest magnitude times the
# L1 norm of the filter phase: blocks whose bound stays under the level in
# question are skipped, and the answer is still exact.
_OVERSAMPLE = 4
_BLOCK = 512
_PAD = 16


@cache
def _oversampling_filter() -> npt.NDArray[np.float64]:
    from scipy.signal import firwin

    taps = 2 * 10 * _OVERSAMPLE + 1  # as resample_poly(x, 4, 1) designs it
    h = firwin(taps, 1 / _OVERSAMPLE, window=("kaiser", 5.0)) * _OVERSAMPLE
    return np.asarray(h, dtype=np.float64)


@cache
def _overshoot_bound() -> float:
    h = _oversampling_filter()
    return float(max(np.abs(h[p::_OVERSAMPLE]).sum() for p in range(_OVERSAMPLE)))


def _block_bounds(samples: Samples) -> tuple[Samples, Samples]:
    """Per block of ``_BLOCK`` samples: its peak, and an upper bound of its true peak."""
    n = len(samples)
    count = -(-n // _BLOCK)
    padded = np.zeros(count * _BLOCK, dtype=np.float32)
    padded[:n] = np.abs(samples)
    peaks = padded.reshape(count, _BLOCK).max(axis=1)
    near = peaks.copy()
    near[1:] = np.maximum(near[1:], peaks[:-1])
    near[:-1] = np.maximum(near[:-1], peaks[1:])
    return peaks, (near * _overshoot_bound()).astype(np.float32)


def _oversampled_blocks(samples: Samples, blocks: npt.NDArray[np.intp]) -> Samples:
    """|4x oversampled| values of the given blocks, shape (len(blocks), 4 * _BLOCK)."""
    n = len(samples)
    padded = np.zeros(n + 2 * _PAD + _BLOCK, dtype=np.float32)
    padded[_PAD : _PAD + n] = samples
    starts = blocks * _BLOCK
    windows = padded[starts[:, None] + np.arange(_BLOCK + 3 * _PAD)]
    windows[:, _BLOCK + 2 * _PAD :] = 0.0  # a silent gap keeps neighbouring windows apart
    up = _resample(windows.ravel(), Fraction(_OVERSAMPLE))
    up = up.reshape(len(blocks), (_BLOCK + 3 * _PAD) * _OVERSAMPLE)
    return np.abs(up[:, _PAD * _OVERSAMPLE : (_PAD + _BLOCK) * _OVERSAMPLE])


def _oversampled(samples: Samples) -> Samples:
    return _resample(samples, Fraction(_OVERSAMPLE))


def true_peak_db(clip: Clip) -> float:
    """True peak in dBTP, estimated with 4x oversampling (BS.1770-4 annex 2)."""
    if len(clip.samples) == 0:
        return float("-inf")
    peaks, bounds = _block_bounds(clip.samples)
    peak = float(peaks.max())
    candidates = np.flatnonzero(bounds > peak)
    if len(candidates):
        peak = max(peak, float(_oversampled_blocks(clip.samples, candidates).max()))
    return 20 * float(np.log10(peak)) if peak > 0 else float("-inf")


def limit(clip: Clip, ceiling_db: float, lookahead: float = 0.005, release: float = 0.05) -> Clip:
    """A look-ahead peak limiter: gain only dips where the true peak would pass ``ceiling_db``."""
    ceiling = 10 ** (ceiling_db / 20)
    rate, n = clip.sample_rate, len(clip.samples)
    if n == 0:
        return clip
    _, bounds = _block_bounds(clip.samples)
    blocks = np.flatnonzero(bounds > ceiling)
    if len(blocks) == 0:
        return clip
    over = _oversampled_blocks(clip.samples, blocks)
    block_peaks = over.reshape(len(blocks), _BLOCK, _OVERSAMPLE).max(axis=2)
    needed = np.ones(len(blocks) * _BLOCK, dtype=np.float64)
    needed[:] = np.minimum(1.0, ceiling / np.maximum(block_peaks.ravel(), 1e-12))
    where = (blocks[:, None] * _BLOCK + np.arange(_BLOCK)).ravel()
    keep = (needed < 1.0) & (where < n)
    if not keep.any():
        return clip
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    hold = max(1, round(lookahead * rate))
    smooth = max(1, round(release * rate / 4))
    reach = 2 * hold + smooth + 2
    points, values = where[keep], needed[keep]
    # Work only on stretches around the samples that need gain reduction: elsewhere
    # the gain is exactly 1 and the filters below would leave it so.
    gain = np.ones(n, dtype=np.float32)
    breaks = np.flatnonzero(np.diff(points) > 4 * reach)
    firsts = points[np.concatenate(([0], breaks + 1))]
    lasts = points[np.concatenate((breaks, [len(points) - 1]))]
    for first, last in zip(firsts, lasts, strict=True):
        lo, hi = max(0, int(first) - 2 * reach), min(n, int(last) + 2 * reach + 1)
        local = np.ones(hi - lo, dtype=np.float64)
        a, b = np.searchsorted(points, [lo, hi])
        local[points[a:b] - lo] = values[a:b]
        floor = minimum_filter1d(local, size=2 * hold + 1)
        smoothed = uniform_filter1d(floor, size=smooth)
        gain[lo:hi] = np.minimum(smoothed, floor)
    return Clip((clip.samples * gain).astype(np.float32), rate)


def _gained(clip: Clip, db: float) -> Clip:
    return Clip((clip.samples * 10 ** (db / 20)).astype(np.float32), clip.sample_rate)


def normalize_loudness(clip: Clip, target_lufs: float, ceiling_db: float) -> Clip:
    """Gain the whole clip to ``target_lufs``, then keep the true peak under ``ceiling_db``."""
    current = integrated_loudness(clip)
    if not np.isfinite(current):
        return clip
    out = _gained(clip, target_lufs - current)
    margin = 0.3  # the true-peak estimate between oversampled points can still rise a little
    peak: float | None = None
    for attempt in range(2):
        if attempt:
            peak = true_peak_db(out)
            if peak <= ceiling_db - margin / 2:
                break
        limited = limit(out, ceiling_db - margin)
        if limited is out:  # nothing came near the ceiling: no need to measure again
            peak = ceiling_db - margin
            break
        current = integrated_loudness(limited)
        out = _gained(limited, target_lufs - current)
        peak = None
    if (true_peak_db(out) if peak is None else peak) > ceiling_db:
        out = limit(out, ceiling_db - margin)
    log.debug("loudness %.2f LUFS -> %.2f target", current, target_lufs)
    return out
