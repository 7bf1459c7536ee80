"""Readers by file type: each turns decoded text into a :class:`Draft`.

A reader knows its format's markup; what counts as boilerplate, slugs, dates and
errors are handled once, in :mod:`narrator.text.ingest`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from narrator.models import Block, BlockKind
from narrator.text.chars import drop_invisible

__all__ = ["Draft", "clean_text"]


def clean_text(text: str) -> str:
    """Drop invisible format characters and collapse runs of whitespace (NBSP too).

    The invisible characters are :data:`narrator.text.chars.INVISIBLE`;
    ``str.split()`` already counts the odd spaces as whitespace.
    """
    return " ".join(drop_invisible(text).split())


@dataclass(slots=True)
class Draft:
    """What a reader found, before boilerplate filtering and validation."""

    title: str = ""
    blocks: list[Block] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    author: str | None = None
    published: dt.date | None = None
    url: str | None = None
    description: str = ""
    updated: dt.date | None = None
    """When a changed version of a fetched article replaced the first (snapshots only)."""
    url_key: str | None = None
    """The identity of a fetched page (snapshots only): its normalised canonical URL."""

    def add(self, kind: BlockKind, text: str, *, quoted: bool = False) -> None:
        """Append a block of cleaned text (``quoted``: in a block quotation); empty text is
        ignored."""
        cleaned = clean_text(text)
        if cleaned:
            self.blocks.append(Block(kind, cleaned, quoted))
