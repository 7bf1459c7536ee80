"""Plain-text reader: layout into units, site chrome off, then title, headings, paragraphs.

A saved e-mail's header block gives the title (its subject), author and date.

:mod:`narrator.text.layout` decides which newlines are paragraph breaks (blank
lines, hard wrapping, indents, one paragraph per line) and drops page furniture;
:mod:`narrator.text.chrome` finds the headline and the site chrome around the
article by position and line shape. What is left is read as headings (short bare
lines), bullet lists and paragraphs; lines quoted e-mail style (``> …``) are a block
quotation.
"""

from __future__ import annotations

import contextlib
import re
from email.utils import parsedate_to_datetime

from narrator.text.boilerplate import LineRules, boilerplate_rule, is_section_break
from narrator.text.chrome import find_chrome
from narrator.text.layout import Unit, remove_page_furniture, split_units
from narrator.text.readers import Draft, clean_text

__all__ = ["looks_like_heading", "read_text"]

BULLET = re.compile(r"^\s*[•◦▪‣*+-]\s+(?=\S)")
"""A list item marker at the start of a line."""

CHAPTER_LABEL = re.compile(r"^(chapter|part|book)\s+([ivxlcdm]+|\d+|[a-z]+)\.?$", re.IGNORECASE)
""""CHAPTER XXVI": a label above the real title in book excerpts."""

HEADING_MAX_WORDS = 10
HEADING_MAX_CHARS = 80
SENTENCE_END = tuple(".!?:;,…\"'”’)]")


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


def _add_unit(draft: Draft, unit: Unit, *, kept: bool = False) -> None:
    lines = [line.strip() for line in unit.text.split("\n")]
    joined = clean_text(" ".join(lines))
    if not kept and (is_section_break(joined) or boilerplate_rule(joined)):
        draft.dropped.append(joined)
        return
    items = _split_bullets(lines)
    if items is not None:
        for item in items:
            draft.add("list_item", item, quoted=unit.quoted)
    elif looks_like_heading([joined]) and unit.lines == 1 and not unit.quoted:
        draft.add("heading", joined)
    else:
        draft.add("paragraph", joined, quoted=unit.quoted)


EMAIL_HEADER = re.compile(r"^(subject|from|to|cc|date|sent|reply-to):[ \t]*(.*)$", re.IGNORECASE)
REPLY_PREFIX = re.compile(r"^(?:(?:re|fwd?|aw|sv)\s*:\s*)+", re.IGNORECASE)


def _email_headers(text: str, draft: Draft) -> str:
    """Read a saved e-mail's header block (``Subject:``, ``From:``, ``Date:`` …) into the draft.

    The subject is the title, the sender's name the author, the date the publication
    date; the header lines are dropped. Returns the text after the headers (the whole
    text when the first block is not a header block with a subject).
    """
    lines = text.lstrip("\n").split("\n")
    headers: dict[str, str] = {}
    end = 0
    while end < len(lines) and lines[end].strip():
        match = EMAIL_HEADER.match(lines[end].strip())
        if match is None:
            return text
        headers[match.group(1).lower()] = match.group(2).strip()
        end += 1
    if not headers.get("subject"):
        return text
    draft.title = clean_text(REPLY_PREFIX.sub("", headers["subject"]))
    sender = headers.get("from", "")
    name = clean_text(re.sub(r"<[^>]*>|\S+@\S+", "", sender)).strip("\"' ")
    draft.author = name or None
    with contextlib.suppress(TypeError, ValueError):  # no date, or not an RFC 5322 one
        draft.published = parsedate_to_datetime(headers.get("date", "")).date()
    draft.dropped.extend(clean_text(line) for line in lines[:end])
    return "\n".join(lines[end:])


def read_text(text: str, rules: LineRules | None = None) -> Draft:
    """Read a plain-text article; ``rules`` are the user's and the batch's line verdicts."""
    rules = rules or LineRules()
    draft = Draft()
    text = _email_headers(text, draft)
    units, furniture = remove_page_furniture(split_units(text))
    draft.dropped.extend(furniture)
    verdicts = [rules.verdict(unit.text) for unit in units]
    chrome = find_chrome(units, verdicts, titled=bool(draft.title))
    for i, unit in enumerate(units):
        joined = clean_text(unit.text)
        if i == chrome.title:
            draft.title = joined
        elif i in chrome.dropped or (not draft.title and CHAPTER_LABEL.match(joined)):
            draft.dropped.append(joined)
        else:
            _add_unit(draft, unit, kept=verdicts[i] == "keep")
    return draft
