"""Capitals: initialisms (``U.S.``), acronyms (``KCNA``), shouted headlines, spelled words."""

from __future__ import annotations

import re
from typing import Final

from narrator.text.normalize.sentence_ends import SENTENCE_STARTERS, sentence_follows

# All-caps words that are said as words, not spelled out.  Anything else of two
# to five capitals is spelled letter by letter (espeak would try to say "KCNA").
PRONOUNCEABLE: Final[frozenset[str]] = frozenset(
    {
        "NATO", "NASA", "UNESCO", "UNICEF", "FIFA", "UEFA", "NASCAR", "OPEC", "ASEAN", "NAFTA",
        "OSHA", "FEMA", "HAMAS", "ISIS", "AIDS", "COVID", "SARS", "MERS", "LASER", "RADAR", "SONAR",
        "SCUBA", "IKEA", "LEGO", "GIF", "JPEG", "PIN", "SIM", "WASP", "NIMBY", "POTUS", "SCOTUS",
        "FLOTUS", "DARPA", "INTERPOL", "EUROPOL", "SWAT", "OFCOM", "OFSTED", "UNITA", "ANZAC",
        "ASCII", "CAPTCHA", "SWIFT", "TASS", "FRELIMO", "SEATO", "CERN", "NICE", "OK",
    }
)  # fmt: skip


# Plain English words written in capitals for emphasis or in headlines; never spelled.
CAPS_WORDS: Final[frozenset[str]] = frozenset(
    {
        "A", "I", "AN", "AND", "THE", "OF", "TO", "IN", "ON", "AT", "FOR", "BY", "OR", "BUT", "NOT",
        "NO", "YES", "IS", "ARE", "WAS", "BE", "IT", "ITS", "AS", "IF", "SO", "DO", "GO", "UP",
        "WE", "HE", "SHE", "US", "OUR", "MY", "ME", "YOU", "ALL", "NEW", "OLD", "BIG", "OUT", "NOW",
        "ONE", "TWO", "TEN", "WAR", "END", "HOW", "WHY", "WHAT", "WHEN", "THIS", "THAT", "WITH",
        "FROM", "HAS", "HAD", "HAVE", "WILL", "CAN", "MAY",
    }
)  # fmt: skip


# Consonant clusters that can start an English word: "KCNA" cannot be a word, "SHEET" can.
ONSETS: Final[frozenset[str]] = frozenset(
    {
        "BL", "BR", "CH", "CL", "CR", "DR", "FL", "FR", "GL", "GR", "KN", "PH", "PL", "PR", "SC",
        "SH", "SK", "SL", "SM", "SN", "SP", "ST", "SW", "TH", "TR", "TW", "WH", "WR", "SCH", "SCR",
        "SHR", "SPL", "SPR", "STR", "THR",
    }
)  # fmt: skip


def spell_hyphenated_letters(text: str) -> str:
    """``B-o-w-f-e-e`` → "B o w f e e": a word spelled out letter by letter.

    Why: espeak reads the hyphenated run as one odd word.  Fails: nothing known
    (needs three or more single letters).
    """
    return re.sub(r"\b[A-Za-z](?:-[A-Za-z]){2,}\b", lambda m: " ".join(m.group(0).split("-")), text)


def _spaced_groups(m: re.Match[str]) -> str:
    return " ".join(g for g in m.groups() if g)


def split_letters_and_digits(text: str) -> str:
    """``AD842`` → "AD 842", ``HTML5`` → "HTML 5", ``COVID-19`` → "COVID 19", ``H5N1`` →
    "H 5 N 1", ``g0v`` → "g 0 v", ``4chan`` → "4 chan", ``IoT`` → "I o T".

    Why: espeak reads a glued token as one strange word.  Fails: product names
    meant as one word ("B2B" becomes "B 2 B").
    """
    text = re.sub(r"\b([A-Za-z])(\d+)([A-Za-z])(\d*)\b", _spaced_groups, text)  # H5N1, g0v
    text = re.sub(r"\b(\d+)([a-z]{3,})\b", r"\1 \2", text)  # 4chan
    text = re.sub(r"\b([A-Z])([a-z])([A-Z])\b", r"\1 \2 \3", text)  # IoT
    text = re.sub(r"\b([A-Z]{1,6})\.?(\d+)\b", r"\1 \2", text)
    text = re.sub(r"\b([A-Z]{2,6})-(\d+)\b", r"\1 \2", text)
    return re.sub(r"\b(\d+)([A-Z]{1,3})\b", r"\1 \2", text)


def expand_initialisms(text: str) -> str:
    """``U.S.`` → "U S", ``D.C.`` → "D C", ``E.A. Alderman`` → "E A Alderman", ``M. Cohan``,
    ``H. R. 1280`` → "H R 1280".

    Why: every period is a sentence break for espeak.  The final period stays
    when a new sentence clearly follows.  Fails: a lone capital initial at
    a real sentence end followed by a name ("Plan B. Smith said") loses the
    break.
    """

    def repl(m: re.Match[str]) -> str:
        letters = [c for c in m.group(0) if c.isalpha()]
        spoken = " ".join(c.upper() for c in letters)
        return spoken + ("." if sentence_follows(m.string, m.end()) else "")

    text = re.sub(r"(?<![\w.])(?:[A-Za-z]\.){2,}(?!\w)", repl, text)
    text = _SPACED_INITIALS.sub(repl, text)
    return _LONE_INITIAL.sub(r"\1", text)


_SPACED_INITIALS: Final[re.Pattern[str]] = re.compile(r"(?<![\w.])(?:[A-Z]\. ){1,3}[A-Z]\.(?!\w)")
"""Initials written with spaces: ``H. R. 1280`` (a House bill), ``J. R. R. Tolkien``."""


_LONE_INITIAL: Final[re.Pattern[str]] = re.compile(
    r"(?<![\w.])([A-Z])\.(?=\s+[A-Z][a-z])(?!\s+(?:" + "|".join(SENTENCE_STARTERS) + r")\b)"
)


def _word_like(word: str) -> bool:
    """Whether an all-caps word could be an ordinary word (FACT, SHEET) rather than KCNA."""
    word = word.strip("'")
    if len(word) < 4 or not re.search("[AEIOU]", word):
        return False
    onset = re.match("[^AEIOU]*", word)
    if onset and len(onset.group(0)) > 1 and onset.group(0).rstrip("Y") not in ONSETS:
        return False
    return not re.search("[^AEIOUY]{3,}", word[len(onset.group(0)) if onset else 0 :])


def _looks_like_shouting(words: list[str]) -> bool:
    common = [w for w in words if w in CAPS_WORDS and w not in ("A", "I", "US")]
    long = [w for w in words if len(w) > 5 and w not in PRONOUNCEABLE]
    wordy = [w for w in words if _word_like(w) and w not in PRONOUNCEABLE]
    return bool(common or long) or len(wordy) >= 2


WORD_LIKE_MIN: Final = 4
"""Shorter capitalised words (``EDT``, ``NIH``) are always spelled."""

TIME_ZONES: Final[frozenset[str]] = frozenset(
    {
        "EDT", "EST", "CDT", "CST", "MDT", "MST", "PDT", "PST", "AKST", "AKDT", "HST", "GMT",
        "UTC", "BST", "CET", "CEST", "EET", "EEST", "WET", "IST", "JST", "AEST", "AEDT",
    }
)  # fmt: skip
"""Time-zone abbreviations: always spelled, even inside a shouted run ("6:13 P.M. EDT THE")."""


def lower_shouting(text: str) -> str:
    """Runs of capitalised words such as ``HISTORY AND ARISTOCRACY`` become title case.

    Why: otherwise short words in a shouted headline ("AND") are spelled out by
    the acronym rule.  A run counts when it contains a common word or a long
    word.  Fails: a run of genuine acronyms next to a long capitalised word.
    """

    def repl(m: re.Match[str]) -> str:
        words = m.group(0).split()
        if not _looks_like_shouting(words):
            return m.group(0)
        return " ".join(
            w if w in PRONOUNCEABLE or w in TIME_ZONES else w.capitalize() for w in words
        )

    text = re.sub(r"\b[A-Z][A-Z']*(?:\s+[A-Z][A-Z']*)+\b", repl, text)
    return re.sub(
        r"\b[A-Z]{6,}\b",
        lambda m: m.group(0) if m.group(0) in PRONOUNCEABLE else m.group(0).capitalize(),
        text,
    )


def spell_acronyms(text: str) -> str:
    """All-caps tokens of two to five letters are spelled: ``KCNA`` → "K C N A", ``NGDVs``.

    Why: the corpus and listeners expect letters; espeak guesses (it says
    "who" for WHO).  Pronounceable ones (NATO, NASA, UNESCO) are kept from a
    table, and so are single capitalised words of four letters or more shaped like an
    English word (``MEEK``, ``HIGH``, ``SETI``: a vowel, an onset English allows, no run
    of three consonants).  Fails: an unlisted pronounceable acronym of two or three
    letters is spelled, and a word-shaped initialism (``USDA``) is said as a word.
    """

    def repl(m: re.Match[str]) -> str:
        word, plural = m.group(1), m.group(2) or ""
        if word in PRONOUNCEABLE or (not plural and word in CAPS_WORDS and word != "US"):
            return m.group(0)
        if word in TIME_ZONES:
            return " ".join(word)
        if not plural and len(word) >= WORD_LIKE_MIN and _word_like(word):
            return word.capitalize()  # MEEK, HIGH, SETI: said as the word they spell
        letters = " ".join(word)
        return letters + ("'s" if plural else "")

    return re.sub(r"\b([A-Z]{2,5})(s?)\b", repl, text)


def fix_spelled_a(text: str) -> str:
    """Join a spelled letter A to its neighbour: "N A S A" → "N A-S A", "K C N A said" → "A-said".

    Why: espeak reads a lone "A" before another word as the article "uh"; joined
    by a hyphen it says the letter.  Fails: a real article after a single
    letter ("plan B a year ago") is read as the letter.
    """
    text = re.sub(r"(?<![\w-])A (?=[A-Z](?:\b|-))", "A-", text)
    return re.sub(r"(?<=\b[A-Z] )A (?=[A-Za-z])", "A-", text)
