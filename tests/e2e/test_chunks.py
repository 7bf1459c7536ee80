"""Chunked episodes with the real Piper voice: an edit re-encodes only its own chunk.

An episode's MP3 is a run of independent streams, one per chunk of audio cut in a pause;
unchanged chunks reuse their stored MP3 bytes, and the gain of the previous build is kept
while it fits, so that the frames before an edit stay as they were.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from mutagen.id3 import ID3

from narrator.audio.codec import FRAME_SAMPLES, decode
from narrator.audio.transform import resample
from narrator.build.pipeline import BuildReport, build
from narrator.build.store import CHUNKS_DIR, CLIP_SUFFIX, CLIPS_DIR, ClipCache, decode_entry
from narrator.cli import cli
from narrator.config import Config, load_config
from narrator.models import Clip
from narrator.voice.synthesizer import Synthesizer

LANTERN = """The Lantern

The keeper lit the lantern at dusk.

Ships passed the point all night. None of them stopped.

At dawn the fog rolled in from the sea.

The keeper wrote the weather in his book.

Then he slept until noon.
"""
# Longer, so that one re-voiced sentence moves the episode's loudness by far less than the
# 0.2 LU within which the previous gain is kept (Piper's delivery varies a little each time:
# in the five-sentence LANTERN one sentence can move it by 0.3 LU).
LOGBOOK = (
    LANTERN
    + """
The gulls came back before the rain.

A fishing boat waited for the tide, then went out with two men aboard.

By evening the wind had turned to the north and the sea was grey.

The keeper climbed the stairs again, one hundred and twelve of them.

He trimmed the wick, cleaned the glass, and wound the clockwork.

Far out, a steamer answered the light with three short blasts.

He wrote that down too, and the time, and the colour of the sky.

Nobody would read the book, he thought, but the sea had to be written somewhere.
"""
)
EDITED_LOGBOOK = LOGBOOK.replace("The keeper wrote the weather", "The keeper noted the weather")
SLUG = "the-lantern"
BITRATES = dict(enumerate([0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]))
"""kbit/s by the bitrate index of an MPEG-1 Layer III frame header."""
RATES = {0b00: 44100, 0b01: 48000, 0b10: 32000}


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(None)


def _build(folder: Path, out: Path, config: Config, cache: Path, **kw: Any) -> BuildReport:
    synthesizer = Synthesizer(cache=ClipCache(cache), jobs=1)
    return build([folder], out, config, synthesizer=synthesizer, **kw)


def _article(root: Path, text: str) -> Path:
    folder = root / "articles"
    folder.mkdir(exist_ok=True)
    (folder / "lantern.txt").write_text(text, encoding="utf-8")
    return folder


def _entry(out: Path) -> dict[str, Any]:
    catalog = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    entry: dict[str, Any] = catalog["episodes"][SLUG]
    return entry


def _cues(out: Path) -> list[tuple[float, float, str]]:
    """(start, end, text) of every cue of the episode's WebVTT transcript."""
    vtt = (out / "episodes" / f"{SLUG}.vtt").read_text(encoding="utf-8")
    stamp = r"(\d+):(\d\d):(\d\d)\.(\d{3})"
    cues = []
    for match in re.finditer(rf"{stamp} --> {stamp}\n(.+)", vtt):
        g = [int(v) for v in match.groups()[:8]]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        cues.append((start, end, match.group(9)))
    return cues


def _audio(mp3: bytes) -> bytes:
    """The MP3 frames, without the ID3v2 tag before them."""
    assert mp3[:3] == b"ID3"
    size = 0
    for byte in mp3[6:10]:  # a "syncsafe" integer: 7 bits per byte
        size = size << 7 | byte
    footer = 10 if mp3[5] & 0x10 else 0
    return mp3[10 + size + footer :]


def _frame_offsets(audio: bytes) -> list[int]:
    """Byte offsets of the MPEG-1 Layer III frames of ``audio`` (and its length, last)."""
    offsets, at = [], 0
    while at < len(audio):
        header = int.from_bytes(audio[at : at + 4], "big")
        assert header >> 21 == 0x7FF and (header >> 17) & 0xF == 0b1101, f"no frame at {at}"
        bitrate = BITRATES[(header >> 12) & 0xF] * 1000
        rate = RATES[(header >> 10) & 0x3]
        padding = (header >> 9) & 1
        offsets.append(at)
        at += 144 * bitrate // rate + padding
    assert at == len(audio), "the last frame is cut short"
    return [*offsets, at]


def _rms_db(clip: Clip, start: float, end: float) -> float:
    rate = clip.sample_rate
    part = clip.samples[max(0, round(start * rate)) : round(end * rate)].astype(np.float64)
    return float(10 * np.log10(np.mean(part**2) + 1e-20))


def _stored_chunks(cache: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted((cache / CHUNKS_DIR).rglob("*.mp3"))}


def _split_into_stored_chunks(audio: bytes, chunks: dict[str, bytes]) -> list[int]:
    """Byte offsets where each stored chunk starts in ``audio``, which must be made of them."""
    starts, at = [], 0
    while at < len(audio):
        found = [data for data in chunks.values() if audio.startswith(data, at)]
        assert len(found) == 1, f"no single stored chunk at byte {at}"
        starts.append(at)
        at += len(found[0])
    return starts


def test_an_edit_reencodes_only_its_chunk_and_keeps_the_gain(
    tmp_path: Path, config: Config
) -> None:
    folder = _article(tmp_path, LOGBOOK)
    out, cache = tmp_path / "out", tmp_path / "cache"
    mp3 = out / "episodes" / f"{SLUG}.mp3"
    _build(folder, out, config, cache)
    before, entry_before, cues_before = mp3.read_bytes(), _entry(out), _cues(out)
    stored_before = len(_stored_chunks(cache))
    assert stored_before >= 13  # cut in every paragraph pause at least

    (folder / "lantern.txt").write_text(EDITED_LOGBOOK, encoding="utf-8")
    report = _build(folder, out, config, cache)
    assert report.built == [SLUG] and report.clips_synthesized == 1
    after, entry_after, cues_after = mp3.read_bytes(), _entry(out), _cues(out)
    assert entry_before["gain_db"] is not None
    assert entry_after["gain_db"] == entry_before["gain_db"]

    old, new = _audio(before), _audio(after)
    old_frames, new_frames = _frame_offsets(old), _frame_offsets(new)
    edited = next(i for i, cue in enumerate(cues_after) if "noted" in cue[2])
    assert cues_after[:edited] == cues_before[:edited]
    # Every frame up to the end of the sentence before the edited one (and its chunk's
    # trailing silence) is the same, to the byte.
    unchanged_until = cues_after[edited - 1][1] + 0.05
    frames = int(unchanged_until * config.audio.sample_rate // FRAME_SAMPLES)
    assert old[: old_frames[frames]] == new[: new_frames[frames]]
    # And the edit itself does show in the frames before the end of the edited sentence.
    changed_by = int(cues_after[edited][1] * config.audio.sample_rate // FRAME_SAMPLES)
    assert old[: old_frames[changed_by]] != new[: new_frames[changed_by]]
    # The last paragraph's chunk comes after the edit, and is the same bytes too.
    last = cues_after[-1][0] - 0.03
    tail_frames = len(new_frames) - 1 - int(last * config.audio.sample_rate // FRAME_SAMPLES)
    assert old[old_frames[-1 - tail_frames] :] == new[new_frames[-1 - tail_frames] :]

    grown = len(_stored_chunks(cache)) - stored_before
    assert 1 <= grown <= 2


def test_a_forced_rebuild_gives_the_same_bytes(tmp_path: Path, config: Config) -> None:
    folder = _article(tmp_path, LANTERN)
    out, cache = tmp_path / "out", tmp_path / "cache"
    mp3 = out / "episodes" / f"{SLUG}.mp3"
    _build(folder, out, config, cache)
    first, stored = mp3.read_bytes(), _stored_chunks(cache)
    report = _build(folder, out, config, cache, force=True)
    assert report.built == [SLUG] and report.clips_synthesized == 0
    assert mp3.read_bytes() == first
    assert _stored_chunks(cache) == stored  # every chunk was reused: nothing new encoded


def test_a_rebuild_from_the_clips_alone_gives_the_same_bytes(
    tmp_path: Path, config: Config
) -> None:
    """A chunk's MP3 depends on nothing but its audio and the gain: rebuilt from the same
    clips with nothing else stored (no encoded chunks), the episode is the same bytes."""
    folder = _article(tmp_path, LANTERN)
    out, cache = tmp_path / "out", tmp_path / "cache"
    mp3 = out / "episodes" / f"{SLUG}.mp3"
    _build(folder, out, config, cache)
    first = mp3.read_bytes()
    clips_only = tmp_path / "clips-only"
    shutil.copytree(cache / CLIPS_DIR, clips_only / CLIPS_DIR)
    report = _build(folder, out, config, clips_only, force=True)
    assert report.built == [SLUG] and report.clips_synthesized == 0
    assert len(_stored_chunks(clips_only)) == len(_stored_chunks(cache))  # all encoded again
    assert mp3.read_bytes() == first


def test_durations_agree_and_every_chunk_joins_in_silence(tmp_path: Path, config: Config) -> None:
    folder = _article(tmp_path, LANTERN)
    out, cache = tmp_path / "out", tmp_path / "cache"
    _build(folder, out, config, cache)
    path = out / "episodes" / f"{SLUG}.mp3"
    data, entry, cues = path.read_bytes(), _entry(out), _cues(out)
    clip = decode(data)
    rate = config.audio.sample_rate
    assert clip.sample_rate == rate
    decoded = len(clip.samples) / rate
    assert decoded == pytest.approx(entry["duration"], abs=0.001)
    assert decoded == pytest.approx(int(ID3(path)["TLEN"].text[0]) / 1000, abs=0.001)

    # The cues are where the speech is: silence just before, speech within (see
    # test_cues_start_where_their_sentences_do for the exact place).
    assert len(cues) == 7
    for start, end, text in cues:
        assert _rms_db(clip, start - 0.03, start) < -50, text
        assert _rms_db(clip, start, end) > -35, text

    # The episode is the stored chunks end to end, and each join lies in a pause.
    audio = _audio(data)
    frames = _frame_offsets(audio)
    starts = _split_into_stored_chunks(audio, _stored_chunks(cache))
    assert len(starts) >= 6
    for offset in starts[1:]:
        at = frames.index(offset) * FRAME_SAMPLES / rate
        before = [c for c in cues if c[1] <= at]
        after = [c for c in cues if c[0] >= at]
        assert len(before) + len(after) == len(cues), f"a join at {at:.3f} s cuts a sentence"
        assert before and after
        gap = (before[-1][1], after[0][0])
        assert gap[0] + 0.04 < at < gap[1] - 0.04, (at, gap)
        assert _rms_db(clip, at - 0.03, at + 0.03) < -60, at
        assert (
            np.abs(clip.samples[round((at - 0.03) * rate) : round((at + 0.03) * rate)]).max()
            < 0.003
        )


def _lag(audio: np.ndarray, rate: int, at: float, reference: np.ndarray) -> tuple[float, float]:
    """Where ``reference`` best matches ``audio`` near ``at`` seconds: (seconds after ``at``,
    normalized correlation)."""
    lo = max(0, round((at - 0.1) * rate))
    part = audio[lo : lo + len(reference) + round(0.2 * rate)].astype(np.float64)
    if len(part) < len(reference):
        return 0.0, 0.0
    size = 1 << (len(part) + len(reference)).bit_length()
    spectrum = np.fft.rfft(part, size) * np.conj(np.fft.rfft(reference, size))
    corr = np.fft.irfft(spectrum, size)[: len(part) - len(reference) + 1]
    k = int(np.argmax(corr))
    norm = np.linalg.norm(reference) * np.linalg.norm(part[k : k + len(reference)])
    return (lo + k) / rate - at, float(corr[k] / max(norm, 1e-12))


def test_cues_start_where_their_sentences_do(tmp_path: Path, config: Config) -> None:
    folder = _article(tmp_path, LANTERN)
    out, cache = tmp_path / "out", tmp_path / "cache"
    _build(folder, out, config, cache)
    clip = decode((out / "episodes" / f"{SLUG}.mp3").read_bytes())
    rate = clip.sample_rate
    # The sentences as the voice made them (the cached clips), at the episode's rate.
    sentences = [
        resample(decode_entry(p.read_bytes()), rate).samples
        for p in sorted((cache / CLIPS_DIR).rglob(f"*{CLIP_SUFFIX}"))
    ]
    assert len(sentences) == 7
    for start, _, text in _cues(out):
        lag, match = max(
            (_lag(clip.samples, rate, start, s) for s in sentences), key=lambda r: r[1]
        )
        assert match > 0.95, text
        assert abs(lag) < 0.003, f"{text!r} starts {lag * 1000:.1f} ms after its cue"


def test_cache_info_mentions_the_mp3_chunks(tmp_path: Path, config: Config) -> None:
    folder = _article(tmp_path, LANTERN)
    cache = tmp_path / "cache"
    _build(folder, tmp_path / "out", config, cache)
    count = len(_stored_chunks(cache))
    result = CliRunner().invoke(cli, ["cache", "info", "--cache-dir", str(cache)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "chunk" in line.lower()]
    assert lines, result.output
    assert re.search(rf"\b{count}\b", lines[0]), lines[0]


def test_cache_clear_removes_the_mp3_chunks(tmp_path: Path, config: Config) -> None:
    folder = _article(tmp_path, LANTERN)
    cache = tmp_path / "cache"
    _build(folder, tmp_path / "out", config, cache)
    assert _stored_chunks(cache)
    result = CliRunner().invoke(cli, ["cache", "clear", "--cache-dir", str(cache)])
    assert result.exit_code == 0, result.output
    assert not (cache / CHUNKS_DIR).exists()
    assert not (cache / CLIPS_DIR).exists()
