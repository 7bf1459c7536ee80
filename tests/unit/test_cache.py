"""The clip cache: keys, lossless storage, corrupt entries, and the cache commands.

Size limits, eviction and old entries: tests/unit/test_cache_limit.py."""

from __future__ import annotations

import logging
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import narrator.voice.backends.piper as piper_backend
import narrator.voice.backends.piper_model as piper_model
from narrator.audio.transform import quantize
from narrator.build.store import ClipCache, clip_key, decode_entry, encode_entry
from narrator.cli import cli
from narrator.models import Clip, Voice

VOICE = Voice(backend="piper", name="")


def test_key_is_stable_for_the_same_text_and_voice() -> None:
    assert clip_key("Hello there.", VOICE) == clip_key("Hello there.", Voice("piper", ""))


@pytest.mark.parametrize(
    ("text", "voice"),
    [
        pytest.param("Hello there!", VOICE, id="text"),
        pytest.param("Hello there.", replace(VOICE, length_scale=1.1), id="tempo"),
        pytest.param("Hello there.", replace(VOICE, pitch=0.92), id="pitch"),
        pytest.param("Hello there.", replace(VOICE, language="de"), id="language"),
        pytest.param("Hello there.", replace(VOICE, backend="gtts"), id="backend"),
    ],
)
def test_key_changes_with_text_and_voice_settings(text: str, voice: Voice) -> None:
    assert clip_key(text, voice) != clip_key("Hello there.", VOICE)


def test_key_changes_with_the_model_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    before = clip_key("Hello there.", VOICE)
    monkeypatch.setattr(piper_model, "model_hash", lambda path: "another-model")
    assert clip_key("Hello there.", VOICE) != before
    monkeypatch.setattr(piper_backend, "package_version", lambda name, module="": "9.9.9")
    monkeypatch.setattr(piper_model, "model_hash", lambda path: "58afce0321b8d9c4")
    assert clip_key("Hello there.", VOICE) != before


def test_entries_are_lossless_16_bit_flac(tmp_path: Path) -> None:
    noise = np.random.default_rng(1).uniform(-1, 1, 5000).astype(np.float32)
    samples = quantize(Clip(noise, 22050)).samples  # what every voiced clip carries
    cache = ClipCache(tmp_path)
    cache.put("ab" * 32, Clip(samples, 22050))
    back = cache.get("ab" * 32)
    assert back is not None
    assert back.sample_rate == 22050
    assert np.array_equal(back.samples, samples)
    assert decode_entry(encode_entry(back)).samples.tobytes() == samples.tobytes()
    (entry,) = tmp_path.rglob("*.flac")
    assert entry.read_bytes()[:4] == b"fLaC"


def test_a_missing_entry_is_a_quiet_miss(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert ClipCache(tmp_path).get("cd" * 32) is None
    assert caplog.records == []


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda raw: raw[: len(raw) // 2], id="truncated"),
        pytest.param(lambda raw: raw[:-8] + b"\x00" * 8, id="flipped-samples"),
        pytest.param(lambda raw: b"garbage", id="garbage"),
        pytest.param(lambda raw: b"", id="empty"),
    ],
)
def test_a_corrupt_entry_warns_and_is_dropped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage
) -> None:  # type: ignore[no-untyped-def]
    cache = ClipCache(tmp_path)
    key = "ef" * 32
    cache.put(key, quantize(Clip(np.linspace(-0.5, 0.5, 4000, dtype=np.float32), 22050)))
    (entry,) = tmp_path.rglob("*.flac")
    entry.write_bytes(damage(entry.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="narrator.build.store"):
        assert cache.get(key) is None
    assert "corrupt" in caplog.text
    assert not entry.exists()


def test_cache_info_and_clear_commands(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path / "c")
    for n in range(3):
        cache.put(f"{n:02d}" * 32, Clip(np.zeros(100, dtype=np.float32), 22050))
    runner = CliRunner()
    info = runner.invoke(cli, ["cache", "info", "--cache-dir", str(tmp_path / "c")])
    assert info.exit_code == 0, info.output
    assert info.output.startswith(f"{tmp_path / 'c'}: 3 clips, ")
    cleared = runner.invoke(
        cli, ["cache", "clear"], env={"NARRATOR_CACHE_DIR": str(tmp_path / "c")}
    )
    assert cleared.exit_code == 0, cleared.output
    assert cleared.output.startswith("removed 3 clips")
    assert cache.info().entries == 0


def test_help_does_not_import_the_synthesis_engine() -> None:
    code = (
        "import sys, narrator.cli, narrator.build.pipeline\n"
        "heavy = {'onnxruntime', 'piper', 'scipy', 'lameenc', 'mutagen'} & set(sys.modules)\n"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_stale_temp_files_of_killed_builds_are_swept_and_fresh_ones_kept(tmp_path: Path) -> None:
    import os
    import time

    cache = ClipCache(tmp_path)
    clip = Clip(np.zeros(100, dtype=np.float32), 22050)
    cache.put("ab" + "0" * 62, clip)
    folder = next(cache.clips.iterdir())
    stale = folder / ".deadbeef.wav.abc.tmp"
    fresh = folder / ".cafe.wav.def.tmp"
    stale.write_bytes(b"half a clip")
    fresh.write_bytes(b"being written")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    assert cache.sweep_stale() == 1
    assert not stale.exists()
    assert fresh.exists()
    assert cache.get("ab" + "0" * 62) is not None
