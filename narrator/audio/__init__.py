"""Audio: clips become one leveled, encoded episode.

``assemble`` lays the clips out with their pauses, cuts the episode into
chunks at pauses and times every sentence (``Cue``); ``leveling`` gives the
episode one gain and limits each chunk's true peak; ``codec`` encodes chunks
to MP3 and joins them frame to frame (and decodes MP3 for gTTS). The signal
processing is numpy: ``filters`` (FIR/FFT filters, equal to scipy's),
``loudness`` (K-weighting and BS.1770 gating), ``peak`` (true peak and the
limiter), ``transform`` (silence, resampling, pitch, trimming, fades of a clip).

Hands MP3 bytes and cue timings to ``narrator.publish``.
"""
