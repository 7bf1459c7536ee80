"""Cleaning up: Unicode, Markdown leftovers, punctuation the voice would say, spacing.

:func:`clean_unicode` runs first (before the lexicon), :func:`tidy` last but one.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from narrator.text.chars import ODD_SPACES_RE, drop_invisible

_QUOTES: Final[dict[int, str]] = {0x2019: "'", 0x2018: "'", 0x201C: '"', 0x201D: '"'}


def clean_unicode(text: str) -> str:
    """Compose characters, drop invisible ones, straighten quotes, collapse whitespace.

    Why: scraped text carries U+2060 word joiners, NBSPs and soft hyphens that
    split words for espeak (the lists are in :mod:`narrator.text.chars`), and
    curly quotes that other rules would have to match twice.  An en dash glued between an
    abbreviation of dotted capitals and a capital (a dateline: ``D.C.–Speaker Pelosi``) is a
    dash, made an em dash here, before the abbreviation loses its stop (else it is read
    as a hyphen: "D C-Speaker").  Fails: a deliberately decomposed accent is composed.
    """
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"(?<=\b[A-Z]\.[A-Z]\.)\u2013(?=[A-Z])", " \u2014 ", text)
    text = drop_invisible(text)
    text = ODD_SPACES_RE.sub(" ", text)
    text = text.translate(_QUOTES)
    text = text.replace("\u2032", "'").replace("\u2033", '"')
    return re.sub(r"\s+", " ", text).strip()


def strip_markup(text: str) -> str:
    """Remove Markdown leftovers and wiki citation markers.

    Why: ``**bold**``, ``_italic_``, ``[text](url)`` and ``[12]`` would be read as
    "asterisk", "underscore" or a bracketed number.  Fails: a literal asterisk
    used as a footnote mark is dropped; ``[1]`` that is really content goes.
    """
    text = re.sub(r"\[([^\]]+)\]\([^)\s]*\)", r"\1", text)
    text = re.sub(r"\[(?:\d+|citation needed|edit|note \d+|[a-z])\]", "", text)
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_([^_]+)_(?![\w_])", r"\1", text)
    text = re.sub(r"(?:^|\s)\\?#{1,6}(?=\s|$)", " ", text)
    text = re.sub(r"(?:\*\s*){3,}", " ", text)
    text = re.sub(r"^(?:[-*+]|\d+[.)])\s+(?=\S)", "", text)
    return text.strip()


def pauses_for_punctuation(text: str) -> str:
    """Ellipses, dashes and brackets become commas or full stops.

    Why: espeak says "dot dot dot" or pauses oddly at ``…``, ``—``, ``--`` and
    ``[KPA]``.  An ellipsis that ends the text or precedes a capital is a full
    stop.  Fails: a dash pair used as parentheses gets two commas, which is
    what a reader would do anyway.
    """
    text = re.sub(r"\s*(?:…|\.{3,}|\. \. \.)\s*(?=$|[\"']?\s*[A-Z])", ". ", text)
    text = re.sub(r"\s*(?:…|\.{3,}|\. \. \.)\s*", ", ", text)
    text = re.sub(r"\s*(?:—|―|--+|\s–\s|\s-\s)\s*", ", ", text)
    text = re.sub(r"\s*[\[(]\s*", ", ", text)
    text = re.sub(r"\s*[\])]\s*", ", ", text)
    text = re.sub(r"[{}<>|~^*_\\`#]", " ", text)
    text = text.replace("–", "-").replace("‐", "-").replace("‑", "-")
    return text


def tidy(text: str) -> str:
    """Collapse spaces and repair punctuation left by the other rules.

    Why: removed symbols leave ", ," and " ." behind, and a leading comma makes
    espeak pause at the start; "police. …" would leave "police..".  Fails:
    nothing known.
    """
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    text = re.sub(r"[,;:]+\s*([.!?])", r"\1", text)
    text = re.sub(r"([.!?])(?:\s*\.)+", r"\1", text)
    text = re.sub(r"([.!?][\"']?)\s*,", r"\1", text)
    text = re.sub(r"([\"'])\s*,\s*([\"'])?$", r"\1", text)
    text = re.sub(r"^[\s,;:.]+", "", text)
    text = re.sub(r"(?<=[,;:])(?=[^\s\d\"'])", " ", text)
    text = re.sub(r",\s*$", "", text)
    return text.strip()
