"""MP3 encoding: level, and the two-stream encoding of long episodes keeping every sample's time."""

from __future__ import annotations

import numpy as np
import pytest

from narrator.codec import (
    ENCODER_GAIN_DB,
    SPLIT_MIN_SECONDS,
    _encode_pcm,
    _split_point,
    decode,
    encode_mp3,
)
from narrator.models import Clip

RATE = 44100


def speechlike(seconds: float) -> Clip:
    """Tone bursts of changing pitch separated by silent pauses."""
    parts = []
    n = 0
    while sum(len(p) for p in parts) < seconds * RATE:
        t = np.arange(int(RATE * (1.0 + 0.3 * (n % 4)))) / RATE
        parts.append((0.3 * np.sin(2 * np.pi * (180 + 7 * n) * t)).astype(np.float32))
        parts.append(np.zeros(int(RATE * (0.3 + 0.1 * (n % 3))), dtype=np.float32))
        n += 1
    return Clip(np.concatenate(parts), RATE)


def test_long_episode_is_split_in_a_pause_and_decodes_like_one_stream() -> None:
    clip = speechlike(SPLIT_MIN_SECONDS + 30)
    ints = (np.clip(clip.samples, -1, 1) * 32767).round().astype("<i2")
    assert _split_point(ints, RATE) is not None
    split = decode(encode_mp3(clip))
    single = decode(_encode_pcm(ints, RATE, 64, 7))
    assert len(split.samples) == len(single.samples)
    # Same audio at the same times: the cut happened in silence and was compensated.
    assert np.abs(split.samples - single.samples).max() < 0.01


def test_no_split_without_a_long_enough_pause() -> None:
    t = np.arange(int(RATE * (SPLIT_MIN_SECONDS + 5))) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    ints = (tone * 32767).round().astype("<i2")
    assert _split_point(ints, RATE) is None
    assert len(decode(encode_mp3(Clip(tone, RATE))).samples) >= len(tone)


def test_encoder_lowers_the_level_by_its_known_gain() -> None:
    t = np.arange(RATE * 2) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    decoded = decode(encode_mp3(Clip(tone, RATE))).samples[4000:-4000]
    rms_db = 20 * np.log10(np.sqrt(np.mean(decoded**2)) / np.sqrt(np.mean(tone**2)))
    assert rms_db == pytest.approx(ENCODER_GAIN_DB, abs=0.05)
