"""The fast loudness meter, true-peak estimate and limiter agree with the plain computations."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly

from narrator import dsp
from narrator.models import Clip


def _speechlike(rate: int, seconds: float, seed: int = 3) -> Clip:
    """Noise bursts of varying level with silences between them, like sentences."""
    rng = np.random.default_rng(seed)
    n = int(rate * seconds)
    envelope = np.repeat(rng.uniform(0, 1, n // 2000 + 1) ** 3, 2000)[:n]
    envelope[(np.arange(n) // (rate // 2)) % 4 == 3] = 0.0
    return Clip((rng.standard_normal(n) * envelope * 0.4).astype(np.float32), rate)


@pytest.mark.parametrize("rate", [22050, 44100])
def test_integrated_loudness_matches_pyloudnorm(rate: int) -> None:
    clip = _speechlike(rate, 20)
    reference = pyloudnorm.Meter(rate).integrated_loudness(clip.samples.astype(np.float64))
    assert dsp.integrated_loudness(clip) == pytest.approx(reference, abs=1e-6)


@pytest.mark.parametrize("gain", [0.5, 1.0, 3.0])
def test_true_peak_matches_full_oversampling(gain: float) -> None:
    clip = _speechlike(22050, 10)
    loud = Clip((clip.samples * gain).astype(np.float32), clip.sample_rate)
    full = float(np.max(np.abs(resample_poly(loud.samples, 4, 1))))
    assert dsp.true_peak_db(loud) == pytest.approx(20 * np.log10(full), abs=1e-5)


def _reference_limit(clip: Clip, ceiling_db: float) -> Clip:
    """The limiter computed over the whole signal."""
    ceiling, rate, n = 10 ** (ceiling_db / 20), clip.sample_rate, len(clip.samples)
    over = np.abs(resample_poly(clip.samples, 4, 1))[: 4 * n].reshape(n, 4).max(axis=1)
    needed = np.minimum(1.0, ceiling / np.maximum(over, 1e-12))
    hold = max(1, round(0.005 * rate))
    gain = minimum_filter1d(needed, size=2 * hold + 1)
    gain = uniform_filter1d(gain, size=max(1, round(0.05 * rate / 4)))
    gain = np.minimum(gain, minimum_filter1d(needed, size=2 * hold + 1))
    return Clip((clip.samples * gain).astype(np.float32), rate)


def test_limiter_matches_the_whole_signal_computation() -> None:
    clip = _speechlike(22050, 10)
    loud = Clip((clip.samples * 3).astype(np.float32), clip.sample_rate)
    fast, reference = dsp.limit(loud, -1.3), _reference_limit(loud, -1.3)
    assert np.max(np.abs(fast.samples - reference.samples)) < 1e-6
    assert dsp.true_peak_db(fast) <= -1.29


def test_loudness_after_limiting_is_measured_only_where_the_limiter_acted() -> None:
    clip = _speechlike(22050, 20)
    meter = dsp._Meter(clip)
    peaks = dsp._Peaks(clip.samples)
    out, spans = dsp._limited(clip, 3.0, 10 ** (-1.3 / 20), peaks)
    assert spans, "the limiter should act on a clip gained this much"
    assert meter.loudness_after(out, 3.0, spans) == pytest.approx(
        dsp.integrated_loudness(out), abs=1e-6
    )
    assert meter.loudness(3.0) == pytest.approx(
        dsp.integrated_loudness(Clip(clip.samples * 3.0, 22050)), abs=1e-5
    )


@pytest.mark.parametrize("step", [0.0, 0.1])
def test_normalized_clip_meets_target_and_ceiling(step: float) -> None:
    clip = _speechlike(22050, 20)
    out = dsp.normalize_loudness(clip, -16.0, -1.0, step_db=step)
    assert dsp.integrated_loudness(out) == pytest.approx(-16.0, abs=max(step / 2, 0.01) + 1e-3)
    assert dsp.true_peak_db(out) <= -1.0
    # Quiet stretches are the input times one gain, a whole number of steps.
    quiet = np.abs(clip.samples) > 1e-3
    quiet &= np.abs(out.samples) < 0.1
    ratio = np.median(out.samples[quiet] / clip.samples[quiet])
    if step:
        steps = 20 * np.log10(ratio) / step
        assert steps == pytest.approx(round(steps), abs=1e-3)


def test_an_edit_far_away_leaves_the_quantized_gain_and_the_samples_alone() -> None:
    clip = _speechlike(22050, 60)
    edited = clip.samples.copy()
    edited[-22050:-11025] *= 1.02  # a slightly louder last-but-one second
    a = dsp.normalize_loudness(clip, -19.0, -1.0, step_db=0.1)
    b = dsp.normalize_loudness(Clip(edited, 22050), -19.0, -1.0, step_db=0.1)
    assert np.array_equal(a.samples[: 22050 * 50], b.samples[: 22050 * 50])
