"""markdown reader (not written yet)."""

from __future__ import annotations

from narrator.errors import NarratorError
from narrator.readers import Draft

__all__ = ["read_markdown"]


def read_markdown(text: str) -> Draft:
    """Not supported yet."""
    raise NarratorError("markdown articles are not supported yet", hint="convert it to .txt")
