"""The filters a build runs on whole episodes, in numpy alone.

``scipy.signal`` takes about 0.55 s of CPU to import (``scipy.ndimage`` 0.15 s
more), as long as a one-word rebuild should take in all; so the filters an
episode goes through are written here with numpy, and match scipy's to float32
precision (the tests compare them):

- ``upsample``: ``scipy.signal.resample_poly(x, up, 1)`` with the same Kaiser
  filter, each polyphase branch applied by FFT overlap-add (the branch that
  falls on the input samples is a scaled copy);
- ``oversampled_peaks``: the largest magnitude of the four 4x-oversampled values
  at each sample (the true peak of BS.1770-4 annex 2);
- ``k_weighted``: the BS.1770 K-weighting, as its impulse response (the two
  biquads' response falls below 1e-9 within 100 ms) applied by FFT overlap-add;
- ``minimum_filter`` and ``uniform_filter``: ``scipy.ndimage``'s
  ``minimum_filter1d`` and ``uniform_filter1d`` for the limiter's gain curve,
  which is 1 beyond both ends (the only edge they handle).

Other rate changes (for example gTTS's 24 kHz to 44.1 kHz) still use scipy
(``narrator.audio.transform.resample`` imports it only then).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]
Spectrum = npt.NDArray[np.complexfloating[Any, Any]]

HALF_TAPS = 10
"""Filter taps on each side of a phase's centre (scipy's ``resample_poly`` uses 10)."""
_FFT = 1 << 15
"""The largest FFT used (overlap-add blocks); short inputs use the smallest that fits."""


def _fft_size(n: int, taps: int) -> int:
    """The FFT size for ``n`` input samples and a filter of ``taps`` taps."""
    size = 256
    while size < n + taps and size < _FFT:
        size *= 2
    return max(size, 2 * taps)


@cache
def lowpass(up: int, beta: float = 5.0) -> npt.NDArray[np.float64]:
    """The interpolation filter ``resample_poly(x, up, 1)`` designs: ``firwin`` with a
    Kaiser window, cut-off at the input's Nyquist frequency, gain ``up``."""
    taps = 2 * HALF_TAPS * up + 1
    cutoff = 1.0 / up
    m = np.arange(taps) - (taps - 1) / 2
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(taps, beta)
    return np.asarray(h / h.sum() * up, dtype=np.float64)


@cache
def _phases(up: int) -> Samples:
    """Column p holds the taps that make output sample ``up * i + p`` from the 21 input
    samples ``x[i - 10] ... x[i + 10]`` (one polyphase branch of ``lowpass``)."""
    h = lowpass(up)
    width = 2 * HALF_TAPS + 1
    matrix = np.zeros((width, up), dtype=np.float64)
    for p in range(up):
        for t in range(width):
            k = up * (width - 1 - t) + p  # tap applied to x[i - 10 + t]
            if k < len(h):
                matrix[t, p] = h[k]
    return matrix.astype(np.float32)


@cache
def _phase_spectra(up: int, size: int) -> tuple[tuple[int, float], tuple[Spectrum, ...]]:
    """For ``_polyphase``: the phase that is a scaled copy of the input (index, scale), and
    the spectra (FFT size ``size``) of the other phases' taps, as convolution kernels."""
    matrix = _phases(up)
    copy = (-1, 0.0)
    spectra = []
    for p in range(up):
        taps = matrix[:, p]
        nonzero = np.flatnonzero(taps)
        if len(nonzero) == 1 and int(nonzero[0]) == HALF_TAPS:
            copy = (p, float(taps[HALF_TAPS]))
        else:
            spectra.append(np.fft.rfft(taps[::-1], size))
    return copy, tuple(spectra)


def _polyphase(samples: Samples, up: int) -> Samples:
    """Every phase of ``samples`` upsampled by ``up``: shape ``(len(samples), up)``.

    Phase p is the correlation of the input with column p of ``_phases``, done by
    FFT overlap-add for all phases at once (the one on the input samples is a copy).
    """
    n = len(samples)
    width = 2 * HALF_TAPS
    size = _fft_size(n, width + 1)
    (copy, scale), spectra = _phase_spectra(up, size)
    out = np.empty((n, up), dtype=np.float32)
    if copy >= 0:
        np.multiply(samples, np.float32(scale), out=out[:, copy])
    others = [p for p in range(up) if p != copy]
    step = size - width
    full = np.zeros((len(others), n + size), dtype=np.float32)
    for at in range(0, n, step):
        spectrum = np.fft.rfft(samples[at : at + step], size)
        for row, kernel in enumerate(spectra):
            full[row, at : at + size] += np.fft.irfft(spectrum * kernel, size)
    for row, p in enumerate(others):
        out[:, p] = full[row, HALF_TAPS : HALF_TAPS + n]
    return out


def upsample(samples: Samples, up: int) -> Samples:
    """``samples`` at ``up`` times the rate, as ``scipy.signal.resample_poly(x, up, 1)``."""
    if up == 1 or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    return _polyphase(samples.astype(np.float32, copy=False), up).ravel()


def oversampled_peaks(samples: Samples, runs: Sequence[tuple[int, int]]) -> Samples:
    """Per sample of each ``(start, end)`` run, the largest magnitude of its four 4x
    oversampled values (samples outside the runs count as they are, context included)."""
    out = np.zeros(sum(end - start for start, end in runs), dtype=np.float32)
    at = 0
    for start, end in runs:
        lo, hi = max(0, start - HALF_TAPS), min(len(samples), end + HALF_TAPS)
        phases = np.abs(_polyphase(samples[lo:hi], 4))[start - lo : start - lo + end - start]
        np.maximum(
            np.maximum(phases[:, 0], phases[:, 1]),
            np.maximum(phases[:, 2], phases[:, 3]),
            out=out[at : at + end - start],
        )
        at += end - start
    return out


def _biquad_response(
    b: Sequence[float], a: Sequence[float], x: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    y = np.zeros_like(x)
    x1 = x2 = y1 = y2 = 0.0
    for i, value in enumerate(x):
        out = b[0] * value + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
        x2, x1, y2, y1 = x1, value, y1, out
        y[i] = out
    return y


@cache
def _k_response(sections: tuple[tuple[float, ...], ...], length: int, size: int) -> Spectrum:
    """The spectrum (FFT size ``size``) of the cascade's impulse response, ``length`` long."""
    response = np.zeros(length, dtype=np.float64)
    response[0] = 1.0
    for row in sections:
        response = _biquad_response(row[:3], row[3:], response)
    return np.fft.rfft(response.astype(np.float32), size)


def k_weighted(samples: Samples, sections: npt.NDArray[np.float64], rate: int) -> Samples:
    """``samples`` through the cascade of second-order ``sections`` (scipy's ``sos``
    layout), by FFT overlap-add of its impulse response over 100 ms."""
    length = min(_FFT // 2, max(64, rate // 10))
    n = len(samples)
    size = _fft_size(n, length)
    rows = tuple(tuple(float(v) for v in row) for row in sections)
    spectrum = _k_response(rows, length, size)
    step = size - length + 1
    out = np.zeros(n + size, dtype=np.float32)
    for at in range(0, n, step):
        block = np.fft.irfft(np.fft.rfft(samples[at : at + step], size) * spectrum, size)
        out[at : at + size] += block
    return out[:n]


def minimum_filter(values: npt.NDArray[np.float64], size: int) -> npt.NDArray[np.float64]:
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


def uniform_filter(values: npt.NDArray[np.float64], size: int) -> npt.NDArray[np.float64]:
    """Mean over a window of ``size`` samples placed as ``scipy.ndimage.uniform_filter1d``
    places it (``size // 2`` before), the array continued with ones."""
    n, left = len(values), size // 2
    padded = np.ones(n + size, dtype=np.float64)
    padded[left : left + n] = values
    sums = np.concatenate(([0.0], np.cumsum(padded)))
    return (sums[size : size + n] - sums[:n]) / size
