"""The cache's size: 16-bit entries, the size limit, least-recently-used eviction, old entries.

No synthesis here: clips are made of numbers (see tests/e2e/test_cache_build.py for real ones).
"""

from __future__ import annotations

import json
import logging
import os
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from narrator.audio.transform import PCM16_SCALE, quantize
from narrator.build.store import (
    CHUNKS_DIR,
    CLIPS_DIR,
    HOPS_DIR,
    TOUCH_AFTER_S,
    USAGE_FILE,
    ClipCache,
    CorruptEntry,
    SizeLimit,
    decode_entry,
    encode_entry,
    format_size,
    parse_size,
)
from narrator.cli import cli
from narrator.config import load_config
from narrator.errors import NarratorError
from narrator.models import Clip

RATE = 22050


def _clip(seconds: float = 0.5, seed: int = 0) -> Clip:
    """Speech-like numbers: a wobbling tone in noise, already 16-bit as voiced clips are."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    tone = 0.3 * np.sin(2 * np.pi * (180 + 40 * np.sin(3 * t)) * t) + 0.001 * rng.normal(
        size=t.size
    )
    return quantize(Clip(tone.astype(np.float32), RATE))


def _key(n: int) -> str:
    return f"{n:064x}"


def _age(path: Path, seconds_ago: float) -> None:
    when = time.time() - seconds_ago
    os.utime(path, (when, when))


# --- 16-bit clips --------------------------------------------------------------------


def test_quantize_makes_exact_multiples_of_one_step_and_is_idempotent() -> None:
    samples = np.array([0.1, -0.5, 1.5, -1.5, -1e-7, 0.0, 0.99999], dtype=np.float32)
    once = quantize(Clip(samples, RATE))
    steps = once.samples.astype(np.float64) * PCM16_SCALE
    assert np.array_equal(steps, np.round(steps))
    assert steps.min() >= -PCM16_SCALE and steps.max() <= PCM16_SCALE - 1
    assert np.abs(once.samples - np.clip(samples, -1, 1)).max() <= 1 / PCM16_SCALE
    assert not np.signbit(once.samples[4])  # -1e-7 rounds to +0.0: same bytes as from the cache
    assert quantize(once).samples.tobytes() == once.samples.tobytes()


def test_an_entry_gives_back_exactly_the_clip(tmp_path: Path) -> None:
    clip = _clip()
    back = decode_entry(encode_entry(clip))
    assert back.sample_rate == RATE
    assert back.samples.dtype == np.float32
    assert back.samples.tobytes() == clip.samples.tobytes()


def test_an_empty_clip_is_an_entry_too() -> None:
    back = decode_entry(encode_entry(Clip(np.zeros(0, dtype=np.float32), 24000)))
    assert (len(back.samples), back.sample_rate) == (0, 24000)


def test_entries_are_compact(tmp_path: Path) -> None:
    clip = _clip(seconds=2.0)
    assert len(encode_entry(clip)) < 30_000 * 2.0  # under 30 KB per second of audio
    assert len(encode_entry(clip)) < len(clip.samples) * 2  # under raw 16-bit


def test_a_clip_that_is_not_16_bit_is_not_cached(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fine = np.linspace(-0.5, 0.5, 4000, dtype=np.float32)  # finer than 16 bits
    with pytest.raises(ValueError, match="not 16-bit"):
        encode_entry(Clip(fine, RATE))
    cache = ClipCache(tmp_path)
    with caplog.at_level(logging.WARNING, logger="narrator.build.store"):
        cache.put(_key(1), Clip(fine, RATE))
    assert "not 16-bit" in caplog.text
    assert cache.get(_key(1)) is None


def test_damage_inside_the_audio_is_caught(tmp_path: Path) -> None:
    raw = bytearray(encode_entry(_clip()))
    raw[len(raw) // 2] ^= 0x10
    with pytest.raises(CorruptEntry):
        decode_entry(bytes(raw))


def test_a_damaged_entry_warns_is_removed_and_is_a_miss(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = ClipCache(tmp_path)
    cache.put(_key(2), _clip())
    (entry,) = (tmp_path / CLIPS_DIR).rglob("*.flac")
    raw = bytearray(entry.read_bytes())
    raw[-100] ^= 0xFF
    entry.write_bytes(bytes(raw))
    with caplog.at_level(logging.WARNING, logger="narrator.build.store"):
        assert cache.get(_key(2)) is None
    assert "corrupt" in caplog.text
    assert not entry.exists()


# --- old entries ---------------------------------------------------------------------


def _old_float_wav(samples: np.ndarray) -> bytes:
    """An entry as narrator wrote them before clips were 16-bit (clips-v1)."""
    data = samples.astype("<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, RATE, RATE * 4, 4, 32)
    chunks = (
        b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"nrtr" + struct.pack("<II", 4, zlib.crc32(data))
        + b"data" + struct.pack("<I", len(data)) + data
    )  # fmt: skip
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def _old_cache(root: Path, key: str) -> Path:
    old = root / "clips-v1" / key[:2] / f"{key[2:]}.wav"
    old.parent.mkdir(parents=True)
    old.write_bytes(_old_float_wav(np.linspace(-0.5, 0.5, 4000, dtype=np.float32)))
    return old


def test_old_float_entries_are_never_read(tmp_path: Path) -> None:
    key = _key(3)
    _old_cache(tmp_path, key)
    cache = ClipCache(tmp_path)
    assert not cache.has(key)
    assert cache.get(key) is None
    info = cache.info()
    assert (info.entries, info.bytes) == (0, 0)
    assert info.old_bytes > 16000  # shown by `cache info`, removed by prune and clear


def test_prune_and_clear_remove_old_folders(tmp_path: Path) -> None:
    old_size = _old_cache(tmp_path, _key(4)).stat().st_size
    (tmp_path / "mp3-v0").mkdir()
    cache = ClipCache(tmp_path)
    cache.put(_key(5), _clip())
    assert cache.prune(None).old_bytes == old_size
    assert not (tmp_path / "clips-v1").exists() and not (tmp_path / "mp3-v0").exists()
    assert ClipCache(tmp_path).get(_key(5)) is not None  # current entries stay
    _old_cache(tmp_path, _key(4))
    cache.clear()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_build_under_its_limit_leaves_old_folders_over_it_removes_them(tmp_path: Path) -> None:
    _old_cache(tmp_path, _key(6))
    cache = ClipCache(tmp_path)
    cache.put(_key(7), _clip())
    assert cache.prune(10**9, old=False).old_bytes == 0
    assert (tmp_path / "clips-v1").exists()
    size = cache.info().bytes
    assert cache.prune(size + 100, old=False).old_bytes > 0  # old + current > limit
    assert not (tmp_path / "clips-v1").exists()
    assert cache.get(_key(7)) is not None  # the old folder alone made room


# --- size limits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("5 GB", 5 * 10**9),
        ("500MB", 500 * 10**6),
        ("1.5 GiB", 3 * 2**29),
        ("750 kb", 750_000),
        ("2T", 2 * 10**12),
        ("123", 123),
        (4096, 4096),
        (2.5e9, 2_500_000_000),
    ],
)
def test_sizes_are_read_with_their_units(text: str | int, size: int) -> None:
    assert parse_size(text) == SizeLimit(size, None)


def test_shares_of_the_disk_and_unlimited() -> None:
    assert parse_size("25%") == SizeLimit(None, 0.25)
    assert parse_size("Unlimited") == SizeLimit(None, None)
    assert SizeLimit(None, None).resolve(Path("/")) is None
    assert SizeLimit(123, None).resolve(Path("/nowhere/at/all")) == 123


def test_the_default_is_a_tenth_of_the_disk_holding_the_cache(tmp_path: Path) -> None:
    import shutil

    limit = load_config(None).cache.max_size
    assert str(limit) == "10% of the disk"
    total = shutil.disk_usage(tmp_path).total
    assert limit.resolve(tmp_path / "not" / "made" / "yet") == int(total * 0.1)


@pytest.mark.parametrize("text", ["5 parsecs", "GB", "", "-1 GB", "0", 0, "0%", "150%", True, [1]])
def test_bad_sizes_are_refused(text: object) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def test_sizes_are_shown_for_people() -> None:
    assert format_size(5 * 10**9) == "5.0 GB"
    assert format_size(1_234_567) == "1.2 MB"
    assert format_size(999) == "999 B"
    assert str(SizeLimit(500 * 10**6, None)) == "500.0 MB"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"5 parsecs"', "'cache.max_size' is not a size: '5 parsecs'"),
        ("0", "'cache.max_size' must be at least 1 byte"),
        ("true", "'cache.max_size' must be a size such as \"5 GB\", not boolean true"),
    ],
)
def test_a_bad_max_size_is_one_error_naming_the_key_and_file(
    tmp_path: Path, value: str, expected: str
) -> None:
    path = tmp_path / "narrator.toml"
    path.write_text(f"[cache]\nmax_size = {value}\n", encoding="utf-8")
    with pytest.raises(NarratorError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message and expected in message
    assert "\n" not in message


def test_max_size_is_read_from_the_configuration(tmp_path: Path) -> None:
    path = tmp_path / "narrator.toml"
    path.write_text('[cache]\nmax_size = "5 GB"\n', encoding="utf-8")
    assert load_config(path).cache.max_size == SizeLimit(5 * 10**9, None)


# --- least recently used -------------------------------------------------------------


def _filled(root: Path) -> tuple[ClipCache, dict[str, Path]]:
    """A cache with clips, a chunk and loudness data, from oldest (a) to newest (e)."""
    writer = ClipCache(root)
    writer.put(_key(10), _clip(seed=1))
    writer.put_chunk(_key(11), os.urandom(3000))
    writer.put(_key(12), _clip(seed=2))
    writer.put_hops(_key(13), os.urandom(800))
    writer.put(_key(14), _clip(seed=3))
    paths = {
        "a": root / CLIPS_DIR / _key(10)[:2] / f"{_key(10)[2:]}.flac",
        "b": root / CHUNKS_DIR / _key(11)[:2] / f"{_key(11)[2:]}.mp3",
        "c": root / CLIPS_DIR / _key(12)[:2] / f"{_key(12)[2:]}.flac",
        "d": root / HOPS_DIR / _key(13)[:2] / f"{_key(13)[2:]}.f64",
        "e": root / CLIPS_DIR / _key(14)[:2] / f"{_key(14)[2:]}.flac",
    }
    for age, name in enumerate("edcba"):
        _age(paths[name], 86400 * (age + 1))
    return ClipCache(root), paths  # a fresh object: nothing used by "this build" yet


def _left(paths: dict[str, Path]) -> str:
    return "".join(name for name, path in paths.items() if path.exists())


def test_prune_evicts_the_least_recently_used_across_kinds(tmp_path: Path) -> None:
    cache, paths = _filled(tmp_path)
    sizes = {name: path.stat().st_size for name, path in paths.items()}
    limit = sizes["c"] + sizes["d"] + sizes["e"]
    removed = cache.prune(limit)
    assert _left(paths) == "cde"  # the clip a and the chunk b were the oldest
    assert (removed.entries, removed.chunks) == (1, 1)
    assert removed.bytes + removed.chunk_bytes == sizes["a"] + sizes["b"]
    assert cache.info().total == limit
    cache.prune(limit)  # nothing more to do
    assert _left(paths) == "cde"


def test_unlimited_evicts_nothing(tmp_path: Path) -> None:
    cache, paths = _filled(tmp_path)
    removed = cache.prune(None)
    assert _left(paths) == "abcde" and (removed.entries, removed.chunks) == (0, 0)


def test_a_read_makes_an_entry_recent(tmp_path: Path) -> None:
    cache, paths = _filled(tmp_path)
    assert cache.get(_key(10)) is not None  # the oldest clip, read
    assert cache.get_chunk(_key(11)) is not None  # and the oldest chunk
    assert time.time() - paths["a"].stat().st_mtime < 60
    ClipCache(tmp_path).prune(paths["a"].stat().st_size + paths["b"].stat().st_size)
    assert _left(paths) == "ab"


def test_a_recent_entry_is_not_touched_again_on_each_read(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    cache.put(_key(20), _clip())
    (entry,) = (tmp_path / CLIPS_DIR).rglob("*.flac")
    _age(entry, TOUCH_AFTER_S / 2)
    before = entry.stat().st_mtime
    assert cache.get(_key(20)) is not None
    assert entry.stat().st_mtime == before


def test_entries_this_build_used_are_never_evicted(tmp_path: Path) -> None:
    cache, paths = _filled(tmp_path)
    assert cache.get(_key(10)) is not None  # this build reads the oldest clip ...
    _age(paths["a"], 10 * 86400)  # ... which still looks oldest of all
    cache.put(_key(30), _clip(seed=4))  # and writes a new one
    new = tmp_path / CLIPS_DIR / _key(30)[:2] / f"{_key(30)[2:]}.flac"
    _age(new, 20 * 86400)
    cache.prune(1)  # far too small: everything else goes
    assert paths["a"].exists() and new.exists()
    assert _left(paths) == "a"


def test_an_entry_evicted_under_a_build_is_a_quiet_miss(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    build, _ = _filled(tmp_path)
    assert build.has(_key(12))  # planned as cached ...
    ClipCache(tmp_path).prune(1)  # ... another build evicts everything ...
    with caplog.at_level(logging.WARNING):
        assert build.get(_key(12)) is None  # ... a miss: the sentence is voiced again
        assert build.get_chunk(_key(11)) is None
    assert caplog.records == []


def test_prune_command_applies_the_limit_and_info_shows_use(tmp_path: Path) -> None:
    _, paths = _filled(tmp_path / "c")
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path) as here:
        Path(here, "narrator.toml").write_text('[cache]\nmax_size = "1 GB"\n', encoding="utf-8")
        info = runner.invoke(cli, ["cache", "info", "--cache-dir", str(tmp_path / "c")])
        assert info.exit_code == 0, info.output
        total = ClipCache(tmp_path / "c").info().total
        assert f"; {format_size(total)} of 1.0 GB in use, 0%" in info.output.splitlines()[0]
        kept = paths["d"].stat().st_size + paths["e"].stat().st_size
        pruned = runner.invoke(
            cli, ["cache", "prune", "--cache-dir", str(tmp_path / "c"), "--max-size", str(kept)]
        )
        assert pruned.exit_code == 0, pruned.output
        assert pruned.output.startswith("removed 2 clips")
        assert _left(paths) == "de"
        again = runner.invoke(cli, ["cache", "prune", "--cache-dir", str(tmp_path / "c")])
        assert again.exit_code == 0 and again.output.startswith("removed 0 clips"), again.output
        assert "(limit: 1.0 GB)" in again.output
        bad = runner.invoke(cli, ["cache", "prune", "--max-size", "lots"])
        assert bad.exit_code == 2 and "--max-size" in bad.output


def test_a_build_lists_the_cache_only_when_it_may_be_over_its_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, paths = _filled(tmp_path)
    total = cache.info().total
    cache.prune(None)  # lists the cache: its total is kept
    listings: list[int] = []
    real = ClipCache.prune

    def counting(self: ClipCache, limit: int | None, *, old: bool = True) -> object:
        listings.append(1)
        return real(self, limit, old=old)

    monkeypatch.setattr(ClipCache, "prune", counting)
    build = ClipCache(tmp_path)
    assert build.fit(10**9) is None  # stored nothing: nothing to do
    build.put(_key(40), _clip(seed=5))
    assert build.fit(10**9) is None and listings == []  # far under: no listing
    grown = total + build.stored
    assert json.loads((tmp_path / USAGE_FILE).read_text())["bytes"] == grown  # what fit keeps
    later = ClipCache(tmp_path)
    later.put(_key(41), _clip(seed=6))
    removed = later.fit(grown)  # the new bytes pass the limit: list and evict
    assert listings == [1] and removed is not None and removed.entries >= 1
    assert not paths["a"].exists()  # the oldest went
    assert later.info().total <= grown


def test_a_kept_total_is_trusted_for_a_day_only(tmp_path: Path) -> None:
    cache, paths = _filled(tmp_path)
    cache.prune(None)
    usage = tmp_path / USAGE_FILE
    usage.write_text('{"bytes": 1, "time": %f}' % (time.time() - 2 * 86400), encoding="utf-8")
    build = ClipCache(tmp_path)
    build.put(_key(42), _clip(seed=7))
    assert build.fit(paths["e"].stat().st_size + build.stored) is not None  # listed again
    assert _left(paths) == "e"
