"""Voice: sentences become audio clips.

``backends/`` holds the voices (Piper, offline; gTTS, online) behind one
protocol and a lazy registry; ``render`` voices one sentence with one voice
(and gives quotes their distinct delivery); ``synthesizer`` voices every
sentence of a build at once, skipping what the clip store holds, over worker
processes (``workers``) or a Dask cluster (``cluster``); ``config_check`` checks
the backend names and scheduler that ``narrator.toml`` gives.

Hands each article's ``Clip`` objects to ``narrator.audio``.
"""
