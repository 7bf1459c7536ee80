"""Loudness: the BS.1770-4 K-weighting, energies per 100 ms hop, and gating.

``narrator.audio.leveling`` meters an episode chunk by chunk: each chunk's
K-weighted energy per 100 ms hop (``Weighted``), laid on one timeline, then
gated (``gated_loudness``). The K-weighting filters are pyloudnorm's (the tests
check that the meter agrees with pyloudnorm's to 1e-6 LU); the filtering is
``narrator.audio.filters.k_weighted``, numpy alone.

At rates where 100 ms is not a whole number of samples (11025 Hz) a hop is
``rate // 10`` samples, slightly short, so the gating blocks are too: the
loudness read there is close to, not exactly, BS.1770's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from narrator.audio.filters import Samples, k_weighted


def k_weighting(rate: int) -> npt.NDArray[np.float64]:
    """BS.1770-4 K-weighting at ``rate`` as second-order sections (shelf, then high-pass).

    The same RBJ biquad designs as pyloudnorm's "K-weighting" meter (the tests find the
    two meters within 1e-6 LU); ``filters.k_weighted`` runs them, by FFT, as scipy's
    ``sosfilt`` would.
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
    """``samples`` through the K-weighting at ``rate`` (float32)."""
    return k_weighted(samples.astype(np.float32, copy=False), k_weighting(rate), rate)


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


def block_count(n: int, rate: int) -> int:
    """BS.1770's number of 400 ms blocks, 100 ms apart, in ``n`` samples at ``rate``
    (as pyloudnorm counts them)."""
    return int(np.round((n / rate - 0.4) / 0.1)) + 1


def loudness_of_blocks(z: npt.NDArray[np.float64]) -> float:
    """Integrated loudness in LUFS of 400 ms blocks whose K-weighted mean squares are ``z``:
    BS.1770-4's absolute gate (-70 LUFS), then its relative gate (10 LU under the
    loudness of the blocks that passed); -inf when no block passes."""
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


def quantize_db(db: float, step: float) -> float:
    """``db`` rounded to a multiple of ``step`` (no rounding when ``step`` is 0)."""
    return round(db / step) * step if step > 0 else db


def gated_loudness(hops: npt.NDArray[np.float64], rate: int, length: int) -> float:
    """Integrated loudness (LUFS) of ``length`` samples whose K-weighted energies per
    ``rate // 10`` samples are ``hops`` (``Weighted.hops``), gated as BS.1770-4;
    -inf under 0.5 s."""
    hop = rate // 10
    if length < 5 * hop:
        return float("-inf")
    count = block_count(length, rate)
    return loudness_of_blocks(_blocks_from_hops(hops, count) / (4 * hop))
