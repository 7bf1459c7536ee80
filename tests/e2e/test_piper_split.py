"""The split voice: Piper's decoder run in windows gives the whole model's audio, in bounded
memory, so a long sentence is voiced in one call. Real components only: the shipped voice,
onnx and onnxruntime."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest

from narrator.models import Voice
from narrator.voice.backends.piper import (
    MAX_CHARS,
    SPLIT_MAX_CHARS,
    PiperBackend,
    default_model_path,
    load_voice,
)
from narrator.voice.backends.piper_model import MODEL_DIR_ENV, models_info, prepared_model
from narrator.voice.backends.piper_noise import SteadySynthesizer
from narrator.voice.backends.piper_split import (
    CONTEXT_KEY,
    MARGIN,
    WINDOW_FRAMES,
    SplitSession,
    receptive_field,
    split_files,
)
from narrator.voice.render import text_parts

LONG = (
    "When the war ended the town was quiet, the mills were idle and the harbour was empty, "
    "and the men who came home found fields that nobody had sown for years, fences down, "
    "and barns that the winter storms had opened to the sky."
)


@pytest.fixture
def private_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv(MODEL_DIR_ENV, str(folder))
    monkeypatch.setenv("NARRATOR_THREADS", "1")
    return folder


def _split(voice: object) -> SplitSession:
    session = voice.session.session  # type: ignore[attr-defined]  # MemoryBoundSession's
    assert isinstance(session, SplitSession)
    return session


def test_the_split_voice_speaks_like_the_whole_model(private_dir: Path) -> None:
    voice = load_voice(default_model_path())
    split = _split(voice)
    whole = load_voice(default_model_path())
    whole.session = onnxruntime.InferenceSession(
        str(prepared_model(default_model_path())), providers=["CPUExecutionProvider"]
    )
    settings = {"length_scale": 1.0, "noise_scale": 0.2, "noise_w": 0.3, "identity": "test"}
    ids = voice.phonemes_to_ids(voice.phonemize(LONG)[0])
    got = SteadySynthesizer(voice).audio(ids, **settings)
    expected = SteadySynthesizer(whole).audio(ids, **settings)
    assert got.size > 3 * WINDOW_FRAMES * 256  # several windows
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-5  # a third of a 16-bit step
    assert split.context > 0


def test_the_context_is_the_measured_receptive_field_and_a_margin(private_dir: Path) -> None:
    voice = load_voice(default_model_path())
    split = _split(voice)
    meta = split.decoder.get_modelmeta().custom_metadata_map
    ids = voice.phonemes_to_ids(voice.phonemize(LONG)[0])
    feed = {
        "input": np.array([ids], dtype=np.int64),
        "input_lengths": np.array([len(ids)], dtype=np.int64),
        "scales": np.array([0.667, 1.0, 0.8], dtype=np.float32),
    }
    between = dict(zip(split.between, split.encoder.run(split.between, feed), strict=True))
    field = receptive_field(split, between)
    assert 4 < field < 64  # HiFi-GAN's convolutions: a bounded span of frames
    assert int(meta[CONTEXT_KEY]) == split.context
    # The split measured the field on its own probe sentence: the same, give or take a
    # frame that float rounding hides at the field's edge.
    assert field < split.context <= field + MARGIN + 2
    # Less context than the field changes the samples near each window's edge.
    whole = split.decoder.run(["output"], between)[0]
    split.context = field // 2
    assert np.abs(split.decode(between) - whole).max() > 1e-5


def test_a_split_voice_voices_a_long_sentence_in_one_call(private_dir: Path) -> None:
    backend = PiperBackend()
    voice = Voice("piper", "")
    assert len(LONG) > MAX_CHARS
    assert backend.max_chars_for(voice) == SPLIT_MAX_CHARS
    assert text_parts(LONG, backend, voice) == [LONG]
    assert len(text_parts(LONG, backend)) > 1  # without the voice: the limit of any voice
    halves = split_files(prepared_model(default_model_path()))
    assert halves.encoder.is_file() and halves.decoder.is_file()
    # onnxruntime's optimized copy of the whole model is not kept beside the halves.
    assert not list(private_dir.glob(f"{prepared_model(default_model_path()).stem}-ort-*"))
    info = models_info(private_dir)  # what `narrator cache info` says: one voice, every file
    assert info.models == 1
    assert info.bytes == sum(path.stat().st_size for path in private_dir.glob("*.onnx*"))


def test_a_voice_without_a_named_decoder_is_voiced_whole(private_dir: Path, tmp_path: Path) -> None:
    """Voices exported without module paths in their node names cannot be split: they are
    voiced whole, with the cut of long sentences that bounds their memory."""
    original = default_model_path()
    model = onnx.load(str(original))
    for node in model.graph.node:
        node.name = node.name.replace("/dec/", "/decoder_/")
    custom = tmp_path / "custom.onnx"
    onnx.save(model, str(custom))
    shutil.copy(f"{original}.json", f"{custom}.json")
    json.loads(Path(f"{custom}.json").read_text(encoding="utf-8"))
    voice = load_voice(custom)
    assert not isinstance(voice.session.session, SplitSession)  # type: ignore[attr-defined]
    assert len(voice.phonemize("Hello.")) == 1
    backend = PiperBackend()
    assert backend.max_chars_for(Voice("piper", str(custom))) == MAX_CHARS
    marker = split_files(prepared_model(custom)).whole
    assert marker.parent == private_dir and marker.is_file()  # not tried by the next process
