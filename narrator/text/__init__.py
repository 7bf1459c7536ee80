"""Text: from an article file to the sentences a voice will say.

``ingest`` reads a ``.txt``, ``.md`` or ``.html`` file (any encoding) through the
reader for its type (``readers/``), pulls the article out of page chrome and
drops boilerplate by rule (``boilerplate``), giving an ``Article``. ``segment``
cuts it into title, headings, narration and quotations (``Segment``), and
``normalize`` gives each its spoken form (``Utterance``): numbers, dates,
money, abbreviations, symbols. ``limits`` refuses what is too big to read.

Hands ``Utterance`` objects to ``narrator.voice``.
"""
