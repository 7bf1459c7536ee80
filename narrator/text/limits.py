"""Size limits that keep a build's memory and time bounded.

A build holds an episode's audio in memory while it assembles it (float32
samples, about 635 MB per hour at 44.1 kHz, and a few copies during the
loudness pass), so an article has a maximum length. Both limits are checked
before any synthesis starts, so an oversized article is refused in well under a
second instead of running for hours or exhausting memory.
"""

from __future__ import annotations

from pathlib import Path

from narrator.errors import NarratorError
from narrator.models import Article

MAX_FILE_BYTES = 20_000_000
"""Largest article file read at all (HTML pages carry markup, so this is generous)."""
MAX_BODY_CHARS = 200_000
"""Longest article body narrated: about 33,000 words, three and a half hours of audio."""


def check_file_size(path: Path, limit: int = MAX_FILE_BYTES) -> None:
    """Refuse a file larger than ``limit`` bytes before reading it."""
    try:
        size = path.stat().st_size
    except OSError:
        return  # reading it will report the problem in its own words
    if size > limit:
        raise NarratorError(
            f"file is too large to read: {size:,} bytes, over the limit of {limit:,}",
            path=path,
            hint="split it into several articles",
        )


def check_article_size(article: Article, limit: int = MAX_BODY_CHARS) -> None:
    """Refuse an article whose body is longer than ``limit`` characters."""
    chars = sum(len(block.text) for block in article.blocks)
    if chars > limit:
        raise NarratorError(
            f"article is too long to narrate: {chars:,} characters of text, over the limit of "
            f"{limit:,} (about 3.5 hours of audio)",
            path=article.source,
            hint="split it into several articles",
        )
