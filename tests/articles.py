"""Short articles the build tests share (each voices in a second or two)."""

from collections.abc import Mapping
from pathlib import Path


def article_folder(root: Path, texts: Mapping[str, str]) -> Path:
    """``root/articles`` holding ``NAME.txt`` for each name and text of ``texts``."""
    folder = root / "articles"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


HARBOUR = """Harbour Lights

The harbour lights came on at dusk. The boats returned slowly.

A gull watched from the old stone wall.

The last ferry left at nine.
"""
