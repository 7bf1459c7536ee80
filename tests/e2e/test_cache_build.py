"""The clip cache in real builds: 16-bit entries under 30 KB per second of audio, and an
episode made from cached clips byte-identical to one made from freshly voiced clips."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from narrator.audio.transform import PCM16_SCALE
from narrator.build.pipeline import build
from narrator.build.store import CLIP_SUFFIX, CLIPS_DIR, ClipCache, decode_entry
from narrator.config import load_config
from narrator.voice.synthesizer import Synthesizer

# Narration and a quotation: the quote voice's pitch shift makes samples finer than 16 bits,
# which the render rounds to 16 bits before anything uses them.
WHARF = """The Wharf

The boats came in late. The nets were empty again.

"We will try the northern banks tomorrow," the skipper said, and nobody argued.

By midnight the harbour was quiet.
"""
SLUG = "the-wharf"


def _build(folder: Path, out: Path, cache: Path, force: bool = False) -> tuple[bytes, int, int]:
    synthesizer = Synthesizer(cache=ClipCache(cache), jobs=1)
    report = build([folder], out, load_config(None), synthesizer=synthesizer, force=force)
    assert report.built == [SLUG], report.failed
    mp3 = (out / "episodes" / f"{SLUG}.mp3").read_bytes()
    return mp3, report.clips_synthesized, report.clips_cached


def test_an_episode_from_cached_clips_is_the_one_from_fresh_clips(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "wharf.txt").write_text(WHARF, encoding="utf-8")
    cold, voiced, cached = _build(folder, tmp_path / "cold", tmp_path / "cache")
    assert voiced >= 4 and cached == 0  # every clip fresh: none came from the cache

    entries = sorted((tmp_path / "cache" / CLIPS_DIR).rglob(f"*{CLIP_SUFFIX}"))
    assert len(entries) == voiced
    clips = [decode_entry(p.read_bytes()) for p in entries]
    seconds = sum(len(c.samples) / c.sample_rate for c in clips)
    size = sum(p.stat().st_size for p in entries)
    assert size / seconds < 30_000, f"{size / seconds / 1000:.1f} KB per second of audio"
    for clip in clips:  # 16-bit samples, as the episode used them
        steps = clip.samples.astype(np.float64) * PCM16_SCALE
        assert np.array_equal(steps, np.round(steps))

    # The clips alone (no MP3 chunks, no loudness data): the episode is assembled, leveled
    # and encoded again from cached clips only.
    clips_only = tmp_path / "clips-only"
    shutil.copytree(tmp_path / "cache" / CLIPS_DIR, clips_only / CLIPS_DIR)
    warm, voiced_again, cached_again = _build(folder, tmp_path / "warm", clips_only)
    assert (voiced_again, cached_again) == (0, voiced)
    assert warm == cold
