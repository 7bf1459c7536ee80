"""Symbols: emoji, arrows and bullets, ``&`` ``+`` ``=``, and slashes (``24/7``, ``2/3``)."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from narrator.text.normalize.numbers import number_words

# Acronyms with a conventional spoken form other than their letters.
ACRONYM_SPOKEN: Final[dict[str, str]] = {
    "C++": "C plus plus",
    "C#": "C sharp",
    "F#": "F sharp",
    "AT&T": "A T and T",
    "Q&A": "Q and A",
    "R&D": "R and D",
    "B&B": "B and B",
    "P&O": "P and O",
}


# Symbols that become words.
SYMBOL_WORDS: Final[dict[str, str]] = {
    "&": " and ",
    "+": " plus ",
    "=": " equals ",
    "×": " times ",
    "§": " section ",
    "№": " number ",
}


def drop_symbols(text: str) -> str:
    """Remove emoji, arrows, bullets and dingbats; turn ``&`` ``+`` ``=`` into words.

    A ``+`` glued between names (``Go+BoringCrypto``) or after a number (``18+``) is
    "plus" too.  Why: the voice either says their Unicode names or nothing useful.  Fails:
    an arrow that means "to" ("London → Paris") loses its meaning.
    """
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if (cat in ("So", "Sk", "Cs", "Co") and ch != "°") or ch in "•◦▪▫‣⁃►▸●○■□":
            out.append(" ")
        else:
            out.append(ch)
    text = "".join(out)
    text = re.sub(r"[\u2190-\u21ff\u2794-\u27bf\u2b00-\u2bff]", " ", text)
    for key, spoken in ACRONYM_SPOKEN.items():
        text = re.sub(rf"(?<!\w){re.escape(key)}(?![\w+#])", spoken, text)
    for sym, spoken in SYMBOL_WORDS.items():
        text = re.sub(rf"\s*{re.escape(sym)}\s*", spoken, text) if sym != "+" else text
    text = re.sub(r"(?<=\s)\+(?=\s)", "plus", text)
    text = re.sub(r"(?<=[A-Za-z])\+(?=[A-Z])", " plus ", text)  # Go+BoringCrypto
    text = re.sub(r"(?<=\d)\+(?=$|[\s,;:)]|\.(?:\s|$))", " plus", text)  # 18+, 3.10+
    return re.sub(r" {2,}", " ", text)


# Slash expressions with a fixed reading.
SLASH_PHRASES: Final[dict[str, str]] = {
    "24/7": "twenty-four seven",
    "9/11": "nine eleven",
    "50/50": "fifty-fifty",
    "and/or": "and or",
    "w/o": "without",
    "n/a": "not applicable",
    "N/A": "not applicable",
}


# Small fractions written with a slash.
FRACTION_DENOMINATORS: Final[dict[int, tuple[str, str]]] = {
    2: ("half", "halves"),
    3: ("third", "thirds"),
    4: ("quarter", "quarters"),
    5: ("fifth", "fifths"),
    6: ("sixth", "sixths"),
    7: ("seventh", "sevenths"),
    8: ("eighth", "eighths"),
    9: ("ninth", "ninths"),
    10: ("tenth", "tenths"),
}


def expand_slashes(text: str) -> str:
    """``24/7``, ``9/11``, ``2/3`` → "two thirds", ``and/or``, ``Muslim / non-Muslim`` → "or".

    Why: espeak says "slash".  Two single capitals (``I/O``) are spelled; two acronyms
    (``TCP/IP``) are one name; versions (``ARMv7/8/9``) are said with "slash".  Fails: a
    slash meaning "per" in prose
    ("$5/month") reads "five dollars or month"; fractions are only read as such
    for denominators up to ten.
    """
    for key, spoken in SLASH_PHRASES.items():
        text = re.sub(rf"(?<![\w/]){re.escape(key)}(?![\w/])", spoken, text)

    def frac(m: re.Match[str]) -> str:
        a, b = int(m.group(1)), int(m.group(2))
        if 0 < a < b and b in FRACTION_DENOMINATORS:
            forms = FRACTION_DENOMINATORS[b]
            return f"{number_words(a)} {forms[0] if a == 1 else forms[1]}"
        return f"{number_words(a)} {number_words(b)}"

    text = re.sub(r"(?<![\w/.])(\d+)/(\d+)(?![\w/])", frac, text)
    text = re.sub(r"\b([A-Z])/([A-Z])\b", r"\1 \2", text)  # I/O, A/B: letters, not "or"
    # TCP/IP, AC/DC: one name of two acronyms, not a choice between them.
    text = re.sub(r"\b([A-Z]{2,5})/(?=[A-Z]{2,5}\b)", r"\1 ", text)
    # ARMv7/8/9: versions of one thing, said "slash".
    text = re.sub(
        r"(?<=[A-Za-z]v\d)((?:/\d+)+)\b", lambda m: m.group(1).replace("/", " slash "), text
    )
    text = re.sub(r"(?<=\d[A-Za-z])/(?=[A-Za-z])", " ", text)  # comet 81P/Wild: a designation
    text = re.sub(r"(?<=[^\W\d_])\s*/\s*(?=[^\W\d_])", " or ", text)
    return re.sub(r"\s/\s", ", ", text)
