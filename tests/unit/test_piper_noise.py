"""The noise rewrite on a tiny hand-made graph, and the seeded noise itself (fast)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper

from narrator.voice.backends.piper_noise import (
    NOISE_INPUT,
    NOISE_SHAPE_OUTPUT,
    draw_noise,
    noise_as_inputs,
    noise_inputs,
    sentence_seed,
)


def _tiny(mean: float = 0.0, scale: float = 1.0) -> onnx.ModelProto:
    """``y = x + RandomNormalLike(x)`` and ``z = 2·x`` (left alone), x of shape (1, C, T)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "C", "T"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "C", "T"])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, "C", "T"])
    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    attributes = {} if (mean, scale) == (0.0, 1.0) else {"mean": mean, "scale": scale}
    nodes = [
        helper.make_node("RandomNormalLike", ["x"], ["r"], name="noise", dtype=1, **attributes),
        helper.make_node("Add", ["x", "r"], ["y"], name="add"),
        helper.make_node("Mul", ["x", "two"], ["z"], name="double"),
    ]
    graph = helper.make_graph(nodes, "tiny", [x], [y, z], [two])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _session(model: onnx.ModelProto) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
    )


X = np.arange(12, dtype=np.float32).reshape(1, 3, 4)


def test_random_nodes_become_inputs_cut_to_shape() -> None:
    model = _tiny()
    assert noise_as_inputs(model) == 1
    onnx.checker.check_model(model)
    assert not [n for n in model.graph.node if n.op_type == "RandomNormalLike"]
    session = _session(model)
    assert noise_inputs(session) == (f"{NOISE_INPUT}0",)
    names = [o.name for o in session.get_outputs()]
    assert names == ["y", "z", f"{NOISE_SHAPE_OUTPUT}0"]
    # A larger noise tensor is cut to x's shape; the shape output reports that shape.
    noise = np.random.default_rng(1).standard_normal((1, 3, 9)).astype(np.float32)
    y, z, shape = session.run(None, {"x": X, f"{NOISE_INPUT}0": noise})
    np.testing.assert_array_equal(y, X + noise[:, :, :4])
    np.testing.assert_array_equal(z, 2 * X)
    assert shape.tolist() == [1, 3, 4]
    # The same input again: the same output (nothing random is left in the graph).
    again = session.run(None, {"x": X, f"{NOISE_INPUT}0": noise})[0]
    np.testing.assert_array_equal(again, y)


def test_too_small_noise_is_padded_with_zeros_and_none_means_no_noise() -> None:
    model = _tiny()
    noise_as_inputs(model)
    session = _session(model)
    short = np.ones((1, 3, 2), dtype=np.float32)
    y, _, shape = session.run(None, {"x": X, f"{NOISE_INPUT}0": short})
    expected = X.copy()
    expected[:, :, :2] += 1
    np.testing.assert_array_equal(y, expected)
    assert shape.tolist() == [1, 3, 4]  # tells the caller it fed too little
    # Fed nothing at all (stock Piper code): the default is no noise.
    np.testing.assert_array_equal(session.run(["y"], {"x": X})[0], X)


def test_mean_and_scale_attributes_are_kept() -> None:
    model = _tiny(mean=0.5, scale=3.0)
    noise_as_inputs(model)
    noise = np.full((1, 3, 4), 2.0, dtype=np.float32)
    y = _session(model).run(["y"], {"x": X, f"{NOISE_INPUT}0": noise})[0]
    np.testing.assert_array_equal(y, X + 0.5 + 3.0 * 2.0)


def test_a_graph_without_random_nodes_is_left_as_it_is() -> None:
    model = _tiny()
    model.graph.node[0].op_type = "Identity"
    del model.graph.node[0].attribute[:]
    before = model.SerializeToString()
    assert noise_as_inputs(model) == 0
    assert model.SerializeToString() == before


def test_noise_depends_on_seed_stream_and_position_only() -> None:
    seed = sentence_seed("voice", [1, 0, 14, 0, 2])
    short = draw_noise(seed, 1, (1, 192, 10))
    long = draw_noise(seed, 1, (1, 192, 300))
    assert short.dtype == np.float32 and short.shape == (1, 192, 10)
    np.testing.assert_array_equal(long[:, :, :10], short)
    assert 0.9 < float(long.std()) < 1.1 and abs(float(long.mean())) < 0.05
    assert not np.array_equal(draw_noise(seed, 0, (1, 192, 10)), short)
    assert not np.array_equal(draw_noise(seed + 1, 1, (1, 192, 10)), short)


def test_the_seed_is_the_voice_and_the_phonemes() -> None:
    seed = sentence_seed("model=a;noise_scale=0.2", [1, 0, 14, 0, 2])
    assert seed == sentence_seed("model=a;noise_scale=0.2", (1, 0, 14, 0, 2))
    assert seed != sentence_seed("model=b;noise_scale=0.2", [1, 0, 14, 0, 2])
    assert seed != sentence_seed("model=a;noise_scale=0.3", [1, 0, 14, 0, 2])
    assert seed != sentence_seed("model=a;noise_scale=0.2", [1, 0, 15, 0, 2])


@pytest.mark.parametrize(
    ("toml", "error"),
    [
        ("[voice]\nnoise_scale = 0.4\nnoise_w = 0.5\n", ""),
        ("[voice]\nnoise_scale = -0.1\n", "'voice.noise_scale' must be between 0 and 2"),
        ("[voice]\nnoise_w = 3\n", "'voice.noise_w' must be between 0 and 2"),
        ("[voice]\nnoise_w = 'low'\n", "'voice.noise_w' must be a number"),
    ],
)
def test_noise_settings_in_narrator_toml(tmp_path: Path, toml: str, error: str) -> None:
    from narrator.config import load_config
    from narrator.errors import NarratorError

    path = tmp_path / "narrator.toml"
    path.write_text(toml, encoding="utf-8")
    if error:
        with pytest.raises(NarratorError, match=error):
            load_config(path)
        return
    config = load_config(path)
    assert (config.narration.noise_scale, config.narration.noise_w) == (0.4, 0.5)
    assert (config.quote.noise_scale, config.quote.noise_w) == (0.4, 0.5)  # the quote voice follows


def test_noise_settings_are_in_the_cache_key() -> None:
    from dataclasses import replace

    from narrator.models import Voice

    voice = Voice(backend="piper", name="")
    assert voice.settings()["noise_scale"] == voice.noise_scale
    assert replace(voice, noise_scale=0.5).settings() != voice.settings()
    assert replace(voice, noise_w=0.5).settings() != voice.settings()
