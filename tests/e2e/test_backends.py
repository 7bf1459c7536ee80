"""The Piper backend speaking with the shipped voice, offline."""

from __future__ import annotations

import numpy as np

from narrator.models import Voice
from narrator.voice.backends import get_backend


def test_piper_speaks_offline_with_the_shipped_voice() -> None:
    backend = get_backend("piper")
    clip = backend.synthesize("Hello from the offline voice.", Voice("piper", ""))
    assert clip.sample_rate == 22050
    assert 1.0 < clip.duration < 4.0
    assert float(np.sqrt(np.mean(clip.samples**2))) > 0.02
    assert "model=" in backend.identity(Voice("piper", ""))
