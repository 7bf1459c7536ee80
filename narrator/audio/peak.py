"""True peak and the look-ahead limiter that holds it under a ceiling.

The true peak is BS.1770-4 annex 2's: the largest magnitude of the signal 4x
oversampled (``narrator.audio.filters.oversampled_peaks``), computed only where
it can reach the level in question (``PeakEnvelope``). The limiter
(``limit_piece``) lowers the gain only around the samples whose true peak
would pass the ceiling, and returns where it did, so that
``narrator.audio.loudness.Weighted`` meters only those stretches again.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
import numpy.typing as npt

from narrator.audio.filters import (
    Samples,
    lowpass,
    minimum_filter,
    oversampled_peaks,
    uniform_filter,
)
from narrator.models import Clip

# True peak: 4x oversampling with ``filters.lowpass`` (the filter scipy's
# ``resample_poly`` designs), computed only where it can matter. Each oversampled
# value is a weighted sum of at most 21 neighbouring samples, so it is bounded by
# their largest magnitude times the L1 norm of the filter phase: blocks whose bound
# stays under the level in question are skipped, and the answer is still exact.
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
        floor = minimum_filter(local, 2 * hold + 1)
        smoothed = uniform_filter(floor, smooth)
        curve[lo:hi] = gain * np.minimum(smoothed, floor)
        spans.append((lo, hi))
    out = Clip((clip.samples * curve).astype(np.float32), rate)
    return out, spans


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
