"""A steady Piper voice: the model's random noise made an input, fed from a seed.

Why: a Piper voice (VITS) draws Gaussian noise twice per sentence, in two
``RandomNormalLike`` nodes of its ONNX graph: the duration predictor's noise
(scaled by ``noise_w``: how long each phoneme lasts) and the prior's noise
(scaled by ``noise_scale``: the sound itself). onnxruntime seeds them once per
session and the stream runs on from call to call, so the same sentence sounds
different in another process, after another sentence, or on a cluster worker;
a rebuild from a wiped cache would publish changed MP3 bytes.

How: :func:`noise_as_inputs` (run when ``piper_model`` prepares its copy of the
model) replaces each ``RandomNormalLike(x)`` by a graph input
``narrator_noise_<k>`` cut to ``x``'s shape: ``Slice(Pad(noise, need), 0,
Shape(x))``, where ``need`` pads with zeros whatever ``x`` has beyond the fed
tensor. A second, new graph output ``narrator_noise_shape_<k>`` reports
``Shape(x)``, so :class:`SteadySynthesizer` can tell when a fed tensor was too
small (zeros padded in) and run that sentence again with the exact size. The
input also has an empty default (an initializer of the same name), so code that
feeds no noise (``PiperVoice.synthesize``) still runs the model, with no noise.

The noise for a sentence comes from numpy's PCG64 generator seeded with a
SHA-256 of the voice identity (model hash, noise settings) and the sentence's
phoneme ids, one stream per noise input, drawn along the last axis first
(element ``(…, c, t)`` is draw ``t·C + c``), so a larger fed tensor holds the
same values at the same positions: the noise depends only on the seed and the
position, never on what was voiced before or how big a tensor was guessed.

Where it fails: the samples are identical wherever the same onnxruntime build
runs the same prepared model with the same kernels. onnxruntime picks its
kernels by processor (AVX2, AVX-512, ARM NEON), and those sum in different
orders, so two machines of different CPU families can still differ in the last
bits of a sample (inaudible; the MP3 bytes then differ). numpy does not promise
that ``Generator.standard_normal`` draws the same stream in every future
version; it has not changed since numpy 1.17.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from narrator.voice.backends.onnx_names import name_maker, names_in_use

if TYPE_CHECKING:
    import onnx
    from piper import PiperVoice

log = logging.getLogger(__name__)

NOISE_INPUT = "narrator_noise_"
"""Prefix of the graph inputs that replace the ``RandomNormalLike`` nodes (``…_0``, ``…_1``)."""
NOISE_SHAPE_OUTPUT = "narrator_noise_shape_"
"""Prefix of the graph outputs that report the shape each noise input was cut to."""
NOISE_SCHEME = "seeded-v1"
"""Bump when the noise drawn for a given seed changes (the identity carries it)."""

_MARGIN = 1.25
"""A guess of a noise tensor's length is this much above the longest seen so far."""
PRIOR_PER_ID = 8.0
"""Noise frames drawn per phoneme id before any sentence showed more (drawing too many
costs little: 1,000 frames of 192 channels take about 2 ms)."""


def noise_as_inputs(model: onnx.ModelProto) -> int:
    """Replace, in place, each ``RandomNormalLike`` of the main graph by a noise input.

    ``y = RandomNormalLike(x)`` becomes ``y = mean + scale · Slice(Pad(n, need),
    zeros, Shape(x))`` with ``n`` the new graph input ``narrator_noise_<k>``
    (float, same rank as ``x``, default: an empty tensor, i.e. no noise) and
    ``need = Max(Shape(x) − Shape(n), 0)``; ``Shape(x)`` becomes the new output
    ``narrator_noise_shape_<k>``. ``k`` counts the nodes in graph order.

    Left alone (and not counted): nodes in subgraphs, nodes whose output type is
    not float32 or whose input's rank shape inference cannot tell. Returns the
    number of nodes replaced.
    """
    from onnx import TensorProto, helper, shape_inference

    graph = model.graph
    targets = [
        at
        for at, node in enumerate(graph.node)
        if node.op_type == "RandomNormalLike" and node.domain in ("", "ai.onnx")
    ]
    if not targets:
        return 0
    inferred = shape_inference.infer_shapes(model).graph
    types = {
        value.name: value.type
        for value in (*inferred.value_info, *inferred.input, *inferred.output)
    }
    taken = names_in_use(graph)
    fresh = name_maker(taken)

    zero = fresh("narrator_noise_zero")
    graph.initializer.append(helper.make_tensor(zero, TensorProto.INT64, [], [0]))
    replaced: dict[int, list[onnx.NodeProto]] = {}
    for at in targets:
        node = graph.node[at]
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        x, y = node.input[0], node.output[0]
        x_type = types.get(x)
        dtype = attributes.get("dtype", x_type.tensor_type.elem_type if x_type else None)
        if dtype != TensorProto.FLOAT or x_type is None or not x_type.tensor_type.HasField("shape"):
            log.debug("leaving %s alone: not float32 or of unknown rank", node.name or y)
            continue
        rank = len(x_type.tensor_type.shape.dim)
        k = len(replaced)
        noise, shape_out = f"{NOISE_INPUT}{k}", f"{NOISE_SHAPE_OUTPUT}{k}"
        if noise in taken or shape_out in taken:
            raise ValueError(f"the model already has a value named {noise} or {shape_out}")
        taken.update((noise, shape_out))
        dims = [f"narrator_noise_{k}_d{i}" for i in range(rank)]
        graph.input.append(helper.make_tensor_value_info(noise, TensorProto.FLOAT, dims))
        graph.initializer.append(helper.make_tensor(noise, TensorProto.FLOAT, [0] * rank, []))
        graph.output.append(helper.make_tensor_value_info(shape_out, TensorProto.INT64, [rank]))
        base = node.name or y
        have, lack, need, zeros, pads, padded = (
            fresh(f"{base}/{part}") for part in ("have", "lack", "need", "zeros", "pads", "padded")
        )
        nodes = [
            helper.make_node("Shape", [x], [shape_out], name=fresh(f"{base}/shape")),
            helper.make_node("Shape", [noise], [have], name=fresh(f"{base}/shape_fed")),
            helper.make_node("Sub", [shape_out, have], [lack], name=fresh(f"{base}/sub")),
            helper.make_node("Max", [lack, zero], [need], name=fresh(f"{base}/max")),
            helper.make_node("Sub", [need, need], [zeros], name=fresh(f"{base}/zeros")),
            helper.make_node("Concat", [zeros, need], [pads], name=fresh(f"{base}/pads"), axis=0),
            helper.make_node("Pad", [noise, pads], [padded], name=fresh(f"{base}/pad")),
        ]
        mean = float(attributes.get("mean", 0.0))
        scale = float(attributes.get("scale", 1.0))
        cut = y if (mean, scale) == (0.0, 1.0) else fresh(f"{base}/cut")
        nodes.append(
            helper.make_node("Slice", [padded, zeros, shape_out], [cut], name=fresh(f"{base}/cut"))
        )
        if (mean, scale) != (0.0, 1.0):
            scale_name, mean_name, scaled = (
                fresh(f"{base}/{p}") for p in ("scale_value", "mean_value", "scaled")
            )
            graph.initializer.append(helper.make_tensor(scale_name, TensorProto.FLOAT, [], [scale]))
            graph.initializer.append(helper.make_tensor(mean_name, TensorProto.FLOAT, [], [mean]))
            nodes.append(
                helper.make_node("Mul", [cut, scale_name], [scaled], name=fresh(f"{base}/scale"))
            )
            nodes.append(
                helper.make_node("Add", [scaled, mean_name], [y], name=fresh(f"{base}/mean"))
            )
        replaced[at] = nodes
    if not replaced:
        graph.initializer.pop()  # the zero nothing reads
        return 0
    new_nodes: list[onnx.NodeProto] = []
    for at, node in enumerate(graph.node):
        new_nodes.extend(replaced.get(at, [node]))
    del graph.node[:]
    graph.node.extend(new_nodes)
    return len(replaced)


def noise_inputs(session: Any) -> tuple[str, ...]:
    """The noise inputs of an onnxruntime session, in order (empty for a stock model).

    They have a default, so onnxruntime lists them as overridable initializers,
    not among ``get_inputs()``.
    """
    values = (*session.get_inputs(), *session.get_overridable_initializers())
    names = [value.name for value in values if value.name.startswith(NOISE_INPUT)]
    return tuple(sorted(names, key=lambda name: int(name[len(NOISE_INPUT) :])))


def empty_noise(session: Any) -> dict[str, npt.NDArray[np.float32]]:
    """Empty tensors for a session's noise inputs (:func:`noise_inputs`): the model pads
    them with zeros, so a run fed these has no noise at all."""
    values = (*session.get_inputs(), *session.get_overridable_initializers())
    ranks = {value.name: len(value.shape) for value in values}
    return {name: np.zeros((0,) * ranks[name], dtype=np.float32) for name in noise_inputs(session)}


def sentence_seed(identity: str, phoneme_ids: Sequence[int]) -> int:
    """The noise seed of one sentence: a hash of the voice identity and its phoneme ids.

    The identity must carry everything that picks the voice and its noise (model
    hash, noise settings), so the same sentence gets the same noise anywhere.
    """
    text = f"{NOISE_SCHEME}|{identity}|{','.join(str(int(i)) for i in phoneme_ids)}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


def draw_noise(seed: int, stream: int, shape: Sequence[int]) -> npt.NDArray[np.float32]:
    """Standard normal noise of ``shape`` for noise input ``stream`` of a sentence.

    Drawn along the last axis first, so the values at a position do not depend
    on how long the last axis is (only on the seed, the stream and the other axes).
    """
    sequence = np.random.SeedSequence(seed, spawn_key=(stream,))
    generator = np.random.Generator(np.random.PCG64(sequence))
    *rest, last = (int(d) for d in shape)
    width = math.prod(rest)
    flat = generator.standard_normal((last, width), dtype=np.float32)
    return np.ascontiguousarray(np.moveaxis(flat.reshape(last, *rest), 0, -1))


@dataclass
class _Learned:
    """What a session's noise inputs looked like so far (guesses for the next sentence)."""

    rest: tuple[int, ...]
    """The axes before the last: fixed by the model (batch 1, channels)."""
    per_id: float = PRIOR_PER_ID
    """The longest last axis seen so far per phoneme id (at least :data:`PRIOR_PER_ID`)."""


class SteadySynthesizer:
    """Runs a prepared Piper model with seeded noise: one instance per loaded voice.

    It learns, per noise input, the axes the model fixes (from a probe run of an
    empty sentence when made) and how long the last axis gets per phoneme id, to
    guess how much noise to draw. A guess too small costs a second run of that
    sentence with the exact size (logged at debug level), never other samples.
    Thread-safe.
    """

    def __init__(self, voice: PiperVoice) -> None:
        self.voice = voice
        self.inputs = noise_inputs(voice.session)
        self._empty = empty_noise(voice.session)
        self._outputs = [voice.session.get_outputs()[0].name]
        self._outputs += [f"{NOISE_SHAPE_OUTPUT}{name[len(NOISE_INPUT) :]}" for name in self.inputs]
        self._lock = threading.Lock()
        self.reruns = 0
        """Sentences run twice because a noise tensor was guessed too small (for tests)."""
        self._learned: dict[str, _Learned] = {}
        if self.inputs:
            probe = self._run(voice.phonemes_to_ids([]), 0.0, 1.0, 0.0, dict(self._empty))
            self._learned = {name: _Learned(shape[:-1]) for name, shape in probe[1].items()}

    @property
    def steady(self) -> bool:
        """False for a model whose noise is still drawn inside (not prepared)."""
        return bool(self.inputs)

    def _run(
        self,
        phoneme_ids: Sequence[int],
        noise_scale: float,
        length_scale: float,
        noise_w: float,
        noise: dict[str, npt.NDArray[np.float32]],
    ) -> tuple[npt.NDArray[np.float32], dict[str, tuple[int, ...]]]:
        """Run the model once: the audio and the shape each noise input was cut to."""
        config = self.voice.config
        feeds: dict[str, Any] = {
            "input": np.array([phoneme_ids], dtype=np.int64),
            "input_lengths": np.array([len(phoneme_ids)], dtype=np.int64),
            "scales": np.array([noise_scale, length_scale, noise_w], dtype=np.float32),
            **noise,
        }
        if config.num_speakers > 1:
            feeds["sid"] = np.array([config.default_speaker_id], dtype=np.int64)
        result = self.voice.session.run(self._outputs, feeds)
        needed = {
            name: tuple(int(d) for d in shape)
            for name, shape in zip(self.inputs, result[1:], strict=True)
        }
        return np.asarray(result[0], dtype=np.float32).squeeze(), needed

    def _guess(self, name: str, ids: int) -> tuple[int, ...]:
        with self._lock:
            learned = self._learned[name]
            return (*learned.rest, math.ceil(ids * learned.per_id * _MARGIN) + 8)

    def _learn(self, needed: dict[str, tuple[int, ...]], ids: int) -> None:
        with self._lock:
            for name, shape in needed.items():
                learned = self._learned[name]
                learned.rest = shape[:-1]
                learned.per_id = max(learned.per_id, shape[-1] / max(ids, 1))

    def audio(
        self,
        phoneme_ids: Sequence[int],
        *,
        length_scale: float,
        noise_scale: float,
        noise_w: float,
        identity: str,
    ) -> npt.NDArray[np.float32]:
        """The raw audio of one sentence's phoneme ids (as ``phoneme_ids_to_audio`` gives)."""
        seed = sentence_seed(identity, phoneme_ids)
        fed = {name: self._guess(name, len(phoneme_ids)) for name in self.inputs}
        for attempt in (1, 2):
            noise = {
                name: draw_noise(seed, stream, fed[name]) for stream, name in enumerate(self.inputs)
            }
            audio, needed = self._run(phoneme_ids, noise_scale, length_scale, noise_w, noise)
            self._learn(needed, len(phoneme_ids))
            if all(_fits(needed[name], fed[name]) for name in self.inputs):
                return audio
            if attempt == 1:
                log.debug("noise guessed too small for %d phoneme ids; again", len(phoneme_ids))
                self.reruns += 1
                fed = needed
        raise RuntimeError(f"noise of shape {fed} does not fit the model's {needed}")

    def synthesize(
        self, text: str, *, length_scale: float, noise_scale: float, noise_w: float, identity: str
    ) -> npt.NDArray[np.float32]:
        """Speak ``text`` like ``PiperVoice.synthesize`` does, with seeded noise.

        Same steps as Piper: phonemize into sentences, voice each, scale each to
        full range (Piper's ``normalize_audio``), clip, concatenate.
        """
        chunks: list[npt.NDArray[np.float32]] = []
        for phonemes in self.voice.phonemize(text):
            if not phonemes:
                continue
            ids = self.voice.phonemes_to_ids(phonemes)
            audio = self.audio(
                ids,
                length_scale=length_scale,
                noise_scale=noise_scale,
                noise_w=noise_w,
                identity=identity,
            )
            peak = np.max(np.abs(audio)) if audio.size else 0.0
            audio = np.zeros_like(audio) if peak < 1e-8 else audio / peak
            chunks.append(np.clip(audio, -1.0, 1.0).astype(np.float32))
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def _fits(needed: tuple[int, ...], fed: tuple[int, ...]) -> bool:
    """True when the fed tensor covered the needed shape with the right fixed axes."""
    return (
        len(needed) == len(fed)
        and needed[:-1] == fed[:-1]
        and (not needed or needed[-1] <= fed[-1])
    )


_synthesizers: weakref.WeakKeyDictionary[Any, SteadySynthesizer] = weakref.WeakKeyDictionary()
_synthesizers_lock = threading.Lock()


def steady_synthesizer(voice: PiperVoice) -> SteadySynthesizer:
    """The one :class:`SteadySynthesizer` of a loaded voice (its guesses are shared)."""
    with _synthesizers_lock:
        found = _synthesizers.get(voice.session)
        if found is None or found.voice is not voice:
            found = SteadySynthesizer(voice)
            _synthesizers[voice.session] = found
        return found


_unsteady: set[str] = set()
"""Models this process could not make steady in memory (warned once each)."""


def steady_source(path: Path) -> str | bytes:
    """What onnxruntime should load for a model used without its prepared copy.

    The model with its noise made inputs, rewritten in memory (about a second;
    needs ``onnx``), so the voice stays steady when preparation is switched off
    or failed. Where that fails too: the path itself, with a warning once per
    model: that voice then draws its own noise and is not steady.
    """
    try:
        import onnx

        model = onnx.load(str(path))
        if noise_as_inputs(model):
            return bytes(model.SerializeToString())
    except Exception as exc:  # the original model must stay usable
        if str(path) not in _unsteady:
            _unsteady.add(str(path))
            log.warning("cannot seed the noise of Piper voice %s (%s): not steady", path, exc)
    return str(path)
