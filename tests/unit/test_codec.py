"""MP3 encoding: level, and chunked encoding that keeps every sample's time and reuses chunks."""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any

import numpy as np
import pytest

from narrator.audio import codec
from narrator.audio.codec import (
    ENCODER_GAIN_DB,
    FRAME_SAMPLES,
    decode,
    encode_chunks,
    encode_mp3,
    encode_pcm,
    frames_in,
    stream_frames,
    stream_gap,
)
from narrator.audio.transform import resample
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


@pytest.mark.parametrize("rate", [32000, 44100, 48000])
def test_stream_length_follows_the_frame_rule(rate: int) -> None:
    rng = np.random.default_rng(rate)
    noise = (rng.standard_normal(30000) * 3000).astype("<i2")
    for n in [1, 1151, 1152, 1153, 2303, 2304, 20000, 23040, 23041, 29999]:
        data = encode_pcm(noise[:n], rate, 64, 7)
        assert frames_in(data, rate, 64) == stream_frames(n), n


class DictStore:
    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.puts = 0
        self.made: list[int] = []

    def get_chunk(self, key: str) -> bytes | None:
        return self.data.get(key)

    def put_chunk(self, key: str, data: bytes) -> None:
        self.puts += 1
        self.data[key] = data


def _chunks(count: int) -> list[np.ndarray]:
    """Chunks at 22.05 kHz that start and end in silence, like assembled paragraphs."""
    out = []
    for n in range(count):
        body = speechlike(2.0 + 0.37 * n).samples[::2]  # 44.1 kHz material read at half rate
        out.append(np.concatenate([np.zeros(4000, np.float32), body, np.zeros(1200, np.float32)]))
    return out


def _encode(chunks: list[np.ndarray], store: DictStore | None = None) -> bytes | None:
    """Chunks keyed by their content, as leveling keys them."""
    keys = [hashlib.sha256(c.tobytes()).hexdigest() for c in chunks]
    made: list[int] = []

    def samples_of(i: int) -> np.ndarray:
        made.append(i)
        return chunks[i]

    mp3 = encode_chunks(keys, samples_of, [len(c) for c in chunks], 22050, RATE, store=store)
    if store is not None:
        store.made = made
    return mp3


def test_chunks_decode_at_their_planned_times() -> None:
    chunks = _chunks(4)
    mp3 = _encode(chunks)
    assert mp3 is not None
    # The same audio laid out as planned (each chunk followed by its gap), in one stream.
    planned = []
    for chunk in chunks:
        body = resample(Clip(chunk, 22050), RATE).samples
        planned += [body, np.zeros(stream_gap(len(body)), np.float32)]
    whole = np.concatenate(planned)
    assert len(whole) == sum(stream_frames(len(p)) for p in planned[::2]) * FRAME_SAMPLES
    joined, single = decode(mp3), decode(encode_mp3(Clip(whole, RATE)))
    assert len(joined.samples) == len(whole)
    n = min(len(joined.samples), len(single.samples))
    assert np.abs(joined.samples[:n] - single.samples[:n]).max() < 0.01


def test_unchanged_chunks_are_reused_byte_for_byte() -> None:
    chunks = _chunks(4)
    store = DictStore()
    first = _encode(chunks, store)
    assert first is not None and store.puts == 4
    edited = list(chunks)
    edited[2] = edited[2] * np.float32(0.9)
    second = _encode(edited, store)
    assert second is not None and store.puts == 5  # only the edited chunk was encoded
    assert store.made == [2]  # and only its audio was asked for
    sizes = [stream_frames(len(resample(Clip(c, 22050), RATE).samples)) for c in chunks]
    frame = 144 * 64000 / RATE
    ends = [round(sum(sizes[: i + 1]) * frame) for i in range(4)]
    assert first[: ends[1]] == second[: ends[1]]
    assert first[ends[1] : ends[2]] != second[ends[1] : ends[2]]
    assert first[ends[2] :] == second[ends[2] :]
    assert _encode(chunks, store) == first


def test_chunks_are_encoded_on_every_usable_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """As many encoder threads as the process has cores (here 3 of them, for 4 chunks),
    and the same bytes as one thread makes."""
    chunks = _chunks(4)
    monkeypatch.setattr(codec, "usable_cores", lambda: 1)
    alone = _encode(chunks)
    monkeypatch.setattr(codec, "usable_cores", lambda: 3)
    together = threading.Barrier(3, timeout=20)  # broken unless 3 encodes run at once
    calls = []
    encode_pcm_ = codec.encode_pcm

    def encode_meeting(*args: Any) -> bytes:
        calls.append(threading.get_ident())
        if len(calls) <= 3:
            together.wait()
        return encode_pcm_(*args)

    monkeypatch.setattr(codec, "encode_pcm", encode_meeting)
    assert _encode(chunks) == alone
    assert len(set(calls[:3])) == 3 and len(calls) == 4


def test_usable_cores_are_the_affinity_where_there_is_one() -> None:
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert codec.usable_cores() == expected


def test_encoder_lowers_the_level_by_its_known_gain() -> None:
    t = np.arange(RATE * 2) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    decoded = decode(encode_mp3(Clip(tone, RATE))).samples[4000:-4000]
    rms_db = 20 * np.log10(np.sqrt(np.mean(decoded**2)) / np.sqrt(np.mean(tone**2)))
    assert rms_db == pytest.approx(ENCODER_GAIN_DB, abs=0.05)
