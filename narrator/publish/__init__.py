"""Publish: what listeners and podcast apps see.

Per episode: ``tags`` (ID3v2.4 with art, chapters, transcript), ``transcripts``
(WebVTT, SRT), ``chapters``, ``cover`` (show art), ``durations`` (every way a
time is written out). For the show: ``catalog``
(GUIDs and first-published dates kept across builds), ``feed`` (RSS 2.0 with
iTunes and Podcasting 2.0 tags), ``page`` (the static listening page, from
``templates/``) and ``serve`` (the HTTP server podcast apps subscribe to).

The last stage: it hands nothing on.
"""
