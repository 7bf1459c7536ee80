"""Assembly: pauses of natural length, exact timings, loudness, and a distinct quote delivery."""

from __future__ import annotations

import numpy as np
import pytest

from narrator.audio.assemble import VoicedUtterance, assemble, pause_between
from narrator.audio.codec import decode, encode_mp3
from narrator.config import AudioSettings, Pauses, load_config
from narrator.models import Clip, Segment, Utterance
from tests.audio_measure import integrated_loudness, silent_runs, true_peak_db

RATE = 22050


def tone(seconds: float, freq: float = 220.0) -> Clip:
    t = np.arange(round(seconds * RATE)) / RATE
    return Clip((0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32), RATE)


def voiced(index: int, paragraph: int | None, kind: str, sentences: int) -> VoicedUtterance:
    segment = Segment(index, paragraph, kind, " ".join(f"Sentence {n}." for n in range(sentences)))  # type: ignore[arg-type]
    texts = tuple(f"Sentence {n}." for n in range(sentences))
    return VoicedUtterance(Utterance(segment, segment.text, texts), tuple(tone(1.0) for _ in texts))


def test_pauses_grow_from_sentence_to_paragraph_to_title() -> None:
    pauses = Pauses()
    title = Segment(0, None, "title", "T")
    p0 = Segment(1, 0, "narration", "a")
    q0 = Segment(2, 0, "quote", "b")
    p1 = Segment(3, 1, "narration", "c")
    assert pauses.sentence < pause_between(p0, p1, pauses) < pause_between(title, p0, pauses)
    assert pause_between(p0, q0, pauses) < pause_between(p0, p1, pauses)


def test_silences_in_the_audio_match_the_pause_plan() -> None:
    pauses = Pauses()
    audio = AudioSettings(sample_rate=RATE)
    parts = [
        voiced(0, None, "title", 1),
        voiced(1, 0, "narration", 2),
        voiced(2, 1, "narration", 1),
    ]
    result = assemble(parts, pauses, audio)
    gaps = [
        length
        for start, length in silent_runs(result.audio)
        if 0.1 < start < result.audio.duration - 1.5
    ]
    assert gaps == pytest.approx([pauses.title, pauses.sentence, pauses.paragraph], abs=0.03)
    assert result.audio.duration == pytest.approx(
        pauses.lead_in + 4 * 1.0 + pauses.title + pauses.sentence + pauses.paragraph + pauses.tail,
        abs=0.01,
    )


def test_cues_cover_each_sentence_in_order() -> None:
    result = assemble(
        [voiced(0, None, "title", 1), voiced(1, 0, "narration", 2)],
        Pauses(),
        AudioSettings(sample_rate=RATE),
    )
    assert [c.text for c in result.cues] == ["Sentence 0.", "Sentence 0.", "Sentence 1."]
    for cue in result.cues:
        assert cue.end - cue.start == pytest.approx(1.0, abs=0.01)
    starts = [c.start for c in result.cues]
    assert starts == sorted(starts)
    assert starts[0] == pytest.approx(Pauses().lead_in, abs=0.01)


def test_encoded_episode_lands_on_the_loudness_target_with_peak_ceiling() -> None:
    loud = [voiced(0, None, "title", 1), voiced(1, 0, "narration", 3)]
    audio = AudioSettings(sample_rate=44100, loudness=-19.0, true_peak=-1.0)
    result = assemble(loud, Pauses(), audio)
    assert result.audio.sample_rate == 44100
    # Measured as a listener gets it: after MP3 encoding (which lowers the level) and decoding.
    decoded = decode(encode_mp3(result.audio, audio.bitrate))
    assert integrated_loudness(decoded) == pytest.approx(-19.0, abs=0.2)
    assert true_peak_db(decoded) <= -1.0


def test_second_voice_is_used_for_quotes_when_configured(tmp_path) -> None:
    from narrator.build.episode import voice_for

    config_file = tmp_path / "narrator.toml"
    config_file.write_text('[quote_voice]\nbackend = "gtts"\nname = "co.uk"\n', encoding="utf-8")
    config = load_config(config_file)
    quote = Utterance(Segment(1, 0, "quote", "Hi."), "Hi.", ("Hi.",))
    narration = Utterance(Segment(2, 0, "narration", "Hi."), "Hi.", ("Hi.",))
    assert voice_for(quote, config).backend == "gtts"
    assert voice_for(quote, config).pitch == 1.0
    assert voice_for(narration, config).backend == "piper"
