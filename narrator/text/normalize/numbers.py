"""Numbers: cardinals, ordinals, percentages, ranges, Roman numerals, digit strings.

The word helpers here (:func:`number_words`, :func:`cardinal`,
:func:`ordinal`, :func:`unit_form`) and the :data:`NUMBER` pattern are used by
the date, money and unit rules too.  Long digit strings (phone numbers, ISBNs)
are read digit by digit in :func:`expand_numbers`.
"""

from __future__ import annotations

import re
from typing import Final

from num2words import num2words


def number_words(value: int | float | str) -> str:
    """Cardinal words, American style: no "and", no commas ("one hundred twenty-three")."""
    words = str(num2words(value))
    words = words.replace(",", "").replace(" and ", " ")
    return re.sub(r"\s+", " ", words).strip()


def cardinal(written: str) -> str:
    """Words for a written number such as ``1,234``, ``2.5`` or ``007``."""
    digits = written.replace(",", "")
    if "." in digits:
        whole, _, frac = digits.partition(".")
        head = number_words(int(whole)) if whole else "zero"
        return head + " point " + " ".join(number_words(int(d)) for d in frac)
    return number_words(int(digits))


def ordinal(value: int) -> str:
    """Ordinal words ("twenty-first")."""
    return str(num2words(value, to="ordinal")).replace(",", "").replace(" and ", " ")


def unit_form(value: str, forms: tuple[str, str]) -> str:
    """Singular unit for exactly one, plural otherwise."""
    return forms[0] if value.replace(",", "") in ("1", "1.0") else forms[1]


NUMBER: Final[str] = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
"""A written number (``1,234.5``, ``2.5``, ``007``), as a pattern to put inside others.

Fails: European separators (``1.234,5``) are read as two numbers.
"""

WORD_AFTER: Final[str] = r"(?P<after>\s+(?P<next>[A-Za-z][\w'-]*))?"
"""The word after an amount, optional; groups ``after`` (with its space) and ``next``.

The money and unit rules look at it to tell "$5 million deal" (adjective) from
"$5 million in" and "100m people" (million) from "100m" (meters).
"""


def expand_percent(text: str) -> str:
    """``35%`` → "thirty-five percent", ``3.5 %`` → "three point five percent".

    Why: espeak already manages "3.5%", but numbers are normalised here anyway
    and a lone ``%`` after a number word would otherwise be lost.  Fails:
    "%" used without a number is dropped later as a symbol.
    """
    return re.sub(rf"(?P<num>{NUMBER})\s?%", lambda m: f"{cardinal(m.group('num'))} percent", text)


def expand_ordinals(text: str) -> str:
    """``20th`` → "twentieth", ``62nd`` → "sixty-second".

    Why: espeak handles some but not all, and never with commas ("1,000th").
    Fails: nothing known.
    """
    return re.sub(
        r"\b(\d{1,3}(?:,\d{3})*|\d+)(st|nd|rd|th)\b",
        lambda m: ordinal(int(m.group(1).replace(",", ""))),
        text,
    )


def expand_ranges_and_scores(text: str) -> str:
    """``1994-2020`` → "1994 to 2020", a score ``1 – 0`` → "1 to 0", ``2000 - 2050`` too.

    Why: espeak reads the hyphen as "minus" or runs the numbers together, and a spaced
    hyphen would become a pause ("two thousand, twenty fifty").  Fails: a phone number or
    a product code ("555-1234") is read as a range; a subtraction written with spaces
    ("7 - 2") is read as a range.
    """
    text = re.sub(r"(?<![\w.,/-])(\d[\d,.]*)\s*[–—]\s*(\d)", r"\1 to \2", text)
    text = re.sub(r"(?<![\w.,/-])(\d[\d,.]*) - (?=\d)", r"\1 to ", text)
    return re.sub(r"(?<![\w.,/-])(\d[\d,]*)-(\d[\d,]*)(?![\w/-])", r"\1 to \2", text)


# Words before a Roman numeral that take the cardinal ("World War Two", "Chapter Four").
ROMAN_CARDINAL_CONTEXT: Final[frozenset[str]] = frozenset(
    {
        "War", "Chapter", "CHAPTER", "Part", "PART", "Book", "BOOK", "Volume", "Vol", "Act",
        "Scene", "Phase", "Stage", "Type", "Class", "Level", "Article", "Title", "Section",
        "Appendix", "Psalm", "Canto", "Round", "Apollo", "Vatican", "Super", "Bowl", "Grade",
        "Division", "Tier", "Episode", "Season",
    }
)  # fmt: skip


# Capitalised words after which a Roman numeral is NOT a regnal number.
ROMAN_EXCLUDED_BEFORE: Final[frozenset[str]] = frozenset(
    {
        "The", "A", "An", "And", "Or", "But", "If", "When", "Then", "That", "This", "These",
        "Those", "It", "He", "She", "We", "They", "You", "In", "On", "At", "Of", "To", "For",
        "From", "By", "With", "As", "Is", "Was", "Are", "Were",
    }
)  # fmt: skip


_ROMAN_RE = re.compile(r"^(X{0,3})(IX|IV|V?I{0,3})$")


def _roman_value(token: str) -> int | None:
    if not token or not _ROMAN_RE.match(token):
        return None
    values = {"I": 1, "V": 5, "X": 10}
    total = 0
    for i, ch in enumerate(token):
        v = values[ch]
        nxt = values[token[i + 1]] if i + 1 < len(token) else 0
        total += -v if v < nxt else v
    return total or None


def expand_roman_numerals(text: str) -> str:
    """``World War II`` → "World War Two", ``Henry VIII`` → "Henry the Eighth", ``CHAPTER XXVI``.

    Why: espeak reads "II" as "eye eye".  After words such as War or Chapter the
    numeral is a cardinal; after another capitalised name it is a regnal
    ordinal.  A lone "I" is never touched (it is the pronoun), except in
    "World War I"; a lone V or X only after War, Chapter and the like (Malcolm X).
    Fails: "Charles V" and "Elizabeth I" stay as written; numerals above 39;
    a name followed by an acronym made of I, V and X ("Model IV" → "the Fourth").
    In running text a lower-case context word counts too (``part XVII``), for
    numerals of two letters or more (``part I`` may be the pronoun).
    """

    def repl(m: re.Match[str]) -> str:
        before, token = m.group(1), m.group(2)
        value = _roman_value(token)
        if value is None:
            return m.group(0)
        if before in ROMAN_CARDINAL_CONTEXT:
            return f"{before} {number_words(value).title() if before[0].isupper() else value}"
        if before[0].islower():
            if before.capitalize() in ROMAN_CARDINAL_CONTEXT and len(token) > 1:
                return f"{before} {number_words(value)}"  # "part XVII" in running text
            return m.group(0)
        if token in ("I", "V", "X") or before in ROMAN_EXCLUDED_BEFORE or before.isupper():
            return m.group(0)
        return f"{before} the {ordinal(value).title()}"

    text = re.sub(r"\b(War)\s+(I)\b(?!['-])", lambda m: "War One", text)
    return re.sub(r"\b([A-Za-z][A-Za-z]+)\s+([IVX]+)\b(?!['-])", repl, text)


def expand_numbers(text: str) -> str:
    """Remaining numbers become words: ``100,000`` → "one hundred thousand", ``2.2``.

    Why: espeak reads digits fine, but commas and decimals less so, and a
    normalised text is also what the transcript and the tests compare.  Fails:
    version strings ("3.5.1") are read as "three point five point one".
    """

    def repl(m: re.Match[str]) -> str:
        return cardinal(m.group(0))

    text = re.sub(
        r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w])",
        lambda m: " point ".join(number_words(int(p)) for p in m.group(0).split(".")),
        text,
    )
    text = re.sub(r"(?<=\d)\.(?=\d{3},)", ",", text)  # 1.428,000 typo for 1,428,000
    text = re.sub(  # ISBNs, phone numbers: digit by digit
        r"(?<![\w.,])\d{7,}(?![\w.,]\d)",
        lambda m: digit_words(m.group(0)),
        text,
    )
    return re.sub(rf"(?<![\w])(?:{NUMBER})(?![\d])", repl, text)


VERSION: Final[re.Pattern[str]] = re.compile(r"\b([vV])(\d+(?:\.\d+)+)\b")


def split_versions(text: str) -> str:
    """``v1.25`` → "v 1.25", ``v1.28.0`` → "v 1.28.0": a version number after its "v".

    Why: glued to the letter, the number escapes the number rules ("v1.twenty-five").
    Runs before dates and times so "1.25" is not read as a time.  Fails: nothing known.
    """
    return VERSION.sub(r"\1 \2", text)


PHONE: Final[re.Pattern[str]] = re.compile(
    r"(?<![\w-])(?:\+?1[-. ])?(?:\(\d{3}\) ?|\d{3}[-.])"
    r"(?:\d{3}|[A-Z]{3})[-.](?:\d{4}|[A-Z]{4})(?![\w-])"
)
"""North American phone numbers, vanity letters included: ``1-877-382-4357``, ``(888)
232-6348``, ``1-877-FTC-HELP``."""


def speak_phone_numbers(text: str) -> str:
    """Phone numbers digit by digit, a pause between groups: "one eight seven seven, three …".

    Why: read as numbers, ``1-877-382-4357`` becomes ranges and thousands.  Runs before
    the range rule.  A seven-digit ``555-1234`` is a phone number after a word that says so
    ("call", "phone", "fax", "number" …), and four or more hyphenated digit groups (an
    ISBN) are read the same way.  Fails: other countries' formats (``+44 1392 885680``) are
    read as numbers; a bare ``555-1234`` stays a range.
    """

    def groups(number: str) -> str:
        found = re.findall(r"\d+|[A-Z]+", number)
        return ", ".join(digit_words(g) if g.isdigit() else g for g in found)

    text = PHONE.sub(lambda m: groups(m.group(0)), text)
    text = LOCAL_PHONE.sub(lambda m: m.group(1) + groups(m.group(2)), text)
    return DIGIT_GROUPS.sub(lambda m: groups(m.group(0)), text)


def digit_words(digits: str) -> str:
    """Digit by digit: ``21626`` → "two one six two six"."""
    return " ".join(number_words(int(d)) for d in digits)


LOCAL_PHONE: Final[re.Pattern[str]] = re.compile(
    r"(?i)(\b(?:call|phone|telephone|tel\.?|fax|dial|text|hotline|line|number)"
    r"(?:\s+(?:us|me|them|him|her))?(?:\s+(?:at|on))?:?\s+)(\d{3}-\d{4})(?![\w-])"
)
"""A seven-digit number after a word that says it is one: ``call 555-1234``."""

DIGIT_GROUPS: Final[re.Pattern[str]] = re.compile(r"(?<![\w.,/-])\d+(?:-\d+){3,}(?![\w/-])")
"""Four or more groups of digits joined by hyphens: an ISBN (``978-3-16-148410-0``), a
part or account number; never a date or a range (dates have three groups and run before)."""
