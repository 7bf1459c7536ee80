"""Chapters from timings: per heading, or per run of paragraphs with meaningful titles."""

from __future__ import annotations

import pytest

from narrator.models import Cue
from narrator.publish.chapters import MIN_CHAPTER_S, make_chapters


def cue(start: float, text: str, paragraph: int | None, kind: str = "narration") -> Cue:
    return Cue(start, start + 5.0, text, 0, paragraph, kind)  # type: ignore[arg-type]


def test_one_chapter_per_heading_after_the_title() -> None:
    cues = [
        cue(0.4, "The title", None, "title"),
        cue(7.0, "Intro paragraph.", 0),
        cue(20.0, "First heading", 1, "heading"),
        cue(30.0, "Body.", 2),
        cue(60.0, "Second heading", 3, "heading"),
    ]
    chapters = make_chapters(cues, 90.0, "The title")
    assert [c.title for c in chapters] == ["The title", "First heading", "Second heading"]
    assert [c.start for c in chapters] == [0.0, 20.0, 60.0]
    assert [c.end for c in chapters] == [20.0, 60.0, 90.0]


def test_paragraph_runs_make_chapters_titled_by_their_opening_words() -> None:
    step = MIN_CHAPTER_S / 2
    cues = [cue(0.4, "Title", None, "title")]
    for n in range(8):
        cues.append(cue(5 + n * step, "I suppose.", n))
        cues.append(cue(7 + n * step, f"Paragraph {n} then says something else. And more.", n))
    chapters = make_chapters(cues, 5 + 8 * step, "Title")
    assert len(chapters) >= 3
    for chapter in chapters[1:]:
        # A short opening sentence is continued by the rest of its paragraph.
        assert chapter.title.startswith("I suppose. Paragraph")
        assert chapter.title.endswith("else…")  # no ".…" when the cut falls on a full stop
        assert chapter.end - chapter.start >= MIN_CHAPTER_S / 2
    assert chapters[-1].end == pytest.approx(5 + 8 * step)


def test_no_cues_no_chapters() -> None:
    assert make_chapters([], 10.0, "T") == ()
