"""Tests for the speak stage: written text → what the voice says."""

from __future__ import annotations

import pytest

from narrator.models import Segment
from narrator.speak import MAX_SENTENCE_CHARS, normalize, speak, split_sentences


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        pytest.param("Mr Lukashenko spoke.", "Mister Lukashenko spoke.", id="mr-no-period"),
        pytest.param("Mr. Lukashenko spoke.", "Mister Lukashenko spoke.", id="mr-period"),
        pytest.param("in 1994", "in nineteen ninety-four", id="year"),
        pytest.param("firing 36 shells", "firing thirty-six shells", id="cardinal"),
    ],
)
def test_normalize_basics(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


def test_no_false_break_after_title() -> None:
    assert split_sentences(normalize("Mr. Smith came. He left.")) == [
        "Mister Smith came.",
        "He left.",
    ]


def test_speak_returns_utterance_with_sentences() -> None:
    seg = Segment(index=1, paragraph=0, kind="narration", text="Dr. Smith won. It was 2015.")
    utt = speak(seg)
    assert utt.segment is seg
    assert utt.sentences == ("Doctor Smith won.", "It was twenty fifteen.")
    assert MAX_SENTENCE_CHARS >= 200
