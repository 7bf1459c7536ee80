"""Properties of the reading stages, for any text (hypothesis).

For any file content: ingest either returns an article or raises NarratorError
(never anything else); segmenting and speaking never raise; a segment with
words is never spoken as silence; and no word of the body is lost on the way.

A *word* here is a maximal run of letters and digits (``str.isalnum``), so
punctuation, quotation marks, bullets and markup characters may come and go,
but "Gdańsk", "1994", "3" and "5" in "3.5" may not.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from narrator.errors import NarratorError
from narrator.models import Article
from narrator.text.chars import drop_invisible
from narrator.text.ingest import read_article
from narrator.text.normalize import speak
from narrator.text.segment import segment_article

WORD_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lo", "Nd", "Nl", "No"})
"""Letters and numbers. Not modifier letters (``ˆ``, ``ʼ``), marks or ``_``: nobody says them."""

EXAMPLES = int(os.environ.get("NARRATOR_HYPOTHESIS_EXAMPLES", "200"))
"""Examples per property (the HTML one runs a third as many: trafilatura is slower)."""

TOKENS = [
    "Mr.", "Dr.", "Gov.", "Mrs", "St.", "U.S.", "NATO", "e.g.", "i.e.", "etc.", "No.",
    "$1.2bn", "£5.3m", "€40", "3.5%", "1994", "1994-2020", "2,000", "1st", "21st", "XIV",
    "Gdańsk", "Москва", "東京", "naïve", "Ærø", "ﬁne", "İstanbul", "ß", "½", "²", "٣",
    "…", "...", "—", "–", "-", "/", "&", "+", "=", "#tag", "@user", "*", "_", "~", "|",
    "\"", "“", "”", "‘", "’", "'", "«", "»", "(", ")", "[", "]", "<b>", "</b>", "&amp;",
    "said", "the", "a", "council", "said:", "Yes.", "No!", "Why?", "and", "of", "to",
    "https://example.com/a?b=1", "me@example.com", "10:30", "3/4", "24/7", "AT&T", "🙂",
]  # fmt: skip


def words(text: str) -> list[str]:
    """Maximal runs of letters, digits and their combining marks (NFC), with a letter or digit."""

    def part(ch: str) -> bool:
        category = unicodedata.category(ch)
        return category in WORD_CATEGORIES or category[0] == "M"

    runs = "".join(ch if part(ch) else " " for ch in drop_invisible(text)).split()
    return [
        unicodedata.normalize("NFC", run)
        for run in runs
        if any(unicodedata.category(ch) in WORD_CATEGORIES for ch in run)
    ]


def body_words(article: Article) -> list[str]:
    return words(article.title) + [w for block in article.blocks for w in words(block.text)]


@st.composite
def articleish(draw: st.DrawFn) -> str:
    """Text shaped like an article: a title line, blank-line paragraphs, awkward tokens."""
    token = st.one_of(st.sampled_from(TOKENS), st.text(min_size=1, max_size=8))
    sep = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", "\t", "\u00a0", ""])
    pieces = draw(st.lists(st.tuples(token, sep), min_size=3, max_size=80))
    title = draw(st.lists(st.sampled_from(TOKENS), min_size=0, max_size=6))
    return " ".join(title) + "\n\n" + "".join(t + s for t, s in pieces)


any_text = st.one_of(articleish(), articleish(), st.text(max_size=300))


def _read(text: str, suffix: str) -> Article | None:
    """Ingest ``text`` from a real file; None when ingest refuses it (with NarratorError)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"article{suffix}"
        path.write_text(text, encoding="utf-8")
        try:
            return read_article(path)
        except NarratorError as exc:
            assert str(exc).startswith(str(path)), "errors name the file"
            event(f"refused: {exc.message[:24]}")
            return None


def _check_segments_and_speech(article: Article) -> None:
    segments = segment_article(article)
    event(f"segments: {min(len(segments), 10)}{'+' if len(segments) >= 10 else ''}")
    event(f"quotes: {any(s.kind == 'quote' for s in segments)}")
    assert [s.index for s in segments] == list(range(len(segments)))
    said = [w for s in segments for w in words(s.text)]
    assert Counter(said) == Counter(body_words(article)), "segmenting lost or added a word"
    for segment in segments:
        utterance = speak(segment)
        if words(segment.text):
            assert words(utterance.text), f"silence for {segment.text!r}"
            assert utterance.sentences, f"no sentence for {segment.text!r}"
            assert all(s.strip() for s in utterance.sentences)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=any_text)
@example(text='Title\n\n"Quote," he said. “Another” — Dr. Who, 1994-2020, $1.2bn.')
@example(text="\n\n\n")
@example(text="Only a title")
@example(text="T\n\n…")
def test_plain_text_ingest_keeps_every_word_segment_and_speak_never_fail(text: str) -> None:
    article = _read(text, ".txt")
    if article is None:
        return
    # Ingest may drop boilerplate and metadata lines, but it records them: nothing vanishes.
    dropped = Counter(w for line in article.dropped for w in words(line))
    kept = Counter(body_words(article)) + dropped
    source = Counter(words(text))
    if words(article.title) == ["article"] and not source["article"]:
        kept -= Counter(["article"])  # no title in the text: it comes from the file name
    assert kept == source, "ingest lost or invented a word"
    _check_segments_and_speech(article)


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(text=any_text)
def test_markdown_ingest_never_fails_and_segments_keep_its_words(text: str) -> None:
    article = _read(text, ".md")
    if article is not None:
        _check_segments_and_speech(article)


@settings(max_examples=EXAMPLES // 3, deadline=None)
@given(text=any_text)
def test_html_ingest_never_fails_and_segments_keep_its_words(text: str) -> None:
    for html in (text, f"<html><body><h1>{text[:20]}</h1><p>{text}</p></body></html>"):
        article = _read(html, ".html")
        if article is not None:
            _check_segments_and_speech(article)


@settings(max_examples=EXAMPLES, deadline=None)
@given(text=st.text(min_size=1, max_size=200), kind=st.sampled_from(["narration", "quote"]))
def test_speak_gives_words_for_any_segment_with_words(text: str, kind: str) -> None:
    from narrator.models import Segment

    segment = Segment(index=1, paragraph=0, kind=kind, text=text)  # type: ignore[arg-type]
    utterance = speak(segment)
    if words(text):
        assert words(utterance.text), f"silence for {text!r}"
        assert utterance.sentences


@pytest.mark.parametrize("text", ["𫥽", "𣈵 𰮯"])
def test_segment_of_rare_ideographs_is_not_silent(text: str) -> None:
    """Letters anyascii cannot spell (rare CJK ideographs) are named, not dropped."""
    from narrator.models import Segment

    spoken = speak(Segment(index=0, paragraph=None, kind="title", text=text)).text
    assert words(spoken)
    assert "Chinese character" in spoken


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_any_bytes_are_read_or_refused_with_a_narrator_error(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"article{suffix}"
        path.write_bytes(data)
        try:
            article = read_article(path)
        except NarratorError as exc:
            assert str(exc).startswith(str(path))
            assert "\n" not in str(exc), "an error is one line"
            return
    _check_segments_and_speech(article)
