"""Audio: clips become one leveled, encoded episode.

``assemble`` lays the clips out with their pauses, cuts the episode into
chunks at pauses and times every sentence (``Cue``); ``leveling`` gives the
episode one gain and limits each chunk's true peak; ``codec`` encodes chunks
to MP3 and joins them frame to frame (and decodes MP3 for gTTS). The signal
processing is numpy: ``loudness`` (BS.1770 K-weighting and gating), ``peak``
(true peak and the limiter), ``transform`` (silence, resampling, pitch, trim,
fades) and ``filters`` (the FIR/FFT filters they share).

Hands MP3 bytes and cue timings to ``narrator.publish``.
"""
