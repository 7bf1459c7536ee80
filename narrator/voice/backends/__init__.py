"""Synthesis backends: a small protocol and a lazy registry.

Backends are named by import path and imported only when used, so that
``narrator --help`` never pays for onnxruntime. Third parties add backends
through the ``narrator.voice.backends`` entry-point group.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

from narrator.errors import BackendUnavailable, NarratorError
from narrator.models import Clip, Voice

log = logging.getLogger(__name__)


@runtime_checkable
class Backend(Protocol):
    """What narrator needs from a text-to-speech engine."""

    name: str

    def identity(self, voice: Voice) -> str:
        """A string that changes whenever the audio for the same text could change."""
        ...

    def synthesize(self, text: str, voice: Voice) -> Clip:
        """Speak one sentence (or a few) and return the audio."""
        ...


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """A registered backend and whether it can run here."""

    name: str
    description: str
    available: bool
    reason: str
    voices: tuple[str, ...]


BUILTIN: dict[str, str] = {
    "piper": "narrator.voice.backends.piper:PiperBackend",
    "gtts": "narrator.voice.backends.gtts:GTTSBackend",
}

_instances: dict[str, Backend] = {}


def registry() -> dict[str, str]:
    """Backend name → ``module:Class``, built-ins first, then entry points."""
    names = dict(BUILTIN)
    for ep in entry_points(group="narrator.backends"):
        names.setdefault(ep.name, ep.value)
    return names


def _load_class(name: str) -> Any:
    # Built-ins win over entry points of the same name, so they need no scan of the
    # installed packages' entry points (20 ms of every build).
    target = BUILTIN.get(name) or registry().get(name)
    if target is None:
        known = ", ".join(sorted(registry()))
        raise NarratorError(f"unknown voice backend '{name}'", hint=f"choose one of: {known}")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BackendUnavailable(
            f"backend '{name}' cannot be imported: {exc}", hint="reinstall narrator"
        ) from exc
    return getattr(module, attr)


def get_backend(name: str) -> Backend:
    """The backend called ``name``, created once per process."""
    if name not in _instances:
        backend = _load_class(name)()
        if not isinstance(backend, Backend):
            raise NarratorError(f"backend '{name}' does not implement the Backend protocol")
        _instances[name] = backend
    return _instances[name]


def describe_backends() -> list[BackendInfo]:
    """Every registered backend, with why it cannot run when it cannot."""
    infos = []
    for name in registry():
        try:
            cls = _load_class(name)
            describe = cls.describe
            infos.append(describe())
        except NarratorError as exc:
            infos.append(BackendInfo(name, "", False, exc.message, ()))
    return infos
