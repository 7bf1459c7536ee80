"""Characters that are not what they look like: invisible ones and odd spaces.

One list for the whole text stage: the readers drop invisible characters from
every block they keep (:func:`narrator.text.readers.clean_text`), and the
normalizer drops them again from whatever reaches it another way (a lexicon,
a test, a caller's own string).  A character missing here splits a word in two
for espeak ("Gdańsk" with a soft hyphen inside is read as two words).
"""

from __future__ import annotations

import re
from typing import Final

INVISIBLE: Final[str] = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
"""Soft hyphen, zero-width space, zero-width non-joiner and joiner, word joiner, BOM.

Format characters that are never spoken.  Removing the zero-width joiner also
takes emoji sequences apart ("👨‍👩‍👧" becomes three emoji), which is harmless:
the normalizer drops emoji anyway.  Fails: a zero-width non-joiner that matters
for the spelling of a Persian or Hindi word is lost (the voice cannot read
those scripts, so it only changes the transliteration).
"""

INVISIBLE_RE: Final[re.Pattern[str]] = re.compile(f"[{INVISIBLE}]")
"""Matches one :data:`INVISIBLE` character."""

ODD_SPACES_RE: Final[re.Pattern[str]] = re.compile("[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
"""No-break, en, em, thin, narrow no-break, math and ideographic spaces.

Python's ``str.split()`` already treats them as whitespace; a regular
expression that looks for ``" "`` does not, so the normalizer makes them plain
spaces first.
"""


def drop_invisible(text: str) -> str:
    """``text`` without its :data:`INVISIBLE` characters."""
    return INVISIBLE_RE.sub("", text)
