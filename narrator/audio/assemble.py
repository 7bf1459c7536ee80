"""Stage: clips + pause plan → one episode of audio, in chunks, with exact timings.

One join per chunk (never pydub's quadratic sum), one loudness pass over the
whole episode, one resample of each chunk to the output rate when it is encoded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from narrator.audio.codec import (
    ENCODER_GAIN_DB,
    JOIN_SILENCE,
    MIN_CUT_PAUSE,
    STREAM_DELAY,
    ChunkStore,
    chunked,
    encode_chunks,
    encode_mp3,
    stream_gap,
)
from narrator.audio.filters import Samples
from narrator.audio.leveling import Leveler, LevelStore
from narrator.audio.transform import fade, resample, resampled_length, silence
from narrator.config import AudioSettings, Pauses
from narrator.models import Clip, Cue, Segment, Utterance

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VoicedUtterance:
    """An utterance with one clip per sentence (same order as ``utterance.sentences``)."""

    utterance: Utterance
    clips: tuple[Clip, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Chunk:
    """A stretch of the episode that is leveled and encoded on its own."""

    body: Samples
    """Its audio at the voice's rate and unit gain: leading silence, speech, trailing silence."""
    out_length: int
    """Its length at the output rate."""
    gap: int
    """Silence after it, in output samples: what the MP3 encoder's delay and padding take."""


@dataclass(frozen=True, slots=True, eq=False)
class Assembled:
    """The episode's audio, in chunks, its gain, and where each sentence lies in it."""

    chunks: tuple[Chunk, ...]
    cues: tuple[Cue, ...]
    rate: int
    """Sample rate of the chunks (the voice's)."""
    sample_rate: int
    """Sample rate of the episode."""
    gain_db: float
    """The gain that brings the episode to its loudness (the limiter then holds the peaks)."""
    leveler: Leveler

    @property
    def duration(self) -> float:
        """Seconds of audio the episode plays."""
        return sum(c.out_length + c.gap for c in self.chunks) / self.sample_rate

    def leveled(self, k: int) -> Samples:
        """Chunk ``k`` at the episode's gain, peaks limited (at the voice's rate)."""
        return self.leveler.limited(k, self.gain_db)

    def encode(self, bitrate: int, store: ChunkStore | None = None) -> bytes:
        """The episode as MP3: chunk by chunk where the rate allows, reusing stored chunks."""
        if chunked(self.sample_rate):
            mp3 = encode_chunks(
                [self.leveler.key(k, self.gain_db) for k in range(len(self.chunks))],
                self.leveled,
                [len(c.body) for c in self.chunks],
                self.rate,
                self.sample_rate,
                bitrate,
                store=store,
            )
            if mp3 is not None:
                return mp3
            log.warning("chunked MP3 encoding did not line up; encoding in one stream")
        return encode_mp3(self.audio, bitrate)

    @property
    def audio(self) -> Clip:
        """The whole episode at the output rate, as one clip."""
        pieces: list[Samples] = []
        for k, chunk in enumerate(self.chunks):
            body = resample(Clip(self.leveled(k), self.rate), self.sample_rate).samples
            pieces += [body, np.zeros(chunk.gap, np.float32)]
        return Clip(np.concatenate(pieces).astype(np.float32, copy=False), self.sample_rate)


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
    from narrator.text.normalize import split_sentences

    written = split_sentences(segment.text)
    if len(written) == count:
        return written
    return [segment.text] + [""] * (count - 1)


CHUNK_TRAIL = 0.05
"""Seconds of silence that end every chunk but the last, so the stream joins lie in silence."""


def assemble(
    voiced: Sequence[VoicedUtterance],
    pauses: Pauses,
    audio: AudioSettings,
    prefer_gain_db: float | None = None,
    store: LevelStore | None = None,
) -> Assembled:
    """Join every clip with its pause into chunks, and find the episode's level.

    At MPEG-1 rates (``codec.chunked``) the episode is cut in every pause long
    enough into chunks that are encoded separately: each chunk starts with its
    pause, shortened by the silence the encoder adds between chunks on average,
    so a pause comes out within 13 ms of its planned length and a chunk's audio
    never depends on where in the episode it lies. One gain for the whole
    episode, peaks limited chunk by chunk, both at the voice's own rate
    (``narrator.audio.leveling``, which reuses what ``store`` kept of unchanged chunks;
    the previous build's gain, ``prefer_gain_db``, is kept while it still fits).
    """
    if not voiced:
        raise ValueError("nothing to assemble")
    rate = voiced[0].clips[0].sample_rate if voiced[0].clips else audio.sample_rate
    out_rate = audio.sample_rate
    cuttable = chunked(out_rate)
    joint = CHUNK_TRAIL + JOIN_SILENCE / out_rate  # silence every cut adds on average
    parts: list[list[Samples]] = [[]]
    filled = [0]  # samples in each chunk so far
    placed: list[tuple[int, int, int, str, Segment]] = []  # chunk, start, end (samples), text
    previous: Segment | None = None

    def add(samples: Samples) -> None:
        parts[-1].append(samples)
        filled[-1] += len(samples)

    def pause(seconds: float) -> None:
        if cuttable and seconds >= joint + MIN_CUT_PAUSE:
            add(silence(CHUNK_TRAIL, rate))
            parts.append([])
            filled.append(0)
            add(silence(seconds - joint, rate))
        else:
            add(silence(seconds, rate))

    add(silence(pauses.lead_in, rate))
    for item in voiced:
        segment = item.utterance.segment
        if previous is not None:
            pause(pause_between(previous, segment, pauses))
        texts = _sentence_texts(segment, len(item.clips))
        for number, (clip, text) in enumerate(zip(item.clips, texts, strict=True)):
            if clip.sample_rate != rate:
                clip = resample(clip, rate)
            if number:
                pause(pauses.sentence)
            start = filled[-1]
            add(fade(clip.samples, rate))
            placed.append((len(parts) - 1, start, filled[-1], text, segment))
        previous = segment
    add(silence(pauses.tail, rate))

    bodies = [np.concatenate(p) for p in parts]
    lengths = [resampled_length(len(b), rate, out_rate) for b in bodies]
    gaps = [stream_gap(n) if cuttable else 0 for n in lengths]
    # The MP3 encoder lowers the level by ENCODER_GAIN_DB: aim that much higher. Its
    # overshoot on decoding is about as large, so the peak ceiling stays as it is.
    leveler = Leveler(
        bodies,
        rate,
        [round(g * rate / out_rate) for g in gaps],
        audio.loudness - ENCODER_GAIN_DB,
        audio.true_peak,
        store,
    )
    gain_db = leveler.choose_gain(prefer_gain_db)
    chunks = tuple(Chunk(b, n, g) for b, n, g in zip(bodies, lengths, gaps, strict=True))
    # Chunk k's stream starts at the sum of the streams before it; a decoder plays the
    # encoder's delay first (at MPEG-1 rates, where it is known), so cues come that much later.
    delay = STREAM_DELAY if cuttable else 0
    starts = np.cumsum([delay] + [n + g for n, g in zip(lengths, gaps, strict=True)])
    cues: list[Cue] = []
    for index, begin, end, text, segment in placed:
        first = float(starts[index]) / out_rate + begin / rate
        last = float(starts[index]) / out_rate + end / rate
        if text:
            cues.append(Cue(first, last, text, segment.index, segment.paragraph, segment.kind))
        elif cues:
            c = cues[-1]
            cues[-1] = Cue(c.start, last, c.text, c.segment, c.paragraph, c.kind)
    result = Assembled(chunks, tuple(cues), rate, out_rate, gain_db, leveler)
    log.debug(
        "assembled %.1f s in %d chunks from %d utterances (%d chunks leveled anew)",
        result.duration,
        len(chunks),
        len(voiced),
        leveler.computed,
    )
    return result
