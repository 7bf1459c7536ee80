"""Sentences: capitals at their starts, and splitting spoken text into them.

:func:`split_sentences` runs after every rule (on the whole normalised text),
and on written text when transcripts are aligned (``narrator.audio.assemble``).
"""

from __future__ import annotations

import re
from typing import Final

from narrator.text.normalize.abbreviations import TITLES
from narrator.text.normalize.sentence_ends import SENTENCE_STARTERS

MAX_SENTENCE_CHARS: Final[int] = 300
"""Sentences longer than this are split at clause punctuation (, ; : —)."""


def capitalize_sentence_starts(text: str) -> str:
    """Upper-case the first letter of each sentence after the first.

    Why: a sentence that began with a number now begins with a lower-case word,
    and the sentence splitter (and a transcript reader) expects a capital.
    Fails: a sentence that deliberately starts in lower case ("iPhone sales").
    """
    return re.sub(
        r"([.!?][\"')]*\s+)([\"'(]?)([a-z])(?![A-Z])",
        lambda m: m.group(1) + m.group(2) + m.group(3).upper(),
        text,
    )


_WRITTEN_ABBREVIATION_END: Final[re.Pattern[str]] = re.compile(
    r"(?:^|\s)(?:" + "|".join([*TITLES, "Dr", "St", "No"]) + r"|(?:[A-Z]\.)*[A-Z])\.$"
)
"""A part that ends like this in *written* text does not end a sentence."""


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(]?[A-Z0-9])")


def split_long(sentence: str, limit: int) -> list[str]:
    """``sentence`` in parts of at most ``limit`` characters, cut at clause punctuation.

    Cuts after ``;`` or ``:`` where there are any, else after ``,``, packing as many
    clauses into each part as fit. Used here for :data:`MAX_SENTENCE_CHARS`, and by
    the voice stage for backends whose memory grows with the text of one call
    (``narrator.voice.render``). Fails: a clause longer than ``limit`` with no
    punctuation is cut at the space nearest the limit, mid-phrase; a single word
    longer than ``limit`` stays whole.
    """
    if len(sentence) <= limit:
        return [sentence]
    for pattern in (r"(?<=[;:])\s+", r"(?<=,)\s+"):
        parts = [p for p in re.split(pattern, sentence) if p.strip()]
        if len(parts) > 1:
            chunks: list[str] = []
            current = ""
            for part in parts:
                candidate = f"{current} {part}".strip() if current else part
                if current and len(candidate) > limit:
                    chunks.append(current)
                    current = part
                else:
                    current = candidate
            chunks.append(current)
            out: list[str] = []
            for chunk in chunks:
                out.extend(split_long(chunk, limit) if chunk != sentence else [chunk])
            return out
    # No clause punctuation: split at the space nearest the limit.
    cut = sentence.rfind(" ", 0, limit)
    if cut <= 0:
        return [sentence]
    return [sentence[:cut], *split_long(sentence[cut + 1 :], limit)]


def split_sentences(text: str) -> list[str]:
    """Split spoken text (the output of :func:`narrator.text.normalize.normalize`) into sentences.

    A sentence ends at ``.``, ``!`` or ``?`` (and any closing quote) followed by
    a capital letter or digit.  Abbreviations are already written out by then,
    so there are no false breaks after "Mr."; written text is tolerated too (no
    break after a title or an initial, for aligning transcripts).  A sentence
    longer than :data:`MAX_SENTENCE_CHARS` is split at ``;``/``:`` then ``,``.
    Fails: a written sentence that really ends with a title or an initial
    ("He chose Plan B. Smith left.") is joined to the next unless that starts with a word
    from :data:`~narrator.text.normalize.sentence_ends.SENTENCE_STARTERS`.
    """
    text = text.strip()
    if not text:
        return []
    parts: list[str] = []
    for part in _SENTENCE_END.split(text):
        part = part.strip()
        if not part:
            continue
        first = re.match(r"[\"'(]?([A-Za-z]+)", part)
        starter = bool(first and first.group(1) in SENTENCE_STARTERS)
        if parts and _WRITTEN_ABBREVIATION_END.search(parts[-1]) and not starter:
            parts[-1] = f"{parts[-1]} {part}"  # written text: "Mr. Smith" is no break
        else:
            parts.append(part)
    sentences: list[str] = []
    for part in parts:
        sentences.extend(s.strip() for s in split_long(part, MAX_SENTENCE_CHARS) if s.strip())
    return sentences
