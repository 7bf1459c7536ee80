"""A steady voice: the same sentence gives the same samples in any process, in any order.

Real synthesis with the shipped Piper voice. Each fresh process gets its own empty
clip cache and prepared-models folder, like a second machine or a wiped cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import pytest

from narrator.models import Voice
from narrator.voice.backends.piper import default_model_path, load_voice
from narrator.voice.backends.piper_model import PREPARE_ENV, prepared_model
from narrator.voice.backends.piper_noise import steady_synthesizer
from narrator.voice.render import render, voice_identity
from tests.articles import HARBOUR

ROOT = Path(__file__).resolve().parents[2]
SENTENCES = [
    "The harbour lights came on at dusk.",
    "A gull watched from the old stone wall, and the boats returned slowly.",
    "The last ferry left at nine.",
]
VOICE_SCRIPT = """
import hashlib, json, sys
from narrator.models import Voice
from narrator.voice.render import render
voice = Voice(backend="piper", name="")
print(json.dumps([hashlib.sha256(render(s, voice).samples.tobytes()).hexdigest()
                  for s in json.loads(sys.argv[1])]))
"""


def _fresh_env(tmp: Path, name: str) -> dict[str, str]:
    """A process with its own empty clip cache and prepared-models folder."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "NARRATOR_CACHE_DIR": str(tmp / name / "cache"),
        "NARRATOR_MODEL_DIR": str(tmp / name / "models"),
        "NARRATOR_THREADS": "1",
    }


def _voice_in_fresh_process(tmp: Path, name: str, sentences: list[str]) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", VOICE_SCRIPT, json.dumps(sentences)],
        capture_output=True,
        text=True,
        env=_fresh_env(tmp, name),
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return dict(zip(sentences, json.loads(done.stdout), strict=True))


def _digest(samples: np.ndarray) -> str:
    return hashlib.sha256(samples.tobytes()).hexdigest()


def test_prepared_model_draws_no_noise_of_its_own() -> None:
    model = onnx.load(str(prepared_model(default_model_path())))
    assert not [n for n in model.graph.node if n.op_type.startswith("Random")]
    assert sorted(i.name for i in model.graph.input if i.name.startswith("narrator_noise_")) == [
        "narrator_noise_0",
        "narrator_noise_1",
    ]


def test_two_fresh_processes_in_any_order_voice_identical_clips(tmp_path: Path) -> None:
    """Separate caches and model folders; one voices all three sentences in a row, the
    other the last one alone first, then the first: the same bytes for each."""
    batch = _voice_in_fresh_process(tmp_path, "one", SENTENCES)
    alone = _voice_in_fresh_process(tmp_path, "two", [SENTENCES[2], SENTENCES[0]])
    assert alone[SENTENCES[2]] == batch[SENTENCES[2]]
    assert alone[SENTENCES[0]] == batch[SENTENCES[0]]
    assert len(set(batch.values())) == 3
    # ...and this process (the session's model folder, other sentences voiced before) agrees.
    here = _digest(render(SENTENCES[2], Voice(backend="piper", name="")).samples)
    assert here == batch[SENTENCES[2]]


def test_a_sentence_inside_a_text_sounds_as_it_does_alone() -> None:
    """Piper splits a text into sentences; each gets its own noise, wherever it stands."""
    voice = load_voice(default_model_path())
    steady = steady_synthesizer(voice)
    settings = {"length_scale": 1.0, "noise_scale": 0.667, "noise_w": 0.8, "identity": "test"}
    alone = steady.synthesize(SENTENCES[2], **settings)
    together = steady.synthesize(" ".join(SENTENCES), **settings)
    assert len(together) > len(alone) > 10000
    np.testing.assert_array_equal(together[-len(alone) :], alone)


def test_a_noise_guess_too_small_gives_the_same_samples() -> None:
    voice = load_voice(default_model_path())
    steady = steady_synthesizer(voice)
    settings = {"length_scale": 1.0, "noise_scale": 0.667, "noise_w": 0.8, "identity": "test"}
    expected = steady.synthesize(SENTENCES[1], **settings)
    reruns = steady.reruns
    for learned in steady._learned.values():
        learned.per_id = 0.01  # the next guess draws far too little noise
    again = steady.synthesize(SENTENCES[1], **settings)
    assert steady.reruns == reruns + 1
    np.testing.assert_array_equal(again, expected)


def test_noise_settings_change_the_voice_and_its_identity() -> None:
    voice = Voice(backend="piper", name="")
    livelier = replace(voice, noise_scale=0.667, noise_w=0.8)
    assert voice_identity(livelier) != voice_identity(voice)
    a, b = render(SENTENCES[0], voice).samples, render(SENTENCES[0], livelier).samples
    assert len(a) != len(b) or not np.array_equal(a, b)
    np.testing.assert_array_equal(render(SENTENCES[0], livelier).samples, b)


def test_without_preparation_the_voice_is_still_steady(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PREPARE_ENV, "0")
    settings = {"length_scale": 1.0, "noise_scale": 0.667, "noise_w": 0.8, "identity": "test"}
    first = steady_synthesizer(load_voice(default_model_path()))
    assert first.steady
    a = first.synthesize(SENTENCES[0], **settings)
    b = steady_synthesizer(load_voice(default_model_path())).synthesize(SENTENCES[0], **settings)
    np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_two_cold_builds_in_separate_caches_give_identical_episodes(tmp_path: Path) -> None:
    """What the issue asks: a wiped cache or another machine publishes the same bytes.
    The second build voices in two worker processes, the first in one."""
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    episodes = []
    for name, jobs in (("one", "1"), ("two", "2")):
        out = tmp_path / name / "out"
        command = ["build", str(articles), "-o", str(out), "-j", jobs]
        done = subprocess.run(
            [sys.executable, "-m", "narrator.cli", *command],
            capture_output=True,
            text=True,
            env=_fresh_env(tmp_path, name),
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        assert any(p.is_file() for p in (tmp_path / name / "cache").rglob("*"))  # voiced cold
        episodes.append((out / "episodes" / "harbour-lights.mp3").read_bytes())
    assert len(episodes[0]) > 10000
    assert episodes[0] == episodes[1]
