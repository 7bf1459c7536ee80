"""Stage: spoken sentences × voice → audio clips.

Applies a voice's delivery (pitch with tempo compensation) around the backend
call and trims the backend's own leading and trailing silence, so that pauses
are entirely narrator's choice.

A backend whose memory grows with the text of one call (Piper, where its decoder
is not split: about 20 MB per second of audio, see ``bench/README.md``) says how
long that text may be with a ``max_chars`` attribute (or, per voice, a
``max_chars_for(voice)`` method); a longer sentence is voiced in parts cut at clause
punctuation (:func:`~narrator.text.normalize.sentences.split_long`) and joined
with :data:`CLAUSE_PAUSE`. The sentence stays one clip under one cache key.

A clip leaves here with 16-bit samples (``narrator.audio.transform.quantize``):
what the clip cache keeps of it, losslessly, is then exactly what an episode made
from the fresh clip used.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Final

from narrator.models import Clip, Voice
from narrator.voice.backends import Backend, get_backend

log = logging.getLogger(__name__)

CLAUSE_PAUSE: Final[float] = 0.2
"""Silence (seconds) between the parts of a sentence voiced in several calls, besides the
20 ms of margin :func:`~narrator.audio.transform.trim` leaves on each side: 0.24 s in all.

Why: Piper's own pauses at a comma inside a sentence measured 0.25–0.45 s (most near
0.3 s) on the corpus's long article, and a sentence pause is 0.35 s (``Pauses.sentence``);
a join a little shorter than a comma pause reads as one sentence. Fails: a part cut at
a space, not at punctuation (a clause longer than the limit), gets the pause too.
"""


def voice_identity(voice: Voice) -> str:
    """What identifies the audio a voice makes: backend identity plus settings."""
    settings = ";".join(f"{k}={v}" for k, v in sorted(voice.settings().items()))
    return f"{get_backend(voice.backend).identity(voice)}|{settings}"


def text_parts(text: str, backend: Backend, voice: Voice | None = None) -> list[str]:
    """``text`` cut into the parts ``backend`` voices one call each (usually one part):
    at most ``backend.max_chars_for(voice)`` characters each where the backend has that
    method and ``voice`` is given, else ``backend.max_chars``, else no limit."""
    from narrator.text.normalize.sentences import split_long

    limit = getattr(backend, "max_chars", None)
    per_voice = getattr(backend, "max_chars_for", None)
    if voice is not None and callable(per_voice):
        limit = per_voice(voice)
    if not isinstance(limit, int) or limit <= 0 or len(text) <= limit:
        return [text]
    parts = [part.strip() for part in split_long(text, limit) if part.strip()]
    log.debug("voicing a sentence of %d characters in %d parts", len(text), len(parts))
    return parts or [text]


def render(text: str, voice: Voice) -> Clip:
    """Speak ``text`` with ``voice`` and its delivery, as 16-bit samples."""
    from narrator.audio.transform import (  # numpy only: workers never import scipy
        quantize,
        shift_pitch,
        trim,
    )

    backend = get_backend(voice.backend)
    # Shifting pitch by p also speeds playback by p: ask for a tempo p times slower first.
    asked = replace(voice, length_scale=voice.length_scale * voice.pitch)
    parts = text_parts(text, backend, asked)
    if len(parts) == 1:
        clip = backend.synthesize(text, asked)
    else:
        clip = _joined([trim(backend.synthesize(part, asked)) for part in parts])
    clip = shift_pitch(clip, voice.pitch)
    return quantize(trim(clip))


def _joined(clips: list[Clip]) -> Clip:
    """``clips`` one after another, :data:`CLAUSE_PAUSE` apart (all at the first one's rate)."""
    import numpy as np

    from narrator.audio.transform import silence

    rate = clips[0].sample_rate
    if any(clip.sample_rate != rate for clip in clips):
        raise ValueError("parts of one sentence came back at different sample rates")
    pause = silence(CLAUSE_PAUSE, rate)
    pieces = [piece for clip in clips for piece in (pause, clip.samples)][1:]
    return Clip(np.concatenate(pieces).astype(np.float32, copy=False), rate)
