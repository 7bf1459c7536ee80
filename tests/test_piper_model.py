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
from click.testing import CliRunner
from onnx import TensorProto, helper, numpy_helper

from narrator.cli import cli
from narrator.voice.backends import ThreadBudget
from narrator.voice.backends.piper import default_model_path, load_voice
from narrator.voice.backends.piper_model import (
    MODEL_DIR_ENV,
    PREPARE_ENV,
    conv1d_to_conv2d,
    optimized_model,
    prepared_model,
)

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
    assert prepared.name.endswith("-conv2d-v1.onnx")
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


def test_help_does_not_import_onnx() -> None:
    code = (
        "import sys\n"
        "from narrator.cli import main\n"
        "sys.argv = ['narrator', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('onnx' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "Usage" in done.stdout
    assert done.stderr.strip() == "False"


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


@pytest.mark.parametrize("value", ["0", "false", "OFF"])
def test_switched_off_gives_the_original(
    original: Path, private_dir: Path, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PREPARE_ENV, value)
    assert prepared_model(original) == original
    assert not private_dir.exists()


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


def test_conversion_failure_returns_the_original_with_one_warning(
    tmp_path: Path, private_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bogus = tmp_path / "voice.onnx"
    bogus.write_bytes(b"this is not an ONNX model\n" * 100)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert prepared_model(bogus) == bogus
        assert prepared_model(bogus) == bogus
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert str(bogus) in warnings[0]
    assert "DecodeError" in warnings[0] or "Error" in warnings[0]
    # Nothing half-written is left behind.
    assert sorted(p.name for p in private_dir.iterdir()) == [".lock", "hashes.json"]


def _edge_case_model(opset: int) -> tuple[onnx.ModelProto, dict[str, np.ndarray], int]:
    """A small graph of 1-D convolutions in every form the rewrite must handle or skip.

    Returns the model, its feeds and how many nodes the rewrite should change.
    """
    rng = np.random.default_rng(7)

    def weight(name: str, *shape: int) -> onnx.TensorProto:
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    initializers = [
        weight("w", 6, 4, 3),
        weight("b", 6),
        weight("w_even", 4, 4, 4),
        weight("w_group", 6, 2, 5),
        weight("w_t", 4, 3, 5),
        weight("w_shared", 4, 4, 1),
    ]
    nodes = [
        # no pads attribute at all, strides and dilations, a bias
        helper.make_node("Conv", ["x", "w", "b"], ["y1"], strides=[2], dilations=[2]),
        # auto_pad with an even kernel (asymmetric padding)
        helper.make_node("Conv", ["x", "w_even"], ["y2"], auto_pad="SAME_UPPER"),
        # grouped, explicit asymmetric pads
        helper.make_node("Conv", ["x", "w_group"], ["y3"], group=2, pads=[1, 3]),
        # transposed, stride, pads, output_padding
        helper.make_node(
            "ConvTranspose",
            ["x", "w_t"],
            ["y4"],
            strides=[3],
            pads=[1, 2],
            output_padding=[1],
            kernel_shape=[5],
        ),
        # one weight read by two convolutions and by another operator
        helper.make_node("Conv", ["x", "w_shared"], ["y5"]),
        helper.make_node("Conv", ["y5", "w_shared"], ["y6"]),
        helper.make_node("Identity", ["w_shared"], ["w_shared_out"]),
        # left alone: the weight is a graph input, or comes from a node
        helper.make_node("Conv", ["x", "w_input"], ["y7"], pads=[1, 1]),
        helper.make_node("Identity", ["w"], ["w_copy"]),
        helper.make_node("Conv", ["x", "w_copy"], ["y8"]),
    ]
    outputs = ["y1", "y2", "y3", "y4", "y6", "y7", "y8", "w_shared_out"]
    graph = helper.make_graph(
        nodes,
        "edge_cases",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, None]),
            helper.make_tensor_value_info("w_input", TensorProto.FLOAT, [3, 4, 3]),
        ],
        [
            helper.make_tensor_value_info(
                name, TensorProto.FLOAT, [4, 4, 1] if name == "w_shared_out" else [1, None, None]
            )
            for name in outputs
        ],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    feeds = {
        "x": rng.standard_normal((1, 4, 23)).astype(np.float32),
        "w_input": rng.standard_normal((3, 4, 3)).astype(np.float32),
    }
    return model, feeds, 6


@pytest.mark.parametrize("opset", [11, 17])
def test_rewrite_keeps_every_edge_case_exact(opset: int) -> None:
    import onnxruntime

    model, feeds, expected = _edge_case_model(opset)
    before = model.SerializeToString()
    assert conv1d_to_conv2d(model) == expected
    onnx.checker.check_model(model, full_check=True)
    names = [tensor.name for tensor in model.graph.initializer]
    assert len(names) == len(set(names))
    assert "w_shared" in names  # still read by Identity
    assert "w" in names  # still read by the Identity feeding a left-alone Conv
    assert not {"w_even", "w_group", "w_t"} & set(names)
    ops = [node.op_type for node in model.graph.node]
    assert ops.count("Unsqueeze") == ops.count("Squeeze") == expected

    def run(data: bytes) -> list[np.ndarray]:
        session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
        return list(session.run(None, feeds))

    for want, got in zip(run(before), run(model.SerializeToString()), strict=True):
        assert want.shape == got.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_rewrite_of_a_model_without_1d_convolutions_changes_nothing() -> None:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "plain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    before = model.SerializeToString()
    assert conv1d_to_conv2d(model) == 0
    assert model.SerializeToString() == before


def test_cache_info_shows_prepared_models_and_clear_keeps_them(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    for name in ("0123456789abcdef-conv2d-v1.onnx", "fedcba9876543210-conv2d-v1.onnx"):
        (models / name).write_bytes(b"\0" * 500_000)
    (models / ".lock").touch()
    env = {MODEL_DIR_ENV: str(models), "NARRATOR_CACHE_DIR": str(tmp_path / "cache")}
    runner = CliRunner()
    info = runner.invoke(cli, ["cache", "info"], env=env)
    assert info.exit_code == 0, info.output
    lines = info.output.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'cache'}: 0 clips")
    assert lines[1].startswith(f"{models}: 2 prepared voice models, 1.0 MB")
    cleared = runner.invoke(cli, ["cache", "clear"], env=env)
    assert cleared.exit_code == 0, cleared.output
    assert len(list(models.glob("*.onnx"))) == 2
    help_text = runner.invoke(cli, ["cache", "clear", "--help"]).output
    assert "prepared voice models are kept" in help_text.lower()


# The ORT-optimized copy: onnxruntime's own optimization of the prepared model, saved
# the first time on this machine (``*-ort-<machine key>.onnx``) and loaded from then on.


def _onnx_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.onnx")) if folder.is_dir() else []


def _optimized_path(original: Path) -> Path:
    import onnxruntime

    optimized = optimized_model(prepared_model(original), onnxruntime.__version__)
    assert optimized is not None
    return optimized


def test_first_load_writes_the_prepared_and_the_optimized_model(
    original: Path, private_dir: Path, one_thread: None
) -> None:
    assert _onnx_files(private_dir) == []
    voice = load_voice(original)
    assert _is_prepared(voice)
    prepared, optimized = prepared_model(original), _optimized_path(original)
    assert prepared.name.endswith("-conv2d-v1.onnx")
    assert optimized.name.startswith(prepared.stem + "-ort-")
    assert _onnx_files(private_dir) == sorted([prepared.name, optimized.name])
    assert not list(private_dir.glob(".*.tmp"))  # the save went to its final name
    # What onnxruntime saved is a whole model it can run as it is.
    assert optimized.stat().st_size > 0.9 * prepared.stat().st_size
    again = load_voice(original)
    assert _is_prepared(again)
    assert len(_speak(again)) > 22050


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
    assert done.stdout.startswith("conv2d-v1")
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


def test_a_damaged_optimized_model_is_deleted_and_made_again(
    original: Path, private_dir: Path, one_thread: None, caplog: pytest.LogCaptureFixture
) -> None:
    load_voice(original)
    optimized = _optimized_path(original)
    good_size = optimized.stat().st_size
    damaged = optimized.read_bytes()[: good_size // 3]
    optimized.write_bytes(damaged)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        voice = load_voice(original)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "damaged" in warnings[0] and str(optimized) in warnings[0]
    assert _is_prepared(voice)  # the prepared model was used instead
    assert len(_speak(voice)) > 22050
    # The damaged file went; this load saved a whole new one in its place.
    assert optimized.is_file() and optimized.stat().st_size > len(damaged)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert _is_prepared(load_voice(original))
    assert not caplog.records


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
