"""The numpy filters of ``narrator.audio.filters`` (resampling, true peak, K-weighting, the
limiter's window filters) equal scipy's.

A build must not import scipy (0.55 s), so these filters replace scipy's; scipy is imported
here, in the tests, as the reference.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly, sosfilt

from narrator.audio import filters as fir
from narrator.audio.loudness import k_weighting

# Lengths around the filter's 21 taps, the FFT sizes chosen for short inputs (from 256 up),
# one block of the largest FFT (fir._FFT - 20 = 32748 samples) and several blocks.
LENGTHS = [0, 1, 2, 5, 10, 20, 21, 22, 100, 235, 236, 237, 4000, 16364, 32747, 32748, 32749, 70001]


def _noise(n: int, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed + n).standard_normal(n) * 0.4).astype(np.float32)


@pytest.mark.parametrize("up", [2, 3, 4])
@pytest.mark.parametrize("n", LENGTHS)
def test_upsample_equals_resample_poly(up: int, n: int) -> None:
    x = _noise(n)
    got, reference = fir.upsample(x, up), resample_poly(x, up, 1)
    assert got.dtype == np.float32
    assert got.shape == reference.shape == (n * up,)
    if n:
        assert np.abs(got - reference).max() < 1e-5


@pytest.mark.parametrize("up", [2, 3, 4])
def test_upsample_of_a_tone_equals_resample_poly(up: int) -> None:
    t = np.arange(22050) / 22050
    x = (0.8 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 9000 * t)).astype(np.float32)
    assert np.abs(fir.upsample(x, up) - resample_poly(x, up, 1)).max() < 1e-5


def _reference_peaks(x: np.ndarray) -> np.ndarray:
    """Per sample, the largest of its four 4x-oversampled magnitudes, over the whole signal."""
    return np.abs(resample_poly(x, 4, 1)).reshape(len(x), 4).max(axis=1)


@pytest.mark.parametrize("n", [5, 21, 30, 1000, 40000])
def test_oversampled_peaks_equal_full_oversampling(n: int) -> None:
    x = _noise(n, seed=7)
    full = _reference_peaks(x)
    middle = n // 2
    cases = [
        [(0, n)],
        [(0, 1)],
        [(0, min(3, n))],
        [(n - 1, n)],
        [(max(0, n - 3), n)],
        [(0, 2), (middle, min(n - 1, middle + 7)), (n - 1, n)],
        [(1, n - 1)],
        [],
    ]
    for runs in cases:
        got = fir.oversampled_peaks(x, runs)
        reference = (
            np.concatenate([full[a:b] for a, b in runs]) if runs else np.zeros(0, np.float32)
        )
        assert got.shape == reference.shape, runs
        if len(reference):
            assert np.abs(got - reference).max() < 1e-5, runs


def test_oversampled_peaks_see_intersample_overs() -> None:
    """A tone at a quarter of the rate, sampled off its crests: the true peak lies between
    samples, above every sample (what the 4x estimate is for)."""
    n = 4000
    x = (0.9 * np.sin(np.pi / 2 * np.arange(n) + np.pi / 4)).astype(np.float32)
    got = fir.oversampled_peaks(x, [(1000, 1100)])
    assert got.max() > np.abs(x[1000:1100]).max() * 1.4
    assert got.max() == pytest.approx(0.9, abs=0.01)
    assert np.abs(got - _reference_peaks(x)[1000:1100]).max() < 1e-5


@pytest.mark.parametrize("rate", [16000, 22050, 44100, 48000])
def test_k_weighting_equals_sosfilt(rate: int) -> None:
    sections = k_weighting(rate)
    rng = np.random.default_rng(rate)
    t = np.arange(rate * 5) / rate
    signals = {
        "noise": (rng.standard_normal(len(t)) * 0.3).astype(np.float32),
        # Low frequencies and an offset: the high-pass's slow tail is what the 100 ms
        # impulse response cuts off.
        "low": (0.5 + 0.4 * np.sin(2 * np.pi * 20 * t)).astype(np.float32),
        "short": (rng.standard_normal(300) * 0.3).astype(np.float32),
        "one": np.ones(1, np.float32),
        "empty": np.zeros(0, np.float32),
        "block": (rng.standard_normal(rate // 10 + 7) * 0.3).astype(np.float32),
    }
    for name, x in signals.items():
        got = fir.k_weighted(x, sections, rate)
        assert got.shape == x.shape, name
        if len(x):  # (sosfilt cannot take an empty array)
            assert np.abs(got - sosfilt(sections, x)).max() < 1e-5, name


def _ones_around(middle: np.ndarray, size: int, extra: int) -> np.ndarray:
    """``middle`` between runs of ones at least ``size`` long (the filters' contract)."""
    return np.concatenate([np.ones(size + extra), middle, np.ones(size + 2 * extra)])


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 8, 111, 112])
@pytest.mark.parametrize("middle", [0, 1, 5, 100, 1000])
def test_window_filters_equal_scipy_ndimage(size: int, middle: int) -> None:
    rng = np.random.default_rng(size * 1000 + middle)
    for extra in (0, 1, 3):
        values = _ones_around(rng.uniform(0.1, 1.0, middle), size, extra)
        assert np.array_equal(fir.minimum_filter(values, size), minimum_filter1d(values, size)), (
            size,
            middle,
            extra,
        )
        uniform = fir.uniform_filter(values, size)
        assert uniform.shape == values.shape
        assert np.abs(uniform - uniform_filter1d(values, size)).max() < 1e-12, (size, extra)


def test_window_filters_on_a_limiter_like_gain_curve() -> None:
    """Isolated dips (what the limiter's needed-gain curve looks like) at 22.05 kHz sizes."""
    hold, smooth = round(0.005 * 22050), round(0.05 * 22050 / 4)
    values = np.ones(20000)
    rng = np.random.default_rng(5)
    dips = rng.choice(np.arange(2 * smooth, 20000 - 2 * smooth), 40, replace=False)
    values[dips] = rng.uniform(0.3, 0.99, 40)
    floor = fir.minimum_filter(values, 2 * hold + 1)
    assert np.array_equal(floor, minimum_filter1d(values, 2 * hold + 1))
    assert np.abs(fir.uniform_filter(floor, smooth) - uniform_filter1d(floor, smooth)).max() < 1e-12


def test_a_build_normalizes_and_encodes_without_importing_scipy() -> None:
    """What a build does to an episode at the voice's 22.05 kHz: loudness and true peak
    (one clip, and chunk by chunk as ``assemble`` does), 2x resampling and MP3 encoding."""
    code = """
import sys
import numpy as np
import narrator.build.pipeline
from narrator.audio import codec
from narrator.audio.leveling import Leveler, normalize_loudness
from narrator.models import Clip
from tests.audio_measure import true_peak_db

rng = np.random.default_rng(1)
n = 22050 * 4
x = (rng.standard_normal(n) * 0.03).astype(np.float32)
x[::2205] = 0.5  # clicks the gain takes past the ceiling: the limiter must act
one = Leveler([x], 22050, [0], -16.0, -1.0, None, 0.1)
gain_db = one.choose_gain()
out = Clip(one.limited(0, gain_db), 22050)
assert 20 * np.log10(0.5) + gain_db > 0.0, gain_db
assert true_peak_db(out) <= -1.0
assert np.array_equal(normalize_loudness(Clip(x, 22050), -16.0, -1.0, 0.1).samples, out.samples)

bodies = [x[:44100], x[44100:]]
leveler = Leveler(bodies, 22050, [2000, 0], -16.0, -1.0)
gain = leveler.choose_gain()
chunks = [leveler.limited(k, gain) for k in range(2)]
mp3 = codec.encode_chunks(
    [leveler.key(k, gain) for k in range(2)],
    chunks.__getitem__,
    [len(c) for c in chunks],
    22050,
    44100,
)
assert mp3 is not None and len(mp3) > 1000
print(sorted(m for m in sys.modules if m == "scipy" or m.startswith("scipy.")))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
