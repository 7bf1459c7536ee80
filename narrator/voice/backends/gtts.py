"""Google Translate's text-to-speech through the gTTS library (online).

Polite to Google: bounded retries with exponential backoff and jitter on
timeouts, connection errors, 429 and 5xx; results are cached by narrator's clip
cache so a sentence is requested once.
"""

from __future__ import annotations

import io
import logging
import random
import socket
import time

from narrator.build.versions import package_version
from narrator.errors import NarratorError
from narrator.models import Clip, Voice
from narrator.voice.backends import BackendInfo

log = logging.getLogger(__name__)

HOST = "translate.google.com"
RETRIES = 4
BACKOFF_S = 0.5
TIMEOUT_S = 10.0


def network_reason(host: str | None = None, timeout: float = 1.5) -> str:
    """Why ``host`` (default: Google Translate) cannot be reached, or '' when it can."""
    host = host or HOST
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return ""
    except OSError as exc:
        return f"gTTS needs network access to {host} ({exc.__class__.__name__}: {exc})"


def _retryable(exc: Exception) -> bool:
    from gtts.tts import gTTSError

    if not isinstance(exc, gTTSError):
        return False
    response = getattr(exc, "rsp", None)
    status = getattr(response, "status_code", None)
    return status is None or status == 429 or status >= 500


class GTTSBackend:
    """gTTS: Google's voice, needs the network."""

    name = "gtts"

    def __init__(self, retries: int = RETRIES, backoff: float = BACKOFF_S) -> None:
        self.retries = retries
        self.backoff = backoff

    @staticmethod
    def describe() -> BackendInfo:
        reason = network_reason()
        return BackendInfo(
            "gtts",
            "Google Translate voice via gTTS (online)",
            not reason,
            reason,
            ("any gTTS language ([voice] language = en, fr, …; name = co.uk: British)",),
        )

    def identity(self, voice: Voice) -> str:
        gtts_version = package_version("gTTS", "gtts")
        return f"gtts={gtts_version};lang={voice.language};tld={voice.name or 'com'}"

    def fetch_mp3(self, text: str, voice: Voice) -> bytes:
        """The MP3 bytes Google returns for ``text``, with bounded retries."""
        from gtts import gTTS

        tts = gTTS(text, lang=voice.language, tld=voice.name or "com", lang_check=False)
        tts.timeout = TIMEOUT_S
        for attempt in range(self.retries + 1):
            buffer = io.BytesIO()
            try:
                tts.write_to_fp(buffer)
                return buffer.getvalue()
            except Exception as exc:
                if attempt == self.retries or not _retryable(exc):
                    raise NarratorError(
                        f"gTTS failed: {exc}", hint=network_reason() or None
                    ) from exc
                delay = self.backoff * 2**attempt * (0.5 + random.random())
                log.warning(
                    "gTTS attempt %d failed (%s); retrying in %.1fs", attempt + 1, exc, delay
                )
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def synthesize(self, text: str, voice: Voice) -> Clip:
        from narrator.audio.codec import decode

        return decode(self.fetch_mp3(text, voice), "mp3")
