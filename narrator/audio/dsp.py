"""Signal processing on clips: resampling, pitch, trimming, loudness, peaks.

Integrated loudness is a vectorized ITU-R BS.1770-4 meter (pyloudnorm's
K-weighting filters; the tests check the two agree). Integer rate changes,
including the 4x oversampling used to estimate the true peak (computed only
where it can reach the level in question), are ``narrator.audio.filters``'s numpy
filters, equal to scipy's polyphase resampler; other rate changes import scipy
(0.55 s), only when they happen.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from narrator.audio.filters import k_weighted, lowpass, oversampled_peaks, upsample
from narrator.models import Clip

log = logging.getLogger(__name__)

Samples = npt.NDArray[np.float32]


def silence(seconds: float, rate: int) -> Samples:
    """Digital silence of the given length."""
    return np.zeros(max(0, round(seconds * rate)), dtype=np.float32)


def _resample(samples: Samples, ratio: Fraction) -> Samples:
    if ratio == 1 or len(samples) == 0:
        return samples
    if ratio.denominator == 1:  # 22.05 -> 44.1 kHz, and oversampling: no scipy needed
        return upsample(samples, ratio.numerator)
    from scipy.signal import resample_poly  # scipy takes ~0.55 s to import: only when needed

    out = resample_poly(samples, ratio.numerator, ratio.denominator)
    return np.asarray(out, dtype=np.float32)


def resampled_length(n: int, rate: int, out_rate: int) -> int:
    """How many samples ``resample`` makes of ``n`` samples (as scipy's ``resample_poly``)."""
    ratio = Fraction(out_rate, rate)
    return -(-n * ratio.numerator // ratio.denominator)


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


def _k_weighted(samples: npt.NDArray[np.floating[Any]], rate: int) -> Samples:
    return k_weighted(samples.astype(np.float32, copy=False), _k_weighting(rate), rate)


def _hop_sums(weighted: npt.NDArray[np.floating[Any]], hop: int) -> npt.NDArray[np.float64]:
    """Sum of squares of ``weighted`` per ``hop`` samples (the last hop may be short),
    accumulated in float64."""
    count = -(-len(weighted) // hop)
    full = len(weighted) // hop
    sums = np.zeros(count, dtype=np.float64)
    rows = weighted[: full * hop].reshape(full, hop)
    sums[:full] = np.einsum("ij,ij->i", rows, rows, dtype=np.float64)
    if count > full:
        rest = weighted[full * hop :].astype(np.float64)
        sums[full] = float(np.dot(rest, rest))
    return sums


def _blocks_from_hops(hops: npt.NDArray[np.float64], count: int) -> npt.NDArray[np.float64]:
    """Energies of ``count`` 400 ms blocks, each four consecutive 100 ms hops."""
    padded = np.concatenate((hops, np.zeros(4)))
    return padded[:count] + padded[1 : count + 1] + padded[2 : count + 2] + padded[3 : count + 3]


def _block_count(n: int, rate: int) -> int:
    return int(np.round((n / rate - 0.4) / 0.1)) + 1


def _gated(z: npt.NDArray[np.float64]) -> float:
    """BS.1770-4 gating of block mean squares ``z``: integrated loudness in LUFS."""
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


def integrated_loudness(clip: Clip) -> float:
    """Integrated loudness in LUFS (BS.1770-4, gated), -inf for silence.

    400 ms blocks with 75 % overlap, absolute gate at -70 LUFS, relative gate
    10 LU below. Each block is the sum of four 100 ms hops of squared
    K-weighted samples, so a 200 s episode takes about 35 ms (pyloudnorm's
    per-block loop: 0.3 s); at rates where 100 ms is not a whole number of
    samples, block energies come from one cumulative sum instead.
    """
    rate, n = clip.sample_rate, len(clip.samples)
    if clip.duration < 0.5:
        return float("-inf")
    if rate % 10 == 0:
        return gated_loudness(hop_energies(clip.samples, rate), rate, n)
    weighted = _k_weighted(clip.samples, rate).astype(np.float64)
    energy = np.concatenate(([0.0], np.cumsum(weighted * weighted)))
    j = np.arange(_block_count(n, rate))
    lower = np.minimum((0.4 * (j * 0.25) * rate).astype(np.int64), n)
    upper = np.minimum((0.4 * (j * 0.25 + 1) * rate).astype(np.int64), n)
    return _gated((energy[upper] - energy[lower]) / (0.4 * rate))


class Weighted:
    """A clip K-weighted once: its energy per 100 ms at any gain, also after a limiter
    changed it in a few places (K-weighting is linear: only those are filtered again)."""

    TAIL_S = 0.1
    """The K-weighting filters' response to an impulse is below 1e-8 after ~70 ms."""

    def __init__(self, samples: Samples, rate: int) -> None:
        self.samples = samples
        self.rate = rate
        self.hop = max(1, rate // 10)
        self.weighted = _k_weighted(samples, rate)
        self.hops = _hop_sums(self.weighted, self.hop)

    def hops_after(
        self, out: Samples, gain: float, spans: Sequence[tuple[int, int]]
    ) -> npt.NDArray[np.float64]:
        """Hop energies of ``out``: the samples times ``gain`` except within ``spans``."""
        n, hop = len(out), self.hop
        tail = round(self.TAIL_S * self.rate)
        hops = self.hops * gain * gain
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(spans):  # spans whose hops (with the filter tail) meet are one
            if merged and lo < merged[-1][1] + tail + 2 * hop:
                merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
            else:
                merged.append((lo, hi))
        for lo, hi in merged:
            end = min(n, hi + tail)
            first, last = lo // hop, -(-end // hop)
            a, b = first * hop, min(n, last * hop)
            diff = np.zeros(b - lo, dtype=np.float64)
            diff[: hi - lo] = out[lo:hi] - gain * self.samples[lo:hi].astype(np.float64)
            weighted = gain * self.weighted[a:b].astype(np.float64)
            weighted[lo - a :] += _k_weighted(diff, self.rate)[: b - lo]
            hops[first:last] = _hop_sums(weighted, hop)
        return hops


# True peak: 4x oversampling with scipy's default polyphase filter (``fir``), computed
# only where it can matter. Each oversampled value is a weighted sum of at most 21
# neighbouring samples, so it is bounded by their largest magnitude times the
# L1 norm of the filter phase: blocks whose bound stays under the level in
# question are skipped, and the answer is still exact.
_OVERSAMPLE = 4
_BLOCK = 512
_GROUP = 31
"""Blocks whose envelope is computed together (15872 samples: one 16384-point FFT)."""


@cache
def _overshoot_bound() -> float:
    h = lowpass(_OVERSAMPLE)
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


def _runs(blocks: npt.NDArray[np.intp], n: int) -> list[tuple[int, int]]:
    """Sample ranges of the runs of consecutive ``blocks`` (sorted), clipped to ``n``."""
    if len(blocks) == 0:
        return []
    breaks = np.flatnonzero(np.diff(blocks) > 1)
    firsts = blocks[np.concatenate(([0], breaks + 1))]
    lasts = blocks[np.concatenate((breaks, [len(blocks) - 1]))]
    return [
        (int(a) * _BLOCK, min(n, (int(b) + 1) * _BLOCK))
        for a, b in zip(firsts, lasts, strict=True)
        if int(a) * _BLOCK < n
    ]


def _true_peak_of_blocks(samples: Samples, blocks: npt.NDArray[np.intp]) -> float:
    runs = _runs(blocks, len(samples))
    return float(oversampled_peaks(samples, runs).max()) if runs else 0.0


class PeakEnvelope:
    """The true-peak envelope of a signal (per sample, at unit gain), computed only
    for the blocks that can reach a level asked about, and each block only once."""

    def __init__(self, samples: Samples) -> None:
        self.samples = samples
        self.block_peaks, self.bounds = _block_bounds(samples)
        self.envelope = np.zeros(len(self.bounds) * _BLOCK, dtype=np.float32)
        self._done = np.zeros(len(self.bounds), dtype=bool)

    def reaching(self, level: float) -> npt.NDArray[np.intp]:
        """Blocks whose true peak may pass ``level``, with their envelope computed."""
        blocks = np.flatnonzero(self.bounds > level)
        todo = blocks[~self._done[blocks]]
        if len(todo):
            # Whole groups of blocks at a time, on a grid fixed to the clip's start: the
            # float rounding of a sample's envelope must not depend on what was asked
            # before (an unedited chunk's samples must come out the same, to the bit).
            # Each group is its own run: runs of adjacent groups merged would round
            # differently depending on which of them were asked for together.
            groups = np.unique(todo // _GROUP)
            todo = (groups[:, None] * _GROUP + np.arange(_GROUP)).ravel()
            todo = todo[todo < len(self.bounds)]
            n = len(self.samples)
            runs = [
                (int(g) * _GROUP * _BLOCK, min(n, (int(g) + 1) * _GROUP * _BLOCK))
                for g in groups
                if int(g) * _GROUP * _BLOCK < n
            ]
            values = oversampled_peaks(self.samples, runs)
            at = 0
            for start, end in runs:
                self.envelope[start:end] = values[at : at + end - start]
                at += end - start
            self._done[todo] = True
        return blocks

    def of(self, blocks: npt.NDArray[np.intp]) -> Samples:
        """The envelope over ``blocks`` (already computed), one row per block."""
        return self.envelope.reshape(-1, _BLOCK)[blocks]


def true_peak_db(clip: Clip) -> float:
    """True peak in dBTP, estimated with 4x oversampling (BS.1770-4 annex 2)."""
    if len(clip.samples) == 0:
        return float("-inf")
    peaks = PeakEnvelope(clip.samples)
    peak = float(peaks.block_peaks.max())
    blocks = peaks.reaching(peak)
    if len(blocks):
        peak = max(peak, float(peaks.of(blocks).max()))
    return 20 * float(np.log10(peak)) if peak > 0 else float("-inf")


def _limited(
    clip: Clip,
    gain: float,
    ceiling: float,
    peaks: PeakEnvelope,
    lookahead: float = 0.005,
    release: float = 0.05,
) -> tuple[Clip, list[tuple[int, int]]]:
    """``clip`` times ``gain``, with the gain dipping only where the true peak would pass
    ``ceiling`` (linear); also the sample spans ``(start, end)`` where it dipped."""
    rate, n = clip.sample_rate, len(clip.samples)
    untouched: list[tuple[int, int]] = []
    blocks = peaks.reaching(ceiling / gain)
    if len(blocks) == 0:
        return _scaled(clip, gain), untouched
    needed = np.minimum(
        1.0, ceiling / np.maximum(gain * peaks.of(blocks).ravel().astype(np.float64), 1e-12)
    )
    where = (blocks[:, None] * _BLOCK + np.arange(_BLOCK)).ravel()
    keep = (needed < 1.0) & (where < n)
    if not keep.any():
        return _scaled(clip, gain), untouched
    hold = max(1, round(lookahead * rate))
    smooth = max(1, round(release * rate / 4))
    reach = 2 * hold + smooth + 2
    points, values = where[keep], needed[keep]
    # Work only on stretches around the samples that need gain reduction: elsewhere
    # the gain is exactly 1 and the filters below would leave it so.
    curve = np.full(n, gain, dtype=np.float32)
    spans: list[tuple[int, int]] = []
    breaks = np.flatnonzero(np.diff(points) > 4 * reach)
    firsts = points[np.concatenate(([0], breaks + 1))]
    lasts = points[np.concatenate((breaks, [len(points) - 1]))]
    for first, last in zip(firsts, lasts, strict=True):
        lo, hi = max(0, int(first) - 2 * reach), min(n, int(last) + 2 * reach + 1)
        local = np.ones(hi - lo, dtype=np.float64)
        a, b = np.searchsorted(points, [lo, hi])
        local[points[a:b] - lo] = values[a:b]
        floor = _minimum_filter(local, 2 * hold + 1)
        smoothed = _uniform_filter(floor, smooth)
        curve[lo:hi] = gain * np.minimum(smoothed, floor)
        spans.append((lo, hi))
    out = Clip((clip.samples * curve).astype(np.float32), rate)
    return out, spans


def _minimum_filter(values: npt.NDArray[np.float64], size: int) -> npt.NDArray[np.float64]:
    """Minimum over a centred window of ``size`` samples, the array continued with ones
    (``scipy.ndimage.minimum_filter1d`` where the edges are 1, as in the limiter):
    van Herk / Gil-Werman, prefix and suffix minima of ``size`` blocks."""
    n, left = len(values), size // 2
    total = -(-(n + size - 1) // size) * size
    padded = np.ones(total, dtype=np.float64)
    padded[left : left + n] = values
    blocks = padded.reshape(-1, size)
    prefix = np.minimum.accumulate(blocks, axis=1).ravel()
    suffix = np.minimum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    start = np.arange(n)
    return np.minimum(suffix[start], prefix[start + size - 1])


def _uniform_filter(values: npt.NDArray[np.float64], size: int) -> npt.NDArray[np.float64]:
    """Mean over a window of ``size`` samples placed as ``scipy.ndimage.uniform_filter1d``
    places it (``size // 2`` before), the array continued with ones."""
    n, left = len(values), size // 2
    padded = np.ones(n + size, dtype=np.float64)
    padded[left : left + n] = values
    sums = np.concatenate(([0.0], np.cumsum(padded)))
    return (sums[size : size + n] - sums[:n]) / size


def _scaled(clip: Clip, gain: float) -> Clip:
    if gain == 1.0:
        return clip
    return Clip((clip.samples * np.float32(gain)).astype(np.float32), clip.sample_rate)


def limit(clip: Clip, ceiling_db: float, lookahead: float = 0.005, release: float = 0.05) -> Clip:
    """A look-ahead peak limiter: gain only dips where the true peak would pass ``ceiling_db``."""
    if len(clip.samples) == 0:
        return clip
    peaks = PeakEnvelope(clip.samples)
    out, _ = _limited(clip, 1.0, 10 ** (ceiling_db / 20), peaks, lookahead, release)
    return out


def quantize_db(db: float, step: float) -> float:
    """``db`` rounded to a multiple of ``step`` (no rounding when ``step`` is 0)."""
    return round(db / step) * step if step > 0 else db


def hop_energies(samples: Samples, rate: int) -> npt.NDArray[np.float64]:
    """Sums of squared K-weighted samples per 100 ms (``rate // 10`` samples) from the start."""
    return _hop_sums(_k_weighted(samples, rate), rate // 10)


def gated_loudness(hops: npt.NDArray[np.float64], rate: int, length: int) -> float:
    """Integrated loudness (LUFS) of ``length`` samples whose ``hop_energies`` are ``hops``."""
    hop = rate // 10
    if length < 5 * hop:
        return float("-inf")
    count = _block_count(length, rate)
    return _gated(_blocks_from_hops(hops, count) / (4 * hop))


def limit_piece(
    clip: Clip,
    gain_db: float,
    limit_db: float,
    peaks: PeakEnvelope | None = None,
) -> tuple[Clip, list[tuple[int, int]]]:
    """``clip`` at ``gain_db`` with its true peak held under ``limit_db`` (look-ahead
    limiter); also the ``(start, end)`` spans where it is not simply the clip times the
    gain. See ``check_peaks`` for the ceiling itself.

    The result depends on nothing but the clip's samples and these levels (``peaks``,
    the clip's envelope from an earlier call, only saves computing it again)."""
    if len(clip.samples) == 0:
        return clip, []
    if peaks is None:
        peaks = PeakEnvelope(clip.samples)
    return _limited(clip, 10 ** (gain_db / 20), 10 ** (limit_db / 20), peaks)


def check_peaks(
    out: Clip, spans: Sequence[tuple[int, int]], limit_db: float, ceiling_db: float
) -> Clip:
    """``out`` of ``limit_piece``, limited again if the limiter's own gain slope lifted an
    oversampled peak over ``ceiling_db`` where it acted (elsewhere nothing changed)."""
    if not spans:
        return out
    count = -(-len(out.samples) // _BLOCK)
    blocks = np.unique(
        np.concatenate([np.arange(max(0, lo // _BLOCK - 1), hi // _BLOCK + 2) for lo, hi in spans])
    )
    over = _true_peak_of_blocks(out.samples, blocks[blocks < count])
    if 20 * np.log10(max(over, 1e-12)) > ceiling_db:
        return limit(out, limit_db)
    return out
