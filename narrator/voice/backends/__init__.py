"""Synthesis backends: a small protocol, a lazy registry and the process's thread budget.

Backends are named by import path and imported only when used, so that
``narrator --help`` never pays for onnxruntime. Third parties add backends
through the ``narrator.backends`` entry-point group.

The worker pools (``narrator.voice.workers``, ``narrator.voice.cluster``) decide
how many CPU threads each synthesis process may use and say so once with
:func:`set_threads`; a backend whose engine has threads of its own reads
:func:`thread_budget` when it loads a voice. Neither side knows the other's
internals (Piper turns the budget into onnxruntime session options).
"""

from __future__ import annotations

import importlib
import logging
import os
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

THREADS_ENV = "NARRATOR_THREADS"
"""The user's setting: CPU threads per synthesis process (``narrator build --threads``)."""


@dataclass(frozen=True, slots=True)
class ThreadBudget:
    """The CPU threads a backend may use for each voice it loads in this process."""

    threads: int = 0
    """Threads per voice (0: the engine's own choice, usually one per core)."""
    spin: bool = True
    """False: threads that wait should sleep, not spin (other workers share the cores)."""


_budget: ThreadBudget | None = None


def threads_setting() -> int | None:
    """``NARRATOR_THREADS`` as a positive whole number, else None (unset or not a count)."""
    value = os.environ.get(THREADS_ENV, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def set_threads(budget: ThreadBudget | None) -> None:
    """Give every backend of this process ``budget`` for the voices it loads from now on
    (None: the user's setting again). Voices already loaded keep theirs: set it before
    the first sentence."""
    global _budget
    _budget = budget


def thread_budget() -> ThreadBudget:
    """What :func:`set_threads` gave, else the user's ``NARRATOR_THREADS`` (else the
    engine's own choice), with spinning threads."""
    if _budget is not None:
        return _budget
    return ThreadBudget(threads_setting() or 0)


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


def clear_instances() -> None:
    """Forget this process's backends (a forked worker must not reuse the runtime
    sessions it inherited from its parent: their threads do not exist in the child)."""
    _instances.clear()


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
