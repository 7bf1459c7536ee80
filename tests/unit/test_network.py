"""gTTS on a flaky network, through the real CLI and the real gTTS library.

Only the HTTP transport is fake (``responses``): gTTS builds its batchexecute
POST and parses the answer itself. Backoff sleeps are recorded, not slept.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote_plus

import numpy as np
import pytest
import requests
import responses
from click.testing import CliRunner, Result

import narrator.voice.backends as backends
import narrator.voice.backends.gtts as gtts_backend
from narrator.audio.codec import encode_mp3
from narrator.cli import cli
from narrator.models import Clip
from tests.output_check import audit, write_article

GTTS_URL = "https://translate.google.com/_/TranslateWebserverUi/data/batchexecute"
RETRIES = 3
BACKOFF = 0.01
FLAKY_WORD = "horn"
"""Requests whose text contains this word are the ones the fake network fails."""
TITLE = "Night Ferry"
BODY = (
    "The ferry left at nine. Its horn sounded twice over the water.",
    "Passengers stood at the rail.",
)
SEGMENT = "segment 1 (narration, 'The ferry left at nine. Its horn…')"


@pytest.fixture(scope="module")
def tone_mp3() -> bytes:
    rate = 24000
    t = np.arange(rate // 4) / rate
    return encode_mp3(Clip((0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate), 32)


def _reply(mp3: bytes) -> str:
    payload = base64.b64encode(mp3).decode("ascii")
    return ')]}\'\n\n[["wrb.fr","jQ1olc","[\\"' + payload + '\\"]",null,null,null,"generic"]]\n'


def _spoken(request: requests.PreparedRequest) -> str:
    """The text gTTS asked Google to speak in ``request``."""
    body = request.body if isinstance(request.body, str) else (request.body or b"").decode()
    rpc = json.loads(unquote_plus(body.removeprefix("f.req=").rstrip("&")))
    return str(json.loads(rpc[0][0][1])[0])


class Sleeps:
    """Stands in for the ``time`` module in the gTTS backend: records backoff delays."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)


Answer = tuple[int, dict[str, str], str]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder whose narrator.toml voices everything with gTTS; fast backoff."""
    (tmp_path / "narrator.toml").write_text(
        '[voice]\nbackend = "gtts"\n[quote_voice]\nbackend = "gtts"\n', encoding="utf-8"
    )
    write_article(tmp_path / "in", "ferry.txt", TITLE, *BODY)
    write_article(tmp_path / "in", "quay.txt", "Quay", "The quay was quiet.")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(gtts_backend, "network_reason", lambda *a, **k: "")
    monkeypatch.setitem(
        backends._instances, "gtts", gtts_backend.GTTSBackend(retries=RETRIES, backoff=BACKOFF)
    )
    return tmp_path


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    recorder = Sleeps()
    monkeypatch.setattr(gtts_backend, "time", recorder)
    return recorder


@pytest.fixture
def network() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def flaky(
    mock: responses.RequestsMock, failure: Callable[[], Answer], mp3: bytes, times: int | None
) -> None:
    """Serve every sentence, but fail the flaky one ``times`` times first (None: always)."""
    failed = [0]

    def answer(request: requests.PreparedRequest) -> Answer:
        if FLAKY_WORD in _spoken(request) and (times is None or failed[0] < times):
            failed[0] += 1
            return failure()
        return 200, {}, _reply(mp3)

    mock.add_callback(responses.POST, GTTS_URL, callback=answer)


def _status(code: int) -> Callable[[], Answer]:
    return lambda: (code, {}, "")


def _raise(exc: Exception) -> Callable[[], Answer]:
    def fail() -> Answer:
        raise exc

    return fail


FAILURES = [
    pytest.param(_status(429), "429 (Too Many Requests)", id="429"),
    pytest.param(_status(500), "500 (Internal Server Error)", id="500"),
    pytest.param(_status(503), "503 (Service Unavailable)", id="503"),
    pytest.param(_raise(requests.ReadTimeout("read timed out")), "Failed to connect", id="timeout"),
    pytest.param(
        _raise(requests.ConnectionError("connection refused")),
        "Failed to connect",
        id="connection-error",
    ),
]


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # pragma: no cover - click >= 8.2
        return CliRunner()


def _build(*extra: str) -> Result:
    return _runner().invoke(cli, ["build", "in", "-o", "out", "--jobs", "1", "--no-cache", *extra])


def _errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


def _flaky_calls(mock: responses.RequestsMock) -> list[object]:
    return [c for c in mock.calls if FLAKY_WORD in _spoken(c.request)]  # type: ignore[arg-type]


def _check_backoff(delays: list[float]) -> None:
    """Exponential backoff with jitter: attempt k waits backoff * 2**k * [0.5, 1.5)."""
    assert len(delays) == RETRIES
    for attempt, delay in enumerate(delays):
        nominal = BACKOFF * 2**attempt
        assert 0.5 * nominal <= delay < 1.5 * nominal


@pytest.mark.parametrize(("failure", "said"), FAILURES)
def test_transient_failures_are_retried_with_backoff_then_succeed(
    site: Path,
    network: responses.RequestsMock,
    sleeps: Sleeps,
    tone_mp3: bytes,
    failure: Callable[[], Answer],
    said: str,
) -> None:
    flaky(network, failure, tone_mp3, times=RETRIES)  # the last allowed attempt succeeds
    result = _build()
    assert result.exit_code == 0, result.output
    assert len(_flaky_calls(network)) == RETRIES + 1
    _check_backoff(sleeps.delays)
    assert sorted(audit(site / "out").items) == [TITLE, "Quay"]


@pytest.mark.parametrize(("failure", "said"), FAILURES)
def test_persistent_failure_is_one_error_naming_article_and_segment(
    site: Path,
    network: responses.RequestsMock,
    sleeps: Sleeps,
    tone_mp3: bytes,
    failure: Callable[[], Answer],
    said: str,
) -> None:
    flaky(network, failure, tone_mp3, times=None)
    result = _build()
    assert result.exit_code == 1
    [error] = _errors(result)
    assert error.startswith(f"Error: {Path('in') / 'ferry.txt'}: {SEGMENT}: gTTS failed: {said}")
    assert len(_flaky_calls(network)) == RETRIES + 1  # bounded: no endless retrying
    _check_backoff(sleeps.delays)
    assert "1 rebuilt, 1 failed" in result.stdout  # the other article was still built
    assert list(audit(site / "out").items) == ["Quay"]


def test_client_error_is_not_retried(
    site: Path, network: responses.RequestsMock, sleeps: Sleeps, tone_mp3: bytes
) -> None:
    flaky(network, _status(403), tone_mp3, times=None)
    result = _build()
    assert result.exit_code == 1
    assert len(_flaky_calls(network)) == 1
    assert sleeps.delays == []
    [error] = _errors(result)
    assert f"{SEGMENT}: gTTS failed: 403 (Forbidden)" in error


def test_every_request_has_a_timeout(
    site: Path, network: responses.RequestsMock, tone_mp3: bytes
) -> None:
    flaky(network, _status(200), tone_mp3, times=0)
    assert _build().exit_code == 0
    timeouts = {call.request.req_kwargs["timeout"] for call in network.calls}  # type: ignore[attr-defined]
    assert timeouts == {gtts_backend.TIMEOUT_S}


def test_jitter_spreads_the_retries(
    site: Path, network: responses.RequestsMock, sleeps: Sleeps, tone_mp3: bytes
) -> None:
    flaky(network, _status(429), tone_mp3, times=None)
    _build()
    first = list(sleeps.delays)
    sleeps.delays.clear()
    _build()
    assert len(first) == len(sleeps.delays) == RETRIES
    assert first != sleeps.delays  # two clients failing together do not retry in step


def test_offline_hint_says_gtts_needs_the_network(
    site: Path,
    network: responses.RequestsMock,
    sleeps: Sleeps,
    tone_mp3: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reason = "gTTS needs network access to translate.google.com (gaierror: no DNS)"
    monkeypatch.setattr(gtts_backend, "network_reason", lambda *a, **k: reason)
    flaky(network, _raise(requests.ConnectionError("no route")), tone_mp3, times=None)
    [error] = _errors(_build())
    assert error.endswith(f"({reason})")


def test_fallback_is_not_used_when_gtts_works(
    site: Path, network: responses.RequestsMock, tone_mp3: bytes
) -> None:
    flaky(network, _status(503), tone_mp3, times=0)
    result = _build("--fallback", "piper")
    assert result.exit_code == 0
    assert "fallback" not in result.stdout
