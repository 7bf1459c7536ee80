"""Transforms of one clip: silence, rate changes, pitch, trimming, fades.

Integer rate changes (22.05 -> 44.1 kHz, the usual one) are
``narrator.audio.filters.upsample``, numpy alone and equal to scipy's polyphase
resampler; any other ratio (for example gTTS's 24 kHz to 44.1 kHz) imports
``scipy.signal`` (about 0.55 s), only when it happens. ``shift_pitch`` and
``trim`` run in the synthesis workers and use numpy alone.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import numpy.typing as npt

from narrator.audio.filters import Samples, upsample
from narrator.models import Clip


def silence(seconds: float, rate: int) -> Samples:
    """Digital silence of the given length."""
    return np.zeros(max(0, round(seconds * rate)), dtype=np.float32)


def _resample(samples: Samples, ratio: Fraction) -> Samples:
    if ratio == 1 or len(samples) == 0:
        return samples
    if ratio.denominator == 1:  # 22.05 -> 44.1 kHz: numpy alone
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
    asking the voice for a tempo of 1/factor beforehand (``narrator.voice.render``).
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


PCM16_SCALE = 32768
"""Full scale of 16-bit audio: the 16-bit sample ``q`` is the float ``q / PCM16_SCALE``."""


def to_int16(samples: Samples) -> npt.NDArray[np.int16]:
    """Float samples as 16-bit ones (rounded; beyond full scale clipped to -32768..32767)."""
    scaled = np.round(samples.astype(np.float32, copy=False) * np.float32(PCM16_SCALE))
    return np.clip(scaled, -PCM16_SCALE, PCM16_SCALE - 1).astype(np.int16)


def from_int16(pcm: npt.NDArray[np.int16]) -> Samples:
    """16-bit samples as float32 ones, exactly (``q / PCM16_SCALE``; never -0.0)."""
    return pcm.astype(np.float32) / np.float32(PCM16_SCALE)


def quantize(clip: Clip) -> Clip:
    """The clip with 16-bit samples (float32 multiples of ``1 / PCM16_SCALE``).

    Every clip a voice makes ends with this (``narrator.voice.render``), so that the clip
    cache can keep it as 16-bit audio losslessly (``narrator.build.store``): an episode made
    from cached clips is bit-identical to one made from fresh clips. Piper's own audio is
    16-bit at heart; the pitch shift of quotations makes finer floats, which are rounded
    here (a 96 dB noise floor, far below the MP3's).
    """
    return Clip(from_int16(to_int16(clip.samples)), clip.sample_rate)
