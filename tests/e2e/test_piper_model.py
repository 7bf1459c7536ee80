"""The prepared Piper model: 1-D convolutions made 2-D, same audio, made once, never fatal.

Real components only: the shipped voice, onnx and onnxruntime. Tests that need a
private models folder point ``NARRATOR_MODEL_DIR`` at ``tmp_path``; the others use the
session's folder (``conftest._private_model_dir``), so the shipped voice is converted
once per session.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

from narrator.voice.backends import ThreadBudget
from narrator.voice.backends.piper import default_model_path, load_voice
from narrator.voice.backends.piper_model import (
    MODEL_DIR_ENV,
    OPTIMIZED_FORMAT,
    PREPARE_ENV,
    ensure_optimized,
    optimized_model,
    prepared_model,
    weights_file,
)
from narrator.voice.backends.piper_split import split_files

SENTENCE = "The council said on Tuesday that it would respond jointly to the proposal."
LOGGER = "narrator.voice.backends"


@pytest.fixture
def original() -> Path:
    return default_model_path()


@pytest.fixture
def one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARRATOR_THREADS", "1")


@pytest.fixture
def private_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv(MODEL_DIR_ENV, str(folder))
    return folder


def _conv_weight_ranks(model: onnx.ModelProto) -> list[int]:
    weights = {tensor.name: tensor for tensor in model.graph.initializer}
    return [
        len(weights[node.input[1]].dims)
        for node in model.graph.node
        if node.op_type in ("Conv", "ConvTranspose")
    ]


def _is_prepared(voice: Any) -> bool:
    return "narrator.prepared" in voice.session.get_modelmeta().custom_metadata_map


def _speak(voice: Any) -> np.ndarray:
    from piper import SynthesisConfig

    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    return np.concatenate([chunk.audio_float_array for chunk in voice.synthesize(SENTENCE, config)])


def test_prepared_model_has_only_2d_convolutions(original: Path) -> None:
    prepared = prepared_model(original)
    assert prepared != original
    assert prepared.parent == Path(os.environ[MODEL_DIR_ENV])
    assert prepared.name.endswith("-conv2d-v2.onnx")
    before, after = onnx.load(str(original)), onnx.load(str(prepared))
    assert set(_conv_weight_ranks(before)) == {3}
    assert _conv_weight_ranks(after) == [4] * len(_conv_weight_ranks(before))
    onnx.checker.check_model(after)


def test_prepared_model_sounds_the_same(
    original: Path, one_thread: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared_voice = load_voice(original)
    monkeypatch.setenv(PREPARE_ENV, "0")
    original_voice = load_voice(original)
    assert _is_prepared(prepared_voice)
    assert not _is_prepared(original_voice)
    assert prepared_voice.config == original_voice.config
    a, b = _speak(prepared_voice), _speak(original_voice)
    assert len(a) == len(b) > 22050
    assert np.abs(b).max() > 0.1
    assert np.abs(a - b).max() < 1e-3


def test_second_call_reuses_the_prepared_file(original: Path) -> None:
    prepared = prepared_model(original)
    before = prepared.stat()
    assert prepared_model(original) == prepared
    # A fresh process finds it too, without converting or even importing onnx.
    code = (
        "import sys\n"
        "from narrator.voice.backends.piper import default_model_path\n"
        "from narrator.voice.backends.piper_model import prepared_model\n"
        "print(prepared_model(default_model_path()))\n"
        "print('onnx' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == [str(prepared), "False"]
    after = prepared.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_processes_starting_together_convert_once(original: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    code = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stderr)\n"
        "from narrator.voice.backends.piper import default_model_path\n"
        "from narrator.voice.backends.piper_model import prepared_model\n"
        "print(prepared_model(default_model_path()))\n"
    )
    env = {**os.environ, MODEL_DIR_ENV: str(folder)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], results
    outputs = {out.strip() for out, _ in results}
    assert len(outputs) == 1
    (prepared,) = outputs
    assert Path(prepared).parent == folder
    logs = "".join(err for _, err in results)
    assert logs.count("preparing Piper voice") == 1, logs
    made = sorted(p.name for p in folder.iterdir() if p.name != "hashes.json")
    assert made == [".lock", Path(prepared).name]


def test_damaged_prepared_file_falls_back_then_is_made_again(
    original: Path,
    private_dir: Path,
    one_thread: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    prepared = prepared_model(original)
    good = prepared.read_bytes()
    prepared.write_bytes(good[: len(good) // 3])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        voice = load_voice(original)
    assert not _is_prepared(voice)
    assert len(_speak(voice)) > 22050
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "damaged" in warnings[0]
    assert str(prepared) in warnings[0]
    assert not prepared.exists()

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert prepared_model(original) == prepared
        voice = load_voice(original)
    assert prepared.read_bytes() == good
    assert _is_prepared(voice)
    assert not caplog.records


# The ORT-optimized copies: onnxruntime's own optimization of each half of the split
# prepared model (piper_split), saved the first time on this machine
# (``*-ort-<machine key>-w1.onnx`` and its weights) and loaded from then on.


def _onnx_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.onnx")) if folder.is_dir() else []


def _optimized_path(original: Path, half: str = "encoder") -> Path:
    """The optimized copy of a half of the split model (the encoder: what a load reports)."""
    import onnxruntime

    halves = split_files(prepared_model(original))
    optimized = optimized_model(getattr(halves, half), onnxruntime.__version__)
    assert optimized is not None
    return optimized


def test_first_load_writes_the_prepared_and_the_optimized_model(
    original: Path, private_dir: Path, one_thread: None
) -> None:
    assert _onnx_files(private_dir) == []
    voice = load_voice(original)
    assert _is_prepared(voice)
    prepared, halves = prepared_model(original), split_files(prepared_model(original))
    optimized = [_optimized_path(original, "encoder"), _optimized_path(original, "decoder")]
    assert prepared.name.endswith("-conv2d-v2.onnx")
    assert halves.encoder.name.startswith(prepared.stem + "-split")
    assert optimized[0].name.startswith(halves.encoder.stem + "-ort-")
    expected = [prepared, halves.encoder, halves.decoder, *optimized]
    assert _onnx_files(private_dir) == sorted(path.name for path in expected)
    assert not list(private_dir.glob(".*.tmp"))  # the saves went to their final names
    # What onnxruntime saved are whole models it can run as they are, their weights in
    # files of their own beside them: together, the prepared model's.
    weights = sum(weights_file(path).stat().st_size for path in optimized)
    assert weights > 0.9 * prepared.stat().st_size
    assert all(path.stat().st_size < 0.1 * prepared.stat().st_size for path in optimized)
    again = load_voice(original)
    assert _is_prepared(again)
    assert len(_speak(again)) > 22050


def _mapped_files() -> set[str]:
    with open("/proc/self/maps", encoding="utf-8") as fh:
        return {line.split(maxsplit=5)[5].strip() for line in fh if len(line.split()) == 6}


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="needs /proc (Linux)")
def test_the_weights_are_mapped_from_their_file_not_copied(
    original: Path, private_dir: Path, one_thread: None
) -> None:
    """Mapped, every process that loads the voice shares one copy of its weights (the page
    cache's) instead of holding its own 60 MB: what keeps two synthesis workers small."""
    load_voice(original)  # made here; what follows is what every later load does
    weights = weights_file(_optimized_path(original))
    voice = load_voice(original)
    assert len(_speak(voice)) > 22050
    assert str(weights) in _mapped_files()


def test_a_stale_weights_file_is_replaced_not_rewritten(
    original: Path, private_dir: Path, one_thread: None
) -> None:
    """A save killed half-way leaves a weights file and no model naming it. The next save
    writes a new file rather than into that one, which another process may have mapped
    (shrinking a mapped file kills the process that maps it)."""
    optimized = _optimized_path(original)
    weights = weights_file(optimized)
    weights.write_bytes(b"half a weights file")
    stale = weights.stat().st_ino
    with weights.open("rb"):  # held open, like a mapping: its inode stays in use
        voice = load_voice(original)
        assert optimized.is_file() and weights.stat().st_ino != stale
    assert _is_prepared(voice)
    assert len(_speak(voice)) > 22050


def test_an_older_optimized_copy_is_removed_when_the_new_one_is_saved(
    original: Path, private_dir: Path, one_thread: None
) -> None:
    optimized = _optimized_path(original)
    prepared = prepared_model(original)
    old = optimized.with_name(optimized.name.replace(f"-{OPTIMIZED_FORMAT}.onnx", ".onnx"))
    assert old != optimized
    assert old.name.startswith(split_files(prepared).encoder.stem + "-ort-")
    old.write_bytes(b"an optimized copy with its weights inline")
    assert _is_prepared(load_voice(original))
    assert optimized.is_file() and not old.exists()
    assert prepared.is_file()


def test_a_save_that_fails_leaves_nothing_behind(original: Path, private_dir: Path) -> None:
    prepared = prepared_model(original)
    optimized = _optimized_path(original)

    def optimize(tmp: Path, weights: str) -> None:
        (tmp.parent / weights).write_bytes(b"part of the weights")
        tmp.write_bytes(b"part of a model")
        raise OSError(28, "No space left on device")

    assert ensure_optimized(optimized, optimize) is False
    assert sorted(p.name for p in private_dir.glob("*.onnx*")) == [prepared.name]
    assert not list(private_dir.glob(".*.tmp"))


def test_a_fresh_process_loads_the_optimized_model(
    original: Path, private_dir: Path, one_thread: None
) -> None:
    load_voice(original)
    optimized = _optimized_path(original)
    before = optimized.stat()
    code = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)\n"
        "from narrator.voice.backends.piper import default_model_path, load_voice\n"
        "voice = load_voice(default_model_path())\n"
        "print(voice.session.get_modelmeta().custom_metadata_map['narrator.prepared'])\n"
    )
    env = {**os.environ, MODEL_DIR_ENV: str(private_dir)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("conv2d-v2")
    loaded = [line for line in done.stderr.splitlines() if "loaded Piper voice" in line]
    assert len(loaded) == 1, done.stderr
    assert loaded[0].split(" from ")[1].startswith(f"{optimized} "), loaded[0]
    assert "preparing" not in done.stderr and "WARNING" not in done.stderr
    after = optimized.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_the_optimized_model_stands_in_for_the_prepared_one(
    original: Path, private_dir: Path, one_thread: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Once the optimized copy exists, the prepared file is not read again: a damaged one
    goes unnoticed, and the voice still loads and speaks."""
    load_voice(original)
    prepared = prepared_model(original)
    prepared.write_bytes(prepared.read_bytes()[:1000])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        voice = load_voice(original)
    assert not caplog.records
    assert _is_prepared(voice)
    assert len(_speak(voice)) > 22050


@pytest.mark.parametrize("part", ["model", "weights"])
def test_a_damaged_optimized_model_is_deleted_and_made_again(
    part: str,
    original: Path,
    private_dir: Path,
    one_thread: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    load_voice(original)
    optimized = _optimized_path(original)
    damaged = optimized if part == "model" else weights_file(optimized)
    good_size = damaged.stat().st_size
    damaged.write_bytes(damaged.read_bytes()[: good_size // 3])
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        voice = load_voice(original)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "damaged" in warnings[0] and str(optimized) in warnings[0]
    assert _is_prepared(voice)  # the prepared model was used instead
    assert len(_speak(voice)) > 22050
    # The damaged copy went, weights and all; the next load optimizes again, silently.
    assert not optimized.exists() and not weights_file(optimized).exists()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert _is_prepared(load_voice(original))
    assert not caplog.records
    assert optimized.is_file()
    encoder = split_files(prepared_model(original)).encoder
    assert weights_file(optimized).stat().st_size > 0.9 * encoder.stat().st_size


def test_switched_off_the_voice_loads_without_writing_a_model(
    original: Path, private_dir: Path, one_thread: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PREPARE_ENV, "0")
    voice = load_voice(original)
    assert not _is_prepared(voice)
    assert len(_speak(voice)) > 22050
    assert _onnx_files(private_dir) == []


def test_the_session_uses_the_thread_budget(original: Path) -> None:
    shared = load_voice(original, ThreadBudget(2, spin=False)).session.get_session_options()
    assert shared.intra_op_num_threads == 2
    assert shared.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    alone = load_voice(original, ThreadBudget(1)).session.get_session_options()
    assert alone.intra_op_num_threads == 1
