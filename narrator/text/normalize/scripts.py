"""Letters the voice cannot read: other scripts and Latin letters beyond Latin-1."""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii


def transliterate(text: str) -> str:
    """Write letters the voice cannot read (beyond Latin-1) in ASCII: Łódź → Lodz.

    Why: espeak drops or spells letters outside Latin-1, so "Gdańsk" loses its
    "n" and Cyrillic is read letter by letter.  Latin-1 letters (é ü ñ) stay:
    espeak reads them.  Fails: the result is a transliteration, not a
    pronunciation (Łódź is "Wootch"); abjad scripts lose their vowels.
    """

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        if all(ord(c) <= 0xFF for c in w):
            return w
        spelled = str(anyascii(w))
        if any(c.isalnum() for c in spelled):
            return spelled
        return _name_the_script(w)

    return re.sub(r"[^\W\d_]+", word, text)


def _name_the_script(word: str) -> str:
    """Say what a word anyascii cannot spell is written in, rather than dropping it.

    Rare CJK ideographs (outside the Basic Multilingual Plane) have no Latin
    spelling; silence would hide that the article says something here.
    """
    name = unicodedata.name(word[0], "")
    if name.startswith("CJK"):
        script = "Chinese"
    else:
        script = name.split(" ")[0].title() if name else "foreign"
    return f"{script} characters" if len(word) > 1 else f"a {script} character"
