"""A stand-in voice for build tests that are about files, not sound: a short tone per sentence.

The build runs as it always does (planning, assembly, leveling, encoding, tagging, the
catalog, the feed and the page); only synthesis is replaced, so a test builds several
episodes in a second. ``silent_config`` registers the backend for the test's process and
returns a configuration that uses it; build with ``Synthesizer(cache=None, jobs=1)`` so
that it runs in this process.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from narrator.config import Config
from narrator.models import Clip, Voice

RATE = 22050


class SilentBackend:
    """A 440 Hz tone, 20 ms per character: audio the leveling can measure."""

    name = "silent"

    def identity(self, voice: Voice) -> str:
        return "silent-1"

    def synthesize(self, text: str, voice: Voice) -> Clip:
        seconds = 0.1 + 0.02 * len(text)
        t = np.arange(int(RATE * seconds), dtype=np.float32) / RATE
        return Clip((0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), RATE)


def silent_config(config: Config, monkeypatch: pytest.MonkeyPatch) -> Config:
    """``config`` voiced by :class:`SilentBackend` (registered for this test only)."""
    from narrator.voice import backends

    monkeypatch.setitem(backends.BUILTIN, "silent", "tests.silent:SilentBackend")
    monkeypatch.setattr(backends, "_instances", {})
    return replace(
        config,
        narration=replace(config.narration, backend="silent"),
        quote=replace(config.quote, backend="silent"),
    )
