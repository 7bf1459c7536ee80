"""The articles of the unseen-article audit (``tests/data/unseen``) are read and spoken.

They came after the reading rules were written (their README says from where), so
they check the rules on text the rules were not tuned for: every one is read with a
title and a body, and what the voice says holds no bare digits and none of the
symbols espeak reads aloud or trips on. Digits glued to letters (``fips140``,
``ARMv8``) are names espeak reads well enough and are allowed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from narrator.text.ingest import read_article
from narrator.text.normalize import speak
from narrator.text.segment import segment_article

UNSEEN = Path(__file__).resolve().parents[1] / "data" / "unseen"
UNSPEAKABLE = re.compile(r"(?<![A-Za-z0-9])[0-9]|[#@/\\|_~^<>*=]")
"""A digit not glued to a word, or a symbol espeak would say or skip."""

ARTICLES = sorted(path for path in UNSEEN.iterdir() if path.name[0].isdigit())


def test_the_unseen_articles_are_there() -> None:
    assert len(ARTICLES) >= 9


@pytest.mark.parametrize("path", ARTICLES, ids=lambda path: path.stem)
def test_an_unseen_article_is_read_and_every_word_is_speakable(path: Path) -> None:
    article = read_article(path)
    assert article.title and article.blocks
    segments = segment_article(article)
    assert any(segment.kind == "narration" for segment in segments)
    leftovers = [
        speak(segment).text[max(0, m.start() - 20) : m.end() + 20]
        for segment in segments
        for m in UNSPEAKABLE.finditer(speak(segment).text)
    ]
    assert leftovers == []
