"""The prepared Piper model, the parts that need no voice: the graph rewrite on small
made-up models, the switch, a failed conversion, the cache listing, a light --help.

The shipped voice's conversion and loading are in ``tests/e2e/test_piper_model.py``.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from onnx import TensorProto, helper, numpy_helper

from narrator.cli import cli
from narrator.voice.backends.piper import default_model_path
from narrator.voice.backends.piper_model import (
    MODEL_DIR_ENV,
    PREPARE_ENV,
    conv1d_to_conv2d,
    prepared_model,
)

LOGGER = "narrator.voice.backends"


@pytest.fixture
def original() -> Path:
    return default_model_path()


@pytest.fixture
def private_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv(MODEL_DIR_ENV, str(folder))
    return folder


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


@pytest.mark.parametrize("value", ["0", "false", "OFF"])
def test_switched_off_gives_the_original(
    original: Path, private_dir: Path, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PREPARE_ENV, value)
    assert prepared_model(original) == original
    assert not private_dir.exists()


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
