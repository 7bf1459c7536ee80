"""Stage: spoken sentences × voice → audio clips.

Applies a voice's delivery (pitch with tempo compensation) around the backend
call and trims the backend's own leading and trailing silence, so that pauses
are entirely narrator's choice. A clip leaves here with 16-bit samples
(``narrator.audio.transform.quantize``): what the clip cache keeps of it, losslessly,
is then exactly what an episode made from the fresh clip used.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from narrator.models import Clip, Voice
from narrator.voice.backends import get_backend

log = logging.getLogger(__name__)


def voice_identity(voice: Voice) -> str:
    """What identifies the audio a voice makes: backend identity plus settings."""
    settings = ";".join(f"{k}={v}" for k, v in sorted(voice.settings().items()))
    return f"{get_backend(voice.backend).identity(voice)}|{settings}"


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
    clip = backend.synthesize(text, asked)
    clip = shift_pitch(clip, voice.pitch)
    return quantize(trim(clip))
