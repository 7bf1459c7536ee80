"""A prepared copy of a Piper voice model: every 1-D convolution rewritten as a 2-D one.

Why: Piper voices are VITS models exported from PyTorch, made of about 130
``Conv1d``/``ConvTranspose1d`` layers. onnxruntime's fastest CPU convolution
kernels (the NCHWc layout transformer and its blocked kernels) apply to 4-D
(2-D image) convolutions only, so the 3-D convolutions of a stock voice run on
the generic path. Rewriting each one as ``Unsqueeze → Conv 2-D (height 1) →
Squeeze`` computes the same thing (the height axis has size 1, kernel 1, stride
1, no padding) and lets onnxruntime use the NCHWc kernels. Measured on the
2-core development machine with one onnxruntime thread, voicing the sample
article took 8.19 s with the stock ``en_US-joe-medium`` model and 6.76 s with
the prepared one (about 17 % less). With the noise scales at 0 the two models'
audio differs by at most 8e-5 (float rounding), so the clip cache keys
(``PiperBackend.identity``, the original model's hash) stay as they are.

The copy also has the model's two noise sources made inputs
(:func:`narrator.voice.backends.piper_noise.noise_as_inputs`), so narrator feeds
noise seeded from each sentence and the voice: a steady voice.

Where: ``$NARRATOR_MODEL_DIR``, else ``models/`` in the user cache folder
(``platformdirs.user_cache_dir("narrator")``). A prepared file is named after
the original model's content hash and the transform's version
(``<hash16>-conv2d-v2.onnx``), so an updated voice or a changed transform gets
a new file; old ones are never read again and may be deleted by hand.
``narrator cache info`` shows the folder; ``narrator cache clear`` leaves it
alone.

Beside it, onnxruntime's own optimized copy for this machine and runtime version
(``<hash16>-conv2d-v2-ort-<machine key>-w1.onnx``, :func:`ensure_optimized`) is
what processes load: 0.1 s instead of 0.35 s, and its weights are in a file of
their own (``….onnx.weights``) that onnxruntime maps into memory, so every process
of the machine that loads the voice shares one copy of them (:func:`weights_file`).

The model's content hash (:func:`model_hash`, which also names the clip cache's
voice identity) is remembered in ``hashes.json`` in the same folder.

How: the first load of a model converts it (under a second; needs the ``onnx``
package, imported only then) and writes the copy atomically. Processes that
start at once (a build's synthesis workers) take an OS lock on ``.lock`` in the
folder, so one converts and the others wait and reuse its file. A prepared file
that onnxruntime cannot load is deleted and the original used for that load
(:func:`discard_prepared`); the next load prepares it again. Any failure to
prepare is a warning, once per model and process, and the original model is
used: preparation never stops a build.

Switch it off with ``NARRATOR_PREPARE_MODEL=0``: the original model is then
loaded with only its noise made inputs, rewritten in memory at each load
(``piper_noise.steady_source``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from narrator.build.atomic import atomic_path, atomic_write
from narrator.build.lock import exclusive_lock, sweep_temp_files
from narrator.voice.backends.onnx_names import name_maker, names_in_use, names_read

if TYPE_CHECKING:
    import onnx

log = logging.getLogger(__name__)

MODEL_DIR_ENV = "NARRATOR_MODEL_DIR"
"""The folder of prepared models (default: ``models/`` in the user cache folder)."""
PREPARE_ENV = "NARRATOR_PREPARE_MODEL"
"""``0`` (or ``false``, ``no``, ``off``) loads the original model as it is."""
TRANSFORM = "conv2d"
TRANSFORM_VERSION = 2
"""Bump when :func:`convert_file` changes what it writes: prepared files get new names.
v2: the noise is an input (``piper_noise.noise_as_inputs``)."""
LOCK_NAME = ".lock"
LOCK_WAIT_S = 300.0
"""Give up (and use the original model) after waiting this long for another process."""
LOCK_POLL_S = 0.05
HASHES_NAME = "hashes.json"
"""Content hashes of model files by path, size and modification time (in the models folder)."""

_CONV_OPS = ("Conv", "ConvTranspose")
_HEIGHT_ONE = ("kernel_shape", "strides", "dilations", "output_shape")
"""Attributes whose new height entry is 1 (``pads`` and ``output_padding`` get 0)."""
_OFF = {"0", "false", "no", "off"}

_failed: dict[tuple[Path, str], str] = {}
"""Models this process could not prepare (path, hash) → why; not tried again."""
_failed_lock = threading.Lock()


def preparation_enabled() -> bool:
    """False when ``NARRATOR_PREPARE_MODEL`` switches preparation off."""
    return os.environ.get(PREPARE_ENV, "").strip().lower() not in _OFF


def default_model_dir() -> Path:
    """``$NARRATOR_MODEL_DIR`` if set, else ``models/`` in the user cache folder."""
    env = os.environ.get(MODEL_DIR_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("narrator")) / "models"


@cache
def model_hash(path: Path) -> str:
    """The model file's content hash (16 hex digits); remembered on disk by its size and
    modification time, like make does, since hashing 60 MB takes 40 ms of every build.

    A model rewritten in place within the file system's timestamp resolution, with
    the same size, keeps its old hash (the same blind spot as make's).
    """
    stat = path.stat()
    stamp = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    memo_path = default_model_dir() / HASHES_NAME
    try:
        memo: dict[str, str] = json.loads(memo_path.read_text(encoding="utf-8"))
        if isinstance(memo.get(stamp), str):
            return memo[stamp]
    except (OSError, ValueError, AttributeError):
        memo = {}
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()[:16]
    if not isinstance(memo, dict):
        memo = {}
    memo[stamp] = value
    try:
        atomic_write(memo_path, json.dumps(memo, indent=1, sort_keys=True).encode())
    except OSError as exc:  # only costs the next build the hashing again
        log.debug("cannot remember the hash of %s: %s", path, exc)
    return value


def prepared_name(model_hash: str) -> str:
    """The file name of the prepared copy of the model whose content hash is ``model_hash``."""
    return f"{model_hash}-{TRANSFORM}-v{TRANSFORM_VERSION}.onnx"


def prepared_model(path: Path) -> Path:
    """The prepared copy of the model at ``path``, made on first use.

    Returns ``path`` itself when preparation is switched off or fails (a warning
    naming the model and the reason, once per model in this process). Never
    raises: the original model always works.
    """
    if not preparation_enabled():
        return path
    try:
        digest = model_hash(path)
    except OSError as exc:  # loading the original will report it properly
        log.debug("cannot hash %s, not preparing it: %s", path, exc)
        return path
    key = (path, digest)
    if key in _failed:
        return path
    target = default_model_dir() / prepared_name(digest)
    if target.is_file():
        return target
    try:
        return _prepare_locked(path, target)
    except Exception as exc:  # any failure here must leave the original model usable
        reason = _reason(exc)
        with _failed_lock:
            first = key not in _failed
            _failed[key] = reason
        if first:
            log.warning(
                "cannot prepare Piper voice %s for faster synthesis (%s); using it as it is",
                path,
                reason,
            )
        return path


def discard_prepared(prepared: Path, original: Path, reason: object) -> None:
    """Delete a prepared model onnxruntime could not load; the next load prepares it again.

    Does nothing if ``prepared`` is the original model itself.
    """
    if prepared == original or prepared.resolve() == original.resolve():
        return
    discard_files(
        f"prepared copy {prepared} of Piper voice {original}",
        reason,
        "using the original",
        [prepared],
    )


def discard_files(what: str, reason: object, instead: str, paths: Sequence[Path]) -> None:
    """Say that ``what`` is damaged (because of ``reason``) and what is used ``instead``, and
    delete its ``paths``: every damaged model file goes this way, to be made again."""
    log.warning("%s is damaged (%s); deleted it, %s", what, _reason(reason), instead)
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot delete %s: %s", path, exc)


def _machine_key(runtime_version: str) -> str:
    """What an onnxruntime-optimized model is only valid for: the runtime's version and
    this machine's processor (its optimizations pick kernels and layouts for the CPU)."""
    import platform

    cpu = platform.processor() or platform.machine()
    with (
        contextlib.suppress(OSError),
        open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh,
    ):
        for line in fh:
            if line.startswith(("flags", "Features", "model name")):
                cpu += line
    return hashlib.sha256(f"{runtime_version}|{cpu}".encode()).hexdigest()[:12]


OPTIMIZED_FORMAT = "w1"
"""Bump when what :func:`ensure_optimized` saves changes (w1: the weights in a file of
their own, mapped into memory and shared between processes): old copies get other names."""
WEIGHTS_SUFFIX = ".weights"
WEIGHTS_MIN_BYTES = 1024
"""Initializers at least this large go to the weights file; smaller ones stay inline."""


def optimized_model(prepared: Path, runtime_version: str) -> Path | None:
    """Where onnxruntime's own optimized copy of ``prepared`` is kept on this machine
    (None when preparation is switched off); its weights are in :func:`weights_file`."""
    if not preparation_enabled():
        return None
    key = _machine_key(runtime_version)
    return prepared.with_name(f"{prepared.stem}-ort-{key}-{OPTIMIZED_FORMAT}.onnx")


def weights_file(optimized: Path) -> Path:
    """The file holding the weights of the optimized copy ``optimized``.

    Why a file of their own: onnxruntime maps a model's external weights into memory
    instead of copying them, so every process that loads the voice (each synthesis
    worker, each Dask worker of a machine) shares one copy of them through the page
    cache: about 75 MB less per worker, measured (``bench/README.md``).
    """
    return optimized.with_name(optimized.name + WEIGHTS_SUFFIX)


Optimize = Callable[[Path, str], object]
"""Opens an onnxruntime session of the prepared model that saves its optimized copy to the
given path, with the weights in the file of the given name beside it."""


def ensure_optimized(target: Path, optimize: Optimize) -> bool:
    """Make onnxruntime's optimized copy ``target`` (and its weights file) with ``optimize``,
    unless it exists; False when it could not be saved (a warning-free cost: the next load
    tries again).

    Under the folder's lock, so one process optimizes and the others wait for its file. A
    weights file is never rewritten in place (another process may have it mapped, and a file
    shrunk under a mapping kills that process): a stale one is unlinked first, and the
    model file, which names it, appears (by rename) only once both are whole. Raises what
    ``optimize`` raises for a prepared model onnxruntime cannot load.
    """
    if target.is_file():
        return True
    weights = weights_file(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with folder_lock(target.parent):
            if target.is_file():
                return True
            sweep_temp_files(target.parent)  # a killed save's model file
            weights.unlink(missing_ok=True)
            try:
                optimize(tmp, weights.name)
                if not (tmp.is_file() and weights.is_file()):
                    raise OSError("onnxruntime saved no optimized model")
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    weights.unlink(missing_ok=True)  # no model names it: nothing maps it
                raise
            finally:
                with contextlib.suppress(OSError):
                    tmp.unlink(missing_ok=True)
    except (OSError, TimeoutError) as exc:
        log.debug("cannot keep the optimized model %s: %s", target, exc)
        return False
    _remove_older_formats(target)
    return True


def _remove_older_formats(target: Path) -> None:
    """Delete optimized copies of the same prepared model in earlier formats (the weights
    inline, not shared): nothing reads them any more."""
    stem = target.name.removesuffix(f"-{OPTIMIZED_FORMAT}.onnx")
    for old in target.parent.glob(f"{stem}*.onnx*"):
        if old.name in (target.name, weights_file(target).name):
            continue
        with contextlib.suppress(OSError):
            old.unlink()
            log.debug("removed %s, an optimized model in an older format", old)


def discard_optimized(optimized: Path, reason: object) -> None:
    """Delete an optimized copy onnxruntime could not load, and its weights; the next load
    optimizes the prepared model again."""
    discard_files(
        f"optimized copy {optimized} of a Piper voice",
        reason,
        "using the model it was made from (optimizing it again next time)",
        [optimized, weights_file(optimized)],
    )


@dataclass(frozen=True)
class ModelsInfo:
    """What ``narrator cache info`` reports about prepared models."""

    path: Path
    """The folder of prepared models."""
    models: int
    """How many prepared models it holds."""
    bytes: int
    """Their total size on disk."""


def models_info(folder: Path | None = None) -> ModelsInfo:
    """Count the prepared models in ``folder`` (default: :func:`default_model_dir`)."""
    folder = folder or default_model_dir()
    count = size = 0
    if folder.is_dir():
        for path in folder.glob(f"*-{TRANSFORM}-v*.onnx*"):
            with contextlib.suppress(OSError):
                size += path.stat().st_size  # with onnxruntime's optimized copies ("-ort-")
                # a prepared model, not onnxruntime's copy ("-ort-") or a half ("-split")
                own = "-ort-" not in path.name and "-split" not in path.name
                count += path.suffix == ".onnx" and own
    return ModelsInfo(folder, count, size)


def _reason(exc: object) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the exclusive lock of the prepared-models folder (waits up to ``LOCK_WAIT_S``;
    ``TimeoutError`` after that)."""

    def announce() -> None:
        log.info("waiting for another process preparing a voice model in %s", folder)

    folder.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(folder / LOCK_NAME, LOCK_WAIT_S, poll=LOCK_POLL_S, on_wait=announce):
        yield


def _prepare_locked(path: Path, target: Path) -> Path:
    """Make ``target`` from ``path`` unless another process did while we waited."""
    with folder_lock(target.parent):
        if target.is_file():
            log.debug("%s was prepared by another process", target)
            return target
        # Only the lock's holder writes here, so any temporary file is a killed writer's.
        sweep_temp_files(target.parent)
        log.info("preparing Piper voice %s for faster synthesis in %s", path, target.parent)
        started = time.perf_counter()
        rewritten = convert_file(path, target)
        log.info(
            "prepared %s: %d convolutions made 2-D in %.1f s",
            target.name,
            rewritten,
            time.perf_counter() - started,
        )
    return target


def convert_file(src: Path, dst: Path) -> int:
    """Write to ``dst`` (atomically) the model at ``src`` with its 1-D convolutions made 2-D.

    Raises whatever ``onnx`` raises for a file that is not a valid model.
    Returns the number of convolutions rewritten.
    """
    import onnx

    model = onnx.load(str(src))
    rewritten = conv1d_to_conv2d(model)
    # --- steady voice: the noise becomes an input (narrator.voice.backends.piper_noise) ---
    from narrator.voice.backends.piper_noise import noise_as_inputs

    noises = noise_as_inputs(model)
    # ---
    onnx.checker.check_model(model)
    entry = model.metadata_props.add()
    entry.key = "narrator.prepared"
    entry.value = (
        f"{TRANSFORM}-v{TRANSFORM_VERSION}: {rewritten} convolutions made 2-D, "
        f"{noises} noise sources made inputs"
    )
    with atomic_path(dst) as tmp:
        onnx.save(model, str(tmp))
    return rewritten


def conv1d_to_conv2d(model: onnx.ModelProto) -> int:
    """Rewrite, in place, each 1-D ``Conv``/``ConvTranspose`` of the main graph as a 2-D one.

    ``y = Conv(x, W, b)`` with ``x`` of shape (N, C, L) and ``W`` (M, C/g, k)
    becomes ``y = Squeeze(Conv(Unsqueeze(x, 2), W', b), 2)`` where ``W'`` is
    ``W`` with a height axis of size 1 inserted (same bytes) and every spatial
    attribute gets a leading height entry (kernel 1, stride 1, dilation 1, no
    padding). Nodes are left alone when their weight is not a constant
    initializer of the graph (or can be overridden as a graph input), is not
    3-D, or when they carry an attribute this rewrite does not know.
    Returns the number of nodes rewritten.
    """
    from onnx import TensorProto, helper

    graph = model.graph
    opset = _default_opset(model)
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    overridable = {value.name for value in graph.input}
    fresh = name_maker(names_in_use(graph))

    axes_name = ""
    weights_2d: dict[str, str] = {}
    new_nodes: list[onnx.NodeProto] = []
    rewritten = 0
    for node in graph.node:
        attributes = _conv2d_attributes(node, initializers, overridable)
        if attributes is None:
            new_nodes.append(node)
            continue
        weight = node.input[1]
        if weight not in weights_2d:
            tensor = TensorProto()
            tensor.CopyFrom(initializers[weight])
            tensor.name = fresh(f"{weight}_2d")
            tensor.dims.insert(2, 1)  # a size-1 axis: the raw data stays as it is
            graph.initializer.append(tensor)
            weights_2d[weight] = tensor.name
        base = node.name or node.output[0]
        x_2d = fresh(f"{node.input[0]}_2d_{rewritten}")
        y_2d = fresh(f"{node.output[0]}_2d")
        if opset >= 13:
            if not axes_name:
                axes_name = fresh("narrator_axis_2")
                graph.initializer.append(helper.make_tensor(axes_name, TensorProto.INT64, [1], [2]))
            unsqueeze = helper.make_node(
                "Unsqueeze", [node.input[0], axes_name], [x_2d], name=fresh(f"{base}/unsqueeze")
            )
            squeeze = helper.make_node(
                "Squeeze", [y_2d, axes_name], [node.output[0]], name=fresh(f"{base}/squeeze")
            )
        else:
            unsqueeze = helper.make_node(
                "Unsqueeze", [node.input[0]], [x_2d], name=fresh(f"{base}/unsqueeze"), axes=[2]
            )
            squeeze = helper.make_node(
                "Squeeze", [y_2d], [node.output[0]], name=fresh(f"{base}/squeeze"), axes=[2]
            )
        conv = helper.make_node(
            node.op_type,
            [x_2d, weights_2d[weight], *node.input[2:]],
            [y_2d],
            name=node.name,
            doc_string=node.doc_string,
            **attributes,
        )
        new_nodes.extend((unsqueeze, conv, squeeze))
        rewritten += 1
    if not rewritten:
        return 0
    del graph.node[:]
    graph.node.extend(new_nodes)
    # Drop the 3-D weights nothing reads any more (a weight may have other readers).
    still_read = names_read(graph)
    kept = [
        tensor
        for tensor in graph.initializer
        if tensor.name not in weights_2d or tensor.name in still_read
    ]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    return rewritten


def _conv2d_attributes(
    node: onnx.NodeProto, initializers: dict[str, Any], overridable: set[str]
) -> dict[str, Any] | None:
    """The 2-D attributes for a rewritable 1-D convolution node, or None to leave it alone."""
    from onnx import AttributeProto, helper

    if node.op_type not in _CONV_OPS or node.domain not in ("", "ai.onnx"):
        return None
    if len(node.input) < 2 or len(node.output) != 1 or not node.input[0]:
        return None
    weight = initializers.get(node.input[1])
    if weight is None or node.input[1] in overridable or len(weight.dims) != 3:
        return None
    attributes: dict[str, Any] = {}
    for attribute in node.attribute:
        value = helper.get_attribute_value(attribute)
        name = attribute.name
        if attribute.type == AttributeProto.INTS:
            values = [int(v) for v in value]
            if name in _HEIGHT_ONE and len(values) == 1:
                attributes[name] = [1, *values]
            elif name == "output_padding" and len(values) == 1:
                attributes[name] = [0, *values]
            elif name == "pads" and len(values) == 2:
                attributes[name] = [0, values[0], 0, values[1]]
            else:
                return None
        elif name == "group" and attribute.type == AttributeProto.INT:
            attributes[name] = int(value)
        elif name == "auto_pad" and attribute.type == AttributeProto.STRING:
            # Any auto_pad gives the added axis no padding: it has size 1, kernel 1, stride 1.
            attributes[name] = value.decode() if isinstance(value, bytes) else value
        else:
            return None
    return attributes


def _default_opset(model: onnx.ModelProto) -> int:
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return int(entry.version)
    raise ValueError("the model imports no ONNX operator set")
