"""Assembly with the real voice: the quote delivery is measurably distinct."""

from __future__ import annotations

import pytest

from narrator.config import load_config
from narrator.voice.render import render
from tests.audio_measure import median_pitch


def test_quote_gets_a_distinct_delivery_of_the_same_voice() -> None:
    config = load_config(None)
    assert config.quote.backend == config.narration.backend
    sentence = "I stand in solidarity with those who came out on the streets."
    narration = render(sentence, config.narration)
    quote = render(sentence, config.quote)
    ratio = median_pitch(quote) / median_pitch(narration)
    # The quote delivery is measurably lower (pitch 0.92)...
    assert ratio == pytest.approx(config.quote.pitch, abs=0.04)
    assert ratio < 0.96
    # ...and slower (length_scale 1.05), not just lower.
    assert quote.duration / narration.duration == pytest.approx(config.quote.length_scale, abs=0.08)
