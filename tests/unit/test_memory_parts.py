"""Long sentences are voiced in parts (bounded memory per run), joined by a clause pause."""

from __future__ import annotations

import numpy as np
import pytest

import narrator.voice.render as render_module
from narrator.models import Clip, Voice
from narrator.voice.backends.piper import MAX_CHARS, PiperBackend
from narrator.voice.render import CLAUSE_PAUSE, render, text_parts

RATE = 1000
PER_CHAR = 10
"""Samples the fake backend makes per character of text."""

LONG = (
    "When the war ended, the town was quiet, the mills were idle, "
    "and the men came home to fields that nobody had sown for years."
)


class Recording:
    """A backend that voices each character as ``PER_CHAR`` loud samples and records its calls."""

    name = "recording"

    def __init__(self, max_chars: int | None) -> None:
        if max_chars is not None:
            self.max_chars = max_chars
        self.calls: list[str] = []

    def identity(self, voice: Voice) -> str:
        return "recording"

    def synthesize(self, text: str, voice: Voice) -> Clip:
        self.calls.append(text)
        return Clip(np.full(len(text) * PER_CHAR, 0.5, dtype=np.float32), RATE)


def _render_with(backend: Recording, text: str, monkeypatch: pytest.MonkeyPatch) -> Clip:
    monkeypatch.setattr(render_module, "get_backend", lambda name: backend)
    return render(text, Voice("recording", ""))


def test_a_long_sentence_is_voiced_in_parts_cut_at_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = Recording(max_chars=70)
    clip = _render_with(backend, LONG, monkeypatch)
    assert len(backend.calls) == 2
    assert all(len(part) <= 70 for part in backend.calls)
    assert all(part.endswith((",", ".")) for part in backend.calls)  # cut after punctuation
    assert " ".join(backend.calls) == LONG
    pause = round(CLAUSE_PAUSE * RATE)
    speech = sum(len(part) * PER_CHAR for part in backend.calls)
    assert len(clip.samples) == speech + pause
    first = len(backend.calls[0]) * PER_CHAR
    assert not clip.samples[first : first + pause].any()  # the join is silence, nothing more
    assert clip.samples[:first].all() and clip.samples[first + pause :].all()


def test_short_sentences_and_backends_without_a_limit_get_one_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limited = Recording(max_chars=200)
    _render_with(limited, LONG, monkeypatch)
    assert limited.calls == [LONG]
    unlimited = Recording(max_chars=None)
    clip = _render_with(unlimited, LONG, monkeypatch)
    assert unlimited.calls == [LONG]
    assert len(clip.samples) == len(LONG) * PER_CHAR


def test_piper_parts_stay_within_its_limit() -> None:
    sentence = " ".join([LONG.rstrip(".") + ","] * 4) + " and that was all."
    assert len(sentence) > 2 * MAX_CHARS
    parts = text_parts(sentence, PiperBackend())
    assert len(parts) >= 3
    assert all(len(part) <= MAX_CHARS for part in parts)
    assert " ".join(parts) == sentence


class Spy:
    """Stands in for an onnxruntime session; remembers the run options of each run."""

    def __init__(self, session: object) -> None:
        self.session = session
        self.options: list[object] = []

    def run(self, output_names: object, input_feed: object, run_options: object = None) -> object:
        self.options.append(run_options)
        return self.session.run(output_names, input_feed, run_options)  # type: ignore[attr-defined]


def test_piper_runs_shrink_the_arena_once_over_the_ceiling() -> None:
    from narrator.voice.backends.piper import MemoryBoundSession, default_model_path, load_voice

    voice = load_voice(default_model_path())
    bound = voice.session
    assert isinstance(bound, MemoryBoundSession)
    assert bound.ceiling is not None  # Linux: the process size is known
    spy = Spy(bound.session)
    bound.session = spy
    bound.ceiling = 2**62  # under the ceiling: plain runs, the arena is kept
    assert len(list(voice.synthesize("One short sentence."))) == 1
    bound.ceiling = 0  # over it: every run shrinks the arena when it ends
    chunks = list(voice.synthesize("One short sentence. And another one."))
    assert len(chunks) == 2 and all(len(c.audio_float_array) for c in chunks)
    assert spy.options[0] is None
    key, value = MemoryBoundSession.SHRINK
    assert key == "memory.enable_memory_arena_shrinkage" and value == "cpu:0"
    assert [o.get_run_config_entry(key) for o in spy.options[1:]] == [value, value]  # type: ignore[attr-defined]
    assert bound.shrinks == 2
