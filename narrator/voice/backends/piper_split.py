"""Piper's decoder run in windows: memory that does not grow with the sentence.

Why: a Piper voice is VITS. Its text encoder, duration predictor and flow work at
the rate of spectrogram frames (about 86 a second) and hold little; its decoder
(HiFi-GAN) turns the frames into samples, 256 per frame, and its activations take
about 20 MB per second of audio: 110 MB for a sentence of 100 characters, 450 MB
for one of 270. The decoder is made of convolutions only, so each output sample
depends on a bounded span of frames (its receptive field): decoding the frames in
windows, each with enough frames of context on both sides, gives the same samples
as decoding them all at once, and bounds the activations by the window.

How: the prepared model (``piper_model``) is split once per machine into an
encoder (every input to the decoder's input) and a decoder, by the module path
that PyTorch's exporter puts in node names (``/dec/...``). The split is kept only
if it gives, on a probe sentence, the samples of the whole model (to a small fraction
of a 16-bit step: :data:`TOLERANCE`), with a context of the decoder's receptive
field (measured: :func:`receptive_field`; 11 frames for en_US-joe-medium) and a
margin; the context is written into the decoder's metadata. A model whose nodes
carry no such names (older exports), or whose split is not faithful, is used
whole. :class:`SplitSession` runs the two as one onnxruntime session, so the rest
of narrator (and Piper) sees no difference.

Files: ``<prepared stem>-split1-encoder.onnx`` and ``…-split1-decoder.onnx`` beside
the prepared model; each gets onnxruntime's optimized copy with shared weights like
the whole model did (``piper_model.ensure_optimized``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from narrator.build.atomic import atomic_path
from narrator.voice.backends.piper_model import discard_files, folder_lock
from narrator.voice.backends.piper_noise import empty_noise

if TYPE_CHECKING:
    import onnx

log = logging.getLogger(__name__)

SPLIT_VERSION = 1
"""Bump when :func:`split_model` writes something else: split files get new names."""
DECODER_PREFIX = "/dec/"
"""How PyTorch's exporter names the nodes of VITS's decoder module (``model.dec``)."""
OUTPUT = "output"
"""The name of a Piper model's audio output."""
WINDOW_FRAMES = 100
"""Frames decoded per run besides the context (about 1.2 s of audio, 25-35 MB of
activations; measured in ``bench/README.md``)."""
MARGIN = 4
"""Frames of context beyond the measured receptive field (a change too small to survive
float rounding at its edge would hide a frame or two of it)."""
MAX_CONTEXT = 256
"""The most frames of context tried on each side (a decoder that needs more is not split)."""
TOLERANCE = 1e-6
"""Largest difference allowed from the whole model's samples on the probe: about 1/30 of
a 16-bit step. Decoding windows of another length sums in another order, so a few
samples differ in their last bits (1.7e-9 measured) whatever the context."""
SCHEME = f"split{SPLIT_VERSION}-w{WINDOW_FRAMES}"
"""Part of the voice's identity (the clip cache's keys): windows of another length give
samples that differ in their last bits, and a split voice voices long sentences whole."""
CONTEXT_KEY = "narrator.decoder_context"
SPLIT_KEY = "narrator.split"


@dataclass(frozen=True, slots=True)
class SplitFiles:
    """The two halves of a prepared model."""

    encoder: Path
    decoder: Path
    whole: Path
    """An empty file that says the model cannot be split (it is voiced whole)."""


def split_files(prepared: Path) -> SplitFiles:
    """Where the halves of ``prepared`` are (or will be) kept."""
    stem = f"{prepared.stem}-split{SPLIT_VERSION}"
    return SplitFiles(
        prepared.with_name(f"{stem}-encoder.onnx"),
        prepared.with_name(f"{stem}-decoder.onnx"),
        prepared.with_name(f"{stem}-whole"),
    )


def _decoder_inputs(graph: onnx.GraphProto) -> list[str] | None:
    """The values the decoder's nodes read that other nodes make (its inputs), or None
    when the graph has no decoder nodes by name or its output is not made by them."""
    decoder = [node for node in graph.node if node.name.startswith(DECODER_PREFIX)]
    if not decoder or OUTPUT not in {value.name for value in graph.output}:
        return None
    made_inside = {name for node in decoder for name in node.output}
    constants = {tensor.name for tensor in graph.initializer}
    inputs: list[str] = []
    for node in decoder:
        for name in node.input:
            if name and name not in made_inside and name not in constants and name not in inputs:
                inputs.append(name)
    return inputs or None


def split_model(prepared: Path, files: SplitFiles) -> bool:
    """Write ``files`` from ``prepared`` (atomically) when the split is faithful; False when the
    model cannot be split (it is then used whole). Raises what onnx and onnxruntime raise
    for a model they cannot read."""
    import onnx
    from onnx.utils import Extractor

    started = time.perf_counter()
    model = onnx.load(str(prepared))
    inputs = _decoder_inputs(model.graph)
    if inputs is None:
        log.info("%s has no decoder to split (node names); voiced whole", prepared.name)
        return False
    extractor = Extractor(model)
    graph_inputs = [value.name for value in model.graph.input]
    others = [value.name for value in model.graph.output if value.name != OUTPUT]
    encoder = extractor.extract_model(graph_inputs, [*inputs, *others])
    decoder = extractor.extract_model(inputs, [OUTPUT])
    for part in (encoder, decoder):
        del part.metadata_props[:]
        part.metadata_props.extend(model.metadata_props)
        entry = part.metadata_props.add()
        entry.key, entry.value = SPLIT_KEY, f"split{SPLIT_VERSION}"
    # Memory: a first load on a small machine holds one copy of the weights at a time.
    del extractor, model
    encoder_bytes = encoder.SerializeToString()
    del encoder
    context = _faithful_context(prepared, encoder_bytes, decoder.SerializeToString())
    if context is None:
        log.warning("splitting %s changes its audio; voiced whole", prepared.name)
        return False
    entry = decoder.metadata_props.add()
    entry.key, entry.value = CONTEXT_KEY, str(context)
    with atomic_path(files.decoder) as tmp:
        onnx.save(decoder, str(tmp))
    with atomic_path(files.encoder) as tmp:  # last: its presence says the split is whole
        tmp.write_bytes(encoder_bytes)
    log.info(
        "split %s's decoder off (%d frames of context) in %.1f s",
        prepared.name,
        context,
        time.perf_counter() - started,
    )
    return True


def _probe_feed(session: Any) -> dict[str, Any]:
    """A sentence of 100 phoneme ids (about 250 frames), the scales and empty noise (padded
    with zeros by the prepared model): deterministic, long enough for a few windows."""
    ids = [1, *((i * 7) % 40 + 3 for i in range(100)), 2]
    feed: dict[str, Any] = {
        "input": np.array([ids], dtype=np.int64),
        "input_lengths": np.array([len(ids)], dtype=np.int64),
        "scales": np.array([0.667, 1.0, 0.8], dtype=np.float32),
    }
    if "sid" in {value.name for value in session.get_inputs()}:
        feed["sid"] = np.array([0], dtype=np.int64)
    return {**feed, **empty_noise(session)}


def _faithful_context(prepared: Path, encoder: bytes, decoder: bytes) -> int | None:
    """Frames of context that make the split decode the whole model's samples: the
    decoder's receptive field (:func:`receptive_field`) plus :data:`MARGIN`, checked on a
    probe sentence against the whole model to :data:`TOLERANCE`, doubled (up to
    :data:`MAX_CONTEXT`) while it is not; None when no context does."""
    whole = _open(str(prepared))
    feed = _probe_feed(whole)
    expected = whole.run([OUTPUT], feed)[0]
    del whole
    halves = SplitSession(_open(encoder), _open(decoder), MAX_CONTEXT)
    between = dict(zip(halves.between, halves.encoder.run(halves.between, feed), strict=True))
    context = receptive_field(halves, between) + MARGIN
    while context <= MAX_CONTEXT:
        halves.context = context
        got = halves.run([OUTPUT], feed)[0]
        if got.shape == expected.shape and np.abs(got - expected).max() <= TOLERANCE:
            return context
        log.debug("decoder context %d frames is not enough", context)
        context *= 2
    return None


def receptive_field(halves: SplitSession, between: dict[str, Any]) -> int:
    """How many frames on either side of a frame the decoder's samples for it read.

    Measured, not derived from the layers: one frame in the middle of ``between`` is
    changed and the whole sentence decoded again; samples beyond the receptive field do
    not read that frame, so they come out bit for bit the same."""
    frames = max(value.shape[-1] for value in between.values())
    middle = frames // 2
    changed = {
        name: value.copy() if value.shape[-1] == frames else value
        for name, value in between.items()
    }
    for value in changed.values():
        if value.shape[-1] == frames:
            value[..., middle] += 1.0
    before = halves.decoder.run([OUTPUT], between)[0].reshape(-1)
    after = halves.decoder.run([OUTPUT], changed)[0].reshape(-1)
    per_frame = before.size // frames
    moved = np.flatnonzero(before != after) // per_frame
    if moved.size == 0:
        return 0
    return int(max(middle - moved.min(), moved.max() - middle))


def _open(model: bytes | str) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"]
    )


def decoder_context(decoder: Any) -> int:
    """The context a split decoder session was checked with (its metadata)."""
    value = decoder.get_modelmeta().custom_metadata_map.get(CONTEXT_KEY, "")
    if not value.isdigit():
        raise ValueError(f"the decoder model has no {CONTEXT_KEY}")
    return int(value)


class SplitSession:
    """An encoder and a decoder session that run as one Piper session: ``run`` takes the
    whole model's inputs and gives its outputs, decoding :data:`WINDOW_FRAMES` frames at a
    time with ``context`` frames on each side (their samples are dropped)."""

    def __init__(self, encoder: Any, decoder: Any, context: int) -> None:
        self.encoder = encoder
        self.decoder = decoder
        self.context = context
        self.window = WINDOW_FRAMES
        self.between = [value.name for value in decoder.get_inputs()]
        """What the encoder hands the decoder (the frames; a speaker's embedding)."""

    def get_outputs(self) -> list[Any]:
        outputs = [value for value in self.encoder.get_outputs() if value.name not in self.between]
        return [self.decoder.get_outputs()[0], *outputs]

    def run(
        self,
        output_names: Sequence[str] | None,
        input_feed: dict[str, Any],
        run_options: Any = None,
    ) -> list[Any]:
        names = list(output_names or [value.name for value in self.get_outputs()])
        asked = [name for name in names if name != OUTPUT]
        values = self.encoder.run([*self.between, *asked], input_feed, run_options)
        found = dict(zip([*self.between, *asked], values, strict=True))
        if OUTPUT in names:
            found[OUTPUT] = self.decode({name: found[name] for name in self.between}, run_options)
        return [found[name] for name in names]

    def decode(self, between: dict[str, Any], run_options: Any = None) -> Any:
        """The decoder's output for ``between``, decoded window by window."""
        frames = max(value.shape[-1] for value in between.values())
        if frames <= self.window + 2 * self.context:
            return self.decoder.run([OUTPUT], between, run_options)[0]
        pieces = []
        shape: tuple[int, ...] = ()
        for start in range(0, frames, self.window):
            end = min(frames, start + self.window)
            low, high = max(0, start - self.context), min(frames, end + self.context)
            feed = {
                name: np.ascontiguousarray(value[..., low:high])
                if value.shape[-1] == frames
                else value
                for name, value in between.items()
            }
            out = self.decoder.run([OUTPUT], feed, run_options)[0]
            shape = out.shape[:-1]
            per_frame, rest = divmod(out.shape[-1], high - low)
            if rest:
                raise ValueError(f"decoder gave {out.shape[-1]} samples for {high - low} frames")
            pieces.append(out[..., (start - low) * per_frame : (end - low) * per_frame])
        return np.concatenate(pieces, axis=-1).reshape(*shape, -1)

    def __getattr__(self, name: str) -> Any:  # inputs, metadata, options: the encoder's
        return getattr(self.encoder, name)


def ensure_split(prepared: Path) -> SplitFiles | None:
    """The halves of ``prepared``, made now if need be (under the models folder's lock, so
    one process splits and the others wait); None when it is voiced whole, a model that
    cannot be split faithfully (remembered by an empty ``…-whole`` file). Raises what onnx
    or onnxruntime raise for a model they cannot read (the caller then tries it whole)."""
    files = split_files(prepared)
    if files.encoder.is_file() and files.decoder.is_file():
        return files
    if files.whole.exists():
        return None
    with folder_lock(prepared.parent):
        if files.encoder.is_file() and files.decoder.is_file():
            return files
        if files.whole.exists():
            return None
        if split_model(prepared, files):
            _remove_whole_copies(prepared)
            return files
        files.whole.touch()
        return None


def _remove_whole_copies(prepared: Path) -> None:
    """Delete onnxruntime's optimized copies of the whole prepared model: once it is split,
    its halves' copies are what loads (about 60 MB each)."""
    for old in prepared.parent.glob(f"{prepared.stem}-ort-*"):
        try:
            old.unlink()
        except OSError as exc:
            log.debug("cannot remove %s: %s", old, exc)
        else:
            log.debug("removed %s: the model is split now", old)


def discard_split(files: SplitFiles, reason: object) -> None:
    """Delete halves onnxruntime could not load; the next load splits the model again."""
    discard_files(
        f"split model {files.encoder}",
        reason,
        "voicing the model whole",
        [files.encoder, files.decoder],
    )
