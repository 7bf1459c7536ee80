"""gTTS falling back to the real Piper voice for the sentence the network failed.

The fake network, its fixtures and the other gTTS tests are in ``tests/unit/test_network.py``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import responses

from tests.output_check import audit
from tests.unit import test_network as fake
from tests.unit.test_network import (
    RETRIES,
    TITLE,
    Sleeps,
    _build,
    _errors,
    _flaky_calls,
    _status,
    flaky,
)

# The fake network's fixtures, shared with the unit tests.
site, network, sleeps, tone_mp3 = fake.site, fake.network, fake.sleeps, fake.tone_mp3


def test_fallback_piper_voices_the_failed_sentence_and_says_so(
    site: Path,
    network: responses.RequestsMock,
    sleeps: Sleeps,
    tone_mp3: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    flaky(network, _status(503), tone_mp3, times=None)
    with caplog.at_level(logging.WARNING):
        result = _build("--fallback", "piper")
    assert result.exit_code == 0, result.output
    assert _errors(result) == []
    assert "(1 by the fallback voice)" in result.stdout
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(
        re.search(r"gtts could not voice 'Its horn sounded.*503.*; using piper instead", w)
        for w in warnings
    ), warnings
    assert len(_flaky_calls(network)) == RETRIES + 1  # gTTS was tried in full first
    snapshot = audit(site / "out")
    assert sorted(snapshot.items) == [TITLE, "Quay"]
