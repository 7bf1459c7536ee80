"""Whether a period ends a sentence: the test several rules share.

A rule that writes out an abbreviation ("Jr." → "Junior", "U.S." → "U S")
must decide whether its period also ended the sentence, so that the period is
kept only then.  It looks at the next word: a capitalised word from
:data:`SENTENCE_STARTERS`, or the end of the text, means a new sentence.
Fails: a sentence that starts with a name ("... in the U.S. Smith said") is
taken as the same sentence.
"""

from __future__ import annotations

import re
from typing import Final

# Words that start a new sentence after an initialism ("in the U.S. The ...").
SENTENCE_STARTERS: Final[frozenset[str]] = frozenset(
    {
        "The", "A", "An", "He", "She", "It", "They", "We", "I", "You", "His", "Her", "Its", "Their",
        "Our", "This", "That", "These", "Those", "But", "And", "So", "Yet", "In", "On", "At", "For",
        "However", "Meanwhile", "Then", "There", "Here", "When", "While", "After", "Before", "If",
        "Although", "Though", "Since", "Because", "As", "Many", "Some", "Most", "All", "No", "One",
        "Both", "Each",
    }
)  # fmt: skip


def sentence_follows(text: str, end: int) -> bool:
    """True when what follows position ``end`` looks like the start of a new sentence."""
    rest = text[end:]
    if not rest.strip():
        return True
    m = re.match(r"\s+[\"']?([A-Z][a-z]*)", rest)
    return bool(m and m.group(1) in SENTENCE_STARTERS)
