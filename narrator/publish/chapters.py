"""Chapters: one per heading, or one per run of paragraphs when there are none."""

from __future__ import annotations

from collections.abc import Sequence

from narrator.models import Chapter, Cue

MIN_CHAPTER_S = 30.0
"""Paragraph runs are grouped until a chapter lasts at least this long."""
TITLE_WORDS = 8


def _short_title(text: str) -> str:
    words = text.split()
    if len(words) <= TITLE_WORDS:
        return " ".join(words)
    return " ".join(words[:TITLE_WORDS]).rstrip(".,;:—–-") + "…"


def _paragraph_texts(cues: Sequence[Cue]) -> dict[int | None, str]:
    """The whole text of each paragraph, so a chapter title never stops at a short sentence."""
    texts: dict[int | None, list[str]] = {}
    for cue in cues:
        texts.setdefault(cue.paragraph, []).append(cue.text)
    return {paragraph: " ".join(parts) for paragraph, parts in texts.items()}


def make_chapters(cues: Sequence[Cue], total: float, article_title: str) -> tuple[Chapter, ...]:
    """Chapters covering the whole episode, from 0 to ``total`` seconds, in order."""
    if not cues:
        return ()
    starts: list[tuple[float, str]] = [(0.0, article_title)]
    if any(c.kind == "heading" for c in cues):
        starts += [(c.start, c.text.strip()) for c in cues if c.kind == "heading"]
    else:
        paragraph_starts: list[Cue] = []
        for cue in cues:
            if cue.paragraph is not None and (
                not paragraph_starts or paragraph_starts[-1].paragraph != cue.paragraph
            ):
                paragraph_starts.append(cue)
        text_of = _paragraph_texts(cues)
        last = 0.0
        for cue in paragraph_starts[1:]:
            if cue.start - last >= MIN_CHAPTER_S and total - cue.start >= MIN_CHAPTER_S / 2:
                starts.append((cue.start, _short_title(text_of[cue.paragraph])))
                last = cue.start
    # The title and a heading that opens the body at once would make an empty chapter.
    merged: list[tuple[float, str]] = []
    for start, title in starts:
        if merged and start - merged[-1][0] < 2.0:
            merged[-1] = (merged[-1][0], title if merged[-1][1] == article_title else merged[-1][1])
            continue
        merged.append((start, title))
    ends = [s for s, _ in merged[1:]] + [total]
    return tuple(Chapter(s, e, t) for (s, t), e in zip(merged, ends, strict=True))
