"""Plain-text reader: title line, blank-line paragraphs, bare-line headings, bullets."""

from __future__ import annotations

import re

from narrator.text.boilerplate import boilerplate_rule, is_section_break
from narrator.text.readers import Draft, clean_text

__all__ = ["read_text"]

BULLET = re.compile(r"^\s*[•◦▪‣*+-]\s+(?=\S)")
"""A list item marker at the start of a line."""

CHAPTER_LABEL = re.compile(r"^(chapter|part|book)\s+([ivxlcdm]+|\d+|[a-z]+)\.?$", re.IGNORECASE)
""""CHAPTER XXVI": a label above the real title in book excerpts."""

HEADING_MAX_WORDS = 10
HEADING_MAX_CHARS = 80
SENTENCE_END = tuple(".!?:;,…\"'”’)]")


def _paragraphs(text: str) -> list[list[str]]:
    """Blank-line separated paragraphs, each as its list of stripped lines."""
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


def looks_like_heading(lines: list[str]) -> bool:
    """A short bare line: one line, few words, no sentence punctuation at its end."""
    if len(lines) != 1:
        return False
    line = clean_text(lines[0])
    return (
        0 < len(line) <= HEADING_MAX_CHARS
        and len(line.split()) <= HEADING_MAX_WORDS
        and not line.endswith(SENTENCE_END)
        and not line.startswith(('"', "“", "‘", "'", "(", "["))
        and any(ch.isalpha() for ch in line)
    )


def _split_bullets(lines: list[str]) -> list[str] | None:
    """The items of a paragraph made of bullet lines, or None if it is not a list."""
    if not BULLET.match(lines[0]):
        return None
    items: list[str] = []
    for line in lines:
        if BULLET.match(line):
            items.append(BULLET.sub("", line, count=1))
        else:
            items[-1] += " " + line  # wrapped continuation of the item above
    return items


def read_text(text: str) -> Draft:
    """Read a plain-text article."""
    draft = Draft()
    for lines in _paragraphs(text):
        joined = clean_text(" ".join(lines))
        if is_section_break(joined) or boilerplate_rule(joined):
            draft.dropped.append(joined)
            continue
        if not draft.title:
            if CHAPTER_LABEL.match(joined):
                draft.dropped.append(joined)
                continue
            draft.title = joined
            continue
        items = _split_bullets(lines)
        if items is not None:
            for item in items:
                draft.add("list_item", item)
        elif looks_like_heading(lines):
            draft.add("heading", joined)
        else:
            draft.add("paragraph", joined)
    return draft
