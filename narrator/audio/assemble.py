"""Stage: clips + pause plan → one episode of audio, in chunks, with exact timings.

One join per chunk (never pydub's quadratic sum), one gain for the whole
episode (metered and limited chunk by chunk: ``narrator.audio.leveling``), one
resample of each chunk to the output rate when it is encoded.
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
    """The written text to show for each of the ``count`` spoken sentences of ``segment``.

    Spoken sentences come from the normalized text, so the written text is split
    into sentences the same way (``split_sentences``). Where the two do not split
    alike (normalizing changes a sentence's length, and a long one is cut at a
    comma), the whole segment text goes with the first spoken sentence and the
    others get ``""``: the segment then has one cue over all its sentences
    (``_cues``).
    """
    if count == 1:
        return [segment.text]
    from narrator.text.normalize import split_sentences

    written = split_sentences(segment.text)
    if len(written) == count:
        return written
    return [segment.text] + [""] * (count - 1)


CHUNK_TRAIL = 0.05
"""Seconds of silence that end every chunk but the last, so the stream joins lie in silence."""


@dataclass(frozen=True, slots=True)
class _Placed:
    """Where one spoken sentence lies: in chunk ``chunk``, samples ``start`` to ``end``
    (at the voice's rate, from the chunk's start), and the text its cue shows."""

    chunk: int
    start: int
    end: int
    text: str
    segment: Segment


class _Layout:
    """The episode's samples at the voice's rate, cut into chunks in long pauses (only
    when ``cut`` is set: the output rate is one the encoder takes in chunks), and where
    each sentence lies in them."""

    def __init__(self, rate: int, out_rate: int, cut: bool) -> None:
        self.rate = rate
        self.cut = cut
        self.joint = CHUNK_TRAIL + JOIN_SILENCE / out_rate
        """Seconds of silence every cut adds on average: the chunk's trail, the join's gap."""
        self.parts: list[list[Samples]] = [[]]
        self.filled = [0]
        """Samples in each chunk so far."""
        self.placed: list[_Placed] = []

    def add(self, samples: Samples) -> None:
        self.parts[-1].append(samples)
        self.filled[-1] += len(samples)

    def pause(self, seconds: float) -> None:
        """``seconds`` of silence; a pause long enough ends the chunk: the chunk gets its
        trail, and the next starts with the rest of the pause, less what the join adds."""
        if self.cut and seconds >= self.joint + MIN_CUT_PAUSE:
            self.add(silence(CHUNK_TRAIL, self.rate))
            self.parts.append([])
            self.filled.append(0)
            self.add(silence(seconds - self.joint, self.rate))
        else:
            self.add(silence(seconds, self.rate))

    def speak(self, clip: Clip, text: str, segment: Segment) -> None:
        """One sentence's clip (faded at both ends), placed with ``text`` for its cue."""
        if clip.sample_rate != self.rate:
            clip = resample(clip, self.rate)
        start = self.filled[-1]
        self.add(fade(clip.samples, self.rate))
        self.placed.append(_Placed(len(self.parts) - 1, start, self.filled[-1], text, segment))

    def bodies(self) -> list[Samples]:
        """Each chunk's samples in one array; the pieces are let go chunk by chunk, so the
        episode is not held twice more (22 minutes: 115 MB of float32 a copy)."""
        joined: list[Samples] = []
        for k, pieces in enumerate(self.parts):
            joined.append(np.concatenate(pieces))
            self.parts[k] = []
        return joined


def _lay_out(
    voiced: Sequence[VoicedUtterance], pauses: Pauses, rate: int, out_rate: int
) -> _Layout:
    """Lead-in, then every sentence with the pause before it (``pause_between`` segments,
    ``pauses.sentence`` within one), then the tail."""
    layout = _Layout(rate, out_rate, cut=chunked(out_rate))
    layout.add(silence(pauses.lead_in, rate))
    previous: Segment | None = None
    for item in voiced:
        segment = item.utterance.segment
        if previous is not None:
            layout.pause(pause_between(previous, segment, pauses))
        texts = _sentence_texts(segment, len(item.clips))
        for number, (clip, text) in enumerate(zip(item.clips, texts, strict=True)):
            if number:
                layout.pause(pauses.sentence)
            layout.speak(clip, text, segment)
        previous = segment
    layout.add(silence(pauses.tail, rate))
    return layout


def _leveler(
    bodies: Sequence[Samples],
    gaps: Sequence[int],
    rate: int,
    audio: AudioSettings,
    store: LevelStore | None,
) -> Leveler:
    """The episode's leveler at the voice's rate (``gaps``: output samples after each chunk).

    The MP3 encoder lowers the level by ``ENCODER_GAIN_DB``: the target is that much
    higher. Its overshoot on decoding is about as large, so the peak ceiling stays.
    """
    spacing = [round(g * rate / audio.sample_rate) for g in gaps]
    target = audio.loudness - ENCODER_GAIN_DB
    return Leveler(bodies, rate, spacing, target, audio.true_peak, store)


def _cues(
    placed: Sequence[_Placed], chunks: Sequence[Chunk], rate: int, out_rate: int
) -> tuple[Cue, ...]:
    """Each sentence's time in the decoded episode: chunk k's stream starts at the sum of
    the streams before it, and a decoder plays the encoder's delay first (at MPEG-1
    rates, where it is known), so every cue comes that much later. A sentence with no
    text of its own (``_sentence_texts``) lengthens the cue before it."""
    delay = STREAM_DELAY if chunked(out_rate) else 0
    starts = np.cumsum([delay] + [c.out_length + c.gap for c in chunks])
    cues: list[Cue] = []
    for p in placed:
        first = float(starts[p.chunk]) / out_rate + p.start / rate
        last = float(starts[p.chunk]) / out_rate + p.end / rate
        segment = p.segment
        if p.text:
            cues.append(Cue(first, last, p.text, segment.index, segment.paragraph, segment.kind))
        elif cues:
            c = cues[-1]
            cues[-1] = Cue(c.start, last, c.text, c.segment, c.paragraph, c.kind)
    return tuple(cues)


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
    The voice's rate is the first clip's; a clip at another rate is resampled to it.
    """
    if not voiced:
        raise ValueError("nothing to assemble")
    rate = voiced[0].clips[0].sample_rate if voiced[0].clips else audio.sample_rate
    out_rate = audio.sample_rate
    layout = _lay_out(voiced, pauses, rate, out_rate)
    bodies = layout.bodies()
    lengths = [resampled_length(len(b), rate, out_rate) for b in bodies]
    gaps = [stream_gap(n) if layout.cut else 0 for n in lengths]
    chunks = tuple(Chunk(b, n, g) for b, n, g in zip(bodies, lengths, gaps, strict=True))
    leveler = _leveler(bodies, gaps, rate, audio, store)
    gain_db = leveler.choose_gain(prefer_gain_db)
    cues = _cues(layout.placed, chunks, rate, out_rate)
    result = Assembled(chunks, cues, rate, out_rate, gain_db, leveler)
    log.debug(
        "assembled %.1f s in %d chunks from %d utterances (%d chunks leveled anew)",
        result.duration,
        len(chunks),
        len(voiced),
        leveler.computed,
    )
    return result
