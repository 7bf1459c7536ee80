"""Backends: the lazy registry, Piper offline, gTTS through a mocked HTTP transport."""

from __future__ import annotations

import base64
import re
import subprocess
import sys

import numpy as np
import pytest
import responses
from click.testing import CliRunner

from narrator.audio.codec import encode_mp3
from narrator.cli import cli
from narrator.errors import NarratorError
from narrator.models import Clip, Voice
from narrator.voice.backends import (
    ThreadBudget,
    describe_backends,
    get_backend,
    registry,
    set_threads,
    thread_budget,
)
from narrator.voice.backends import gtts as gtts_backend

GTTS_URL = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"


def _google_reply(mp3: bytes) -> str:
    """A batchexecute answer in the shape gTTS parses."""
    payload = base64.b64encode(mp3).decode("ascii")
    return ')]}\'\n\n[["wrb.fr","jQ1olc","[\\"' + payload + '\\"]",null,null,null,"generic"]]\n'


@pytest.fixture(scope="module")
def tone_mp3() -> bytes:
    rate = 24000
    t = np.arange(rate) / rate
    clip = Clip((0.4 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), rate)
    return encode_mp3(clip, 64)


def test_registry_lists_piper_and_gtts() -> None:
    assert {"piper", "gtts"} <= set(registry())


def test_importing_the_cli_does_not_import_onnxruntime() -> None:
    code = (
        "import sys, narrator.cli, narrator.voice.backends; "
        "print('onnxruntime' in sys.modules, 'piper' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_unknown_voice_model_path_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(NarratorError, match="Piper voice model not found"):
        get_backend("piper").synthesize("Hi.", Voice("piper", str(tmp_path / "nope.onnx")))


def test_unknown_backend_names_the_known_ones() -> None:
    with pytest.raises(NarratorError, match="choose one of: gtts, piper"):
        get_backend("espeak-classic")


def test_voices_lists_both_and_says_why_gtts_is_unavailable(monkeypatch) -> None:
    monkeypatch.setattr(gtts_backend, "HOST", "no-such-host.invalid")
    result = CliRunner().invoke(cli, ["voices"])
    assert result.exit_code == 0
    assert re.search(r"^piper .*available", result.output, re.M)
    assert "en_US-joe-medium" in result.output
    assert re.search(
        r"^gtts .*unavailable: gTTS needs network access to no-such-host.invalid",
        result.output,
        re.M,
    )


def test_gtts_unavailable_reason_names_the_host() -> None:
    reason = gtts_backend.network_reason("no-such-host.invalid", timeout=0.5)
    assert reason.startswith("gTTS needs network access to no-such-host.invalid")
    infos = {i.name: i for i in describe_backends()}
    assert infos["piper"].available


@responses.activate
def test_gtts_synthesizes_through_the_real_library(tone_mp3: bytes) -> None:
    responses.add(responses.POST, GTTS_URL, body=_google_reply(tone_mp3), status=200)
    clip = get_backend("gtts").synthesize("Hello there.", Voice("gtts", "", language="en"))
    assert clip.sample_rate == 24000
    assert clip.duration == pytest.approx(1.0, abs=0.1)
    body = responses.calls[0].request.body
    assert "Hello" in (body if isinstance(body, str) else body.decode())


@responses.activate
def test_gtts_retries_on_429_then_succeeds(tone_mp3: bytes) -> None:
    responses.add(responses.POST, GTTS_URL, status=429)
    responses.add(responses.POST, GTTS_URL, body=_google_reply(tone_mp3), status=200)
    backend = gtts_backend.GTTSBackend(retries=2, backoff=0.0)
    clip = backend.synthesize("Hello.", Voice("gtts", ""))
    assert clip.duration > 0.5
    assert len(responses.calls) == 2


@responses.activate
def test_gtts_gives_up_after_bounded_retries() -> None:
    responses.add(responses.POST, GTTS_URL, status=503)
    backend = gtts_backend.GTTSBackend(retries=2, backoff=0.0)
    with pytest.raises(NarratorError, match="gTTS failed"):
        backend.synthesize("Hello.", Voice("gtts", ""))
    assert len(responses.calls) == 3


@responses.activate
def test_gtts_does_not_retry_a_client_error() -> None:
    responses.add(responses.POST, GTTS_URL, status=400)
    backend = gtts_backend.GTTSBackend(retries=3, backoff=0.0)
    with pytest.raises(NarratorError):
        backend.synthesize("Hello.", Voice("gtts", ""))
    assert len(responses.calls) == 1


def test_thread_budget_is_the_users_setting_until_a_pool_sets_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NARRATOR_THREADS", "3")
    set_threads(None)
    try:
        assert thread_budget() == ThreadBudget(3, spin=True)
        set_threads(ThreadBudget(2, spin=False))
        assert thread_budget() == ThreadBudget(2, spin=False)
        monkeypatch.setenv("NARRATOR_THREADS", "5")
        assert thread_budget() == ThreadBudget(2, spin=False)
    finally:
        set_threads(None)
    monkeypatch.delenv("NARRATOR_THREADS")
    assert thread_budget() == ThreadBudget(0, spin=True)
