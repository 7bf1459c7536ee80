"""Build: the whole run, from article files to a published folder.

``pipeline`` collects articles, plans their sentences through ``narrator.text``,
voices what changed through ``narrator.voice``, has ``episode`` write each
episode (through ``narrator.audio`` and ``narrator.publish``), then writes the
feed and the page.
``store`` is the content-addressed cache (clips, MP3 chunks, loudness data),
``lock`` allows one build per output folder, ``atomic`` writes files by
temporary file and rename, ``checkpoints`` lets tests pause a build at a named
point, and ``versions`` gives the package versions that go into cache keys.
"""
