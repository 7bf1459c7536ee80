"""Stage: clips + pause plan → one episode of audio, with exact timings.

One join (a single preallocated concatenation, never pydub's quadratic sum),
one resample to the output rate, one loudness pass over the whole episode.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from narrator.codec import ENCODER_GAIN_DB
from narrator.config import AudioSettings, Pauses
from narrator.dsp import fade, normalize_loudness, resample, silence
from narrator.models import Clip, Cue, Segment, Utterance

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VoicedUtterance:
    """An utterance with one clip per sentence (same order as ``utterance.sentences``)."""

    utterance: Utterance
    clips: tuple[Clip, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Assembled:
    """The episode's audio and where each sentence lies in it."""

    audio: Clip
    cues: tuple[Cue, ...]


def pause_between(before: Segment, after: Segment, pauses: Pauses) -> float:
    """Silence between two consecutive segments."""
    if before.kind == "title":
        return pauses.title
    if after.kind == "heading":
        return pauses.heading + pauses.paragraph
    if before.kind == "heading":
        return pauses.heading
    if before.paragraph != after.paragraph:
        return pauses.paragraph
    return pauses.segment


def _sentence_texts(segment: Segment, count: int) -> list[str]:
    """The written text to show for each spoken sentence of a segment."""
    if count == 1:
        return [segment.text]
    # Spoken sentences come from normalized text; show the segment text on its first cue
    # and continue the transcript with the same text split evenly by sentence count.
    from narrator.speak import split_sentences

    written = split_sentences(segment.text)
    if len(written) == count:
        return written
    return [segment.text] + [""] * (count - 1)


def assemble(voiced: Sequence[VoicedUtterance], pauses: Pauses, audio: AudioSettings) -> Assembled:
    """Join every clip with its pause, then resample and normalize the whole episode once."""
    if not voiced:
        raise ValueError("nothing to assemble")
    rate = voiced[0].clips[0].sample_rate if voiced[0].clips else audio.sample_rate
    pieces: list[np.ndarray] = [silence(pauses.lead_in, rate)]
    cues: list[Cue] = []
    position = len(pieces[0])
    previous: Segment | None = None
    for item in voiced:
        segment = item.utterance.segment
        if previous is not None:
            gap = silence(pause_between(previous, segment, pauses), rate)
            pieces.append(gap)
            position += len(gap)
        texts = _sentence_texts(segment, len(item.clips))
        for number, (clip, text) in enumerate(zip(item.clips, texts, strict=True)):
            if clip.sample_rate != rate:
                clip = resample(clip, rate)
            if number:
                gap = silence(pauses.sentence, rate)
                pieces.append(gap)
                position += len(gap)
            body = fade(clip.samples, rate)
            pieces.append(body)
            start = position / rate
            position += len(body)
            if text:
                cues.append(
                    Cue(
                        start, position / rate, text, segment.index, segment.paragraph, segment.kind
                    )
                )
            elif cues:
                last = cues[-1]
                cues[-1] = Cue(
                    last.start, position / rate, last.text, last.segment, last.paragraph, last.kind
                )
        previous = segment
    pieces.append(silence(pauses.tail, rate))
    joined = Clip(np.concatenate(pieces).astype(np.float32, copy=False), rate)
    # Loudness and peaks are measured at the voice's own rate (half the samples of
    # 44.1 kHz for Piper); the one resample afterwards moves neither by more than
    # a few hundredths of a dB, well inside the limiter's margin.
    # The MP3 encoder lowers the level by ENCODER_GAIN_DB: aim that much higher. Its
    # overshoot on decoding is about as large, so the peak ceiling stays as it is.
    out = normalize_loudness(joined, audio.loudness - ENCODER_GAIN_DB, audio.true_peak)
    out = resample(out, audio.sample_rate)
    log.debug("assembled %.1f s from %d utterances", out.duration, len(voiced))
    return Assembled(out, tuple(cues))
