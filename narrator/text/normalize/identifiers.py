"""Identifiers: model numbers, standards, docket numbers and other codes read as people say them.

A number that names something rather than counts it is read in pairs of digits,
the way airline pilots, engineers and court reporters say it: the Boeing ``747``
is "seven forty-seven", ``RFC 9110`` is "R F C ninety-one ten", docket
``22-506`` is "twenty-two five oh six".  :func:`code_number` gives that reading;
the rules here decide when a number is such a name.  They only fire where the
context says so (a letter code glued to the digits, a word from a table before
them), so a count ("the 300 delegates") and a year ("the 2024 election") keep
their readings from :mod:`~narrator.text.normalize.numbers` and
:mod:`~narrator.text.normalize.dates`.
"""

from __future__ import annotations

import re
from typing import Final

from narrator.text.normalize.numbers import digit_words, number_words

_DIGITS: Final = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _pair(digits: str) -> str:
    """A two-digit group inside a code: ``00`` hundred, ``05`` oh five, ``47`` forty-seven."""
    if digits == "00":
        return "hundred"
    if digits[0] == "0":
        return f"oh {_DIGITS[int(digits[1])]}"
    return number_words(int(digits))


def code_number(digits: str) -> str:
    """How a number that names something is said: in pairs of digits, or digit by digit.

    ``8`` eight, ``747`` seven forty-seven, ``506`` five oh six, ``300`` three hundred,
    ``9110`` ninety-one ten, ``8601`` eighty-six oh one, ``1000`` one thousand;
    ``05`` oh five; five digits or more, or a leading zero, digit by digit (``21626``, ``0042``).
    """
    if len(digits) == 2 and digits[0] == "0" and digits != "00":
        return _pair(digits)
    if len(digits) >= 5 or (len(digits) > 1 and digits[0] == "0"):
        return digit_words(digits)
    if len(digits) <= 2:
        return number_words(int(digits))
    if len(digits) == 3:
        return f"{_DIGITS[int(digits[0])]} {_pair(digits[1:])}"
    if digits[1:] == "000":
        return f"{_DIGITS[int(digits[0])]} thousand"
    return f"{number_words(int(digits[:2]))} {_pair(digits[2:])}"


def _plural(words: str) -> str:
    """The last word made plural: "seven forty-seven" → "seven forty-sevens"."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    return words + "s"


def _with_suffix(words: str, suffix: str) -> str:
    """Words for a code followed by what was glued to it: ``s`` plural, ``neo``, ``MAX``, ``ER``."""
    if suffix == "s":
        return _plural(words)
    return f"{words} {suffix}" if suffix else words


def _letters(prefix: str) -> str:
    """A single ``A`` is joined to what follows so espeak says the letter, not the article."""
    return "A-" if prefix == "A" else prefix + " "


# --------------------------------------------------------------------------- model numbers

MAKERS: Final[frozenset[str]] = frozenset(
    {
        "Boeing", "Airbus", "Embraer", "Bombardier", "Cessna", "Beechcraft", "Tupolev", "Ilyushin",
        "Antonov", "Sukhoi", "Lockheed", "Douglas", "Fokker", "Saab", "Porsche", "Peugeot",
        "Ferrari",
    }
)  # fmt: skip
"""Makers whose model numbers are said in pairs of digits ("Boeing seven eighty-seven")."""

AIRCRAFT_AFTER: Final[frozenset[str]] = frozenset(
    {
        "MAX", "Max", "Dreamliner", "Jumbo", "jumbo", "jet", "jets", "jetliner", "jetliners",
        "airliner", "airliners", "aircraft", "plane", "planes", "freighter", "freighters",
        "fleet", "crash", "cockpit", "fuselage",
    }
)  # fmt: skip
"""Words after a bare ``7x7`` that make it the Boeing ("a 737 MAX", "the 787 Dreamliner").

``MAX`` after a model number becomes "Max": espeak spells a word in capitals."""

DETERMINERS: Final[str] = r"[Tt]he|[Aa]n?|[Tt]his|[Tt]hat|[Tt]hese|[Tt]hose|[Ii]ts|[Tt]heir|[Oo]ur"

_VARIANT: Final[str] = r"(?P<variant>-\d{1,4})?(?P<suffix>s|neo|NEO|MAX|ER|LR|X|XWB)?"
"""What may follow a model number: a variant (``737-800``, ``787-9``) and a glued suffix."""

_MAKER_ALT: Final[str] = "|".join(sorted(MAKERS))
_MAKER_MODEL: Final[re.Pattern[str]] = re.compile(
    rf"\b(?P<maker>{_MAKER_ALT})(?P<poss>'s)?\s+(?P<prefix>[A-Z]{{1,3}}-?|[A-Z][a-z]-)?"
    rf"(?P<num>\d{{2,4}}){_VARIANT}\b(?![.,]\d)(?P<max>\s+MAX\b)?"
    r"(?=(?:\s+(?P<next>[\w'-]+)(?:\s+(?P<then>\S+))?)?)"
)
_BOEING_BARE: Final[re.Pattern[str]] = re.compile(
    rf"(?<![\d.,])\b(?:(?P<det>{DETERMINERS})\s+)?(?P<num>7[0-8]7){_VARIANT}\b(?![.,]\d)"
    r"(?P<after>\s+(?P<next>[\w'-]+)(?:(?=\s+(?P<then>\S+)))?)?"
)
_COUNT_NOUN: Final[re.Pattern[str]] = re.compile(
    r"[a-z]+[^s'\W]s|people|men|women|children|staff|police|feet|miles|more"
)
"""A word after a number that makes it a count: a lower-case plural ("the 777 employees",
not "ss") or a plural without ``s``."""

_JOINS: Final[frozenset[str]] = frozenset({"or", "to", "and"})
"""Words that make a number a count when a second number follows ("the 737 or 800 seats");
followed by anything else ("the 747 and a 737 MAX") they say nothing."""

_VERBS_IN_S: Final[frozenset[str]] = frozenset({"is", "was", "has", "does", "flies", "carries"})
"""Verbs that look like plurals: "the 747 was" is the aircraft."""


def _is_count(next_word: str | None, then: str | None) -> bool:
    """Whether the words after a number (``next_word``, then ``then``) make it a count."""
    if next_word in _JOINS:
        return bool(then and then[0].isdigit())
    return bool(next_word and _COUNT_NOUN.fullmatch(next_word) and next_word not in _VERBS_IN_S)


def _model(num: str, variant: str | None, suffix: str | None) -> str:
    words = code_number(num)
    if variant:
        words += " " + code_number(variant[1:])
    return _with_suffix(words, suffix or "")


def speak_model_numbers(text: str) -> str:
    """``the 747`` → "the seven forty-seven", ``Boeing 737-800``, ``a 737 MAX``, ``Porsche 911``.

    Why: espeak reads a model number as a quantity ("seven hundred forty-seven").  A number
    is a model when a maker from :data:`MAKERS` comes before it (with its letter code:
    ``Airbus A350``, ``Tupolev Tu-154``), or when it is a Boeing ``7x7`` (707 to 787) after
    a determiner or before a word from :data:`AIRCRAFT_AFTER`, or is written plural
    (``747s``).  Letter-coded models without a maker (``the A320``) are read by
    :func:`speak_codes`.  Fails: other bare model numbers ("the 911 was parked") are read
    as quantities; "the 777 employees" stays a count only because a lower-case plural
    follows, so "the 747 lands" is read as a count too.
    """

    def maker(m: re.Match[str]) -> str:
        if not (m.group("prefix") or m.group("variant") or m.group("suffix")) and _is_count(
            m.group("next"), m.group("then")
        ):
            return m.group(0)  # "Boeing 450 workers"
        prefix = m.group("prefix") or ""
        code = _letters(prefix.rstrip("-")) if prefix else ""
        spoken = code + _model(m.group("num"), m.group("variant"), m.group("suffix"))
        spoken += " Max" if m.group("max") else ""  # said as the word, not spelled
        return f"{m.group('maker')}{m.group('poss') or ''} {spoken}"

    text = _MAKER_MODEL.sub(maker, text)

    def boeing(m: re.Match[str]) -> str:
        nxt = m.group("next") or ""
        named = m.group("suffix") or nxt in AIRCRAFT_AFTER  # "747s", "737 MAX"
        if not named and (not m.group("det") or _is_count(nxt, m.group("then"))):
            return m.group(0)
        det = f"{m.group('det')} " if m.group("det") else ""
        spoken = _model(m.group("num"), m.group("variant"), m.group("suffix"))
        after = (m.group("after") or "").replace("MAX", "Max")  # said as the word, not spelled
        return f"{det}{spoken}{after}"

    return _BOEING_BARE.sub(boeing, text)


# --------------------------------------------------------------------------- codes and standards

IDENTIFIER_WORDS: Final[frozenset[str]] = frozenset(
    {
        # standards, proposals and advisories, said with a number ("RFC 9110", "PEP 8")
        "RFC", "ISO", "IEC", "IEEE", "ECMA", "ANSI", "ASTM", "DIN", "EN", "BS", "FIPS", "PEP",
        "KEP", "JEP", "JSR", "EIP", "BIP", "CVE", "CWE", "GHSA", "NIST", "SP",
        # names that take a number as an identifier ("Section 230", "Flight 370", "Room 101")
        "Section", "section", "Article", "Flight", "Room", "Gate", "Route", "Highway",
        "Interstate", "Form", "Rule",
    }
)  # fmt: skip
"""Words after which a number of three or four digits is a name, said in pairs."""

_ID_WORD_ALT: Final[str] = "|".join(sorted(IDENTIFIER_WORDS, key=len, reverse=True))
_ID_AFTER_WORD: Final[re.Pattern[str]] = re.compile(
    rf"\b(?P<word>{_ID_WORD_ALT})(?P<sep>[ -])(?P<num>\d{{1,4}})(?P<parts>(?:-\d{{1,5}}[A-Z]?)*)"
    r"(?::(?P<year>\d{4}))?\b(?![.,]\d|-)"
)
_LETTER_CODE: Final[re.Pattern[str]] = re.compile(
    r"(?<![\w.-])(?P<prefix>[A-Z]{1,6}-?|[A-Z][a-z]-)(?P<num>\d{3,5})(?P<parts>(?:-\d{1,6})*)"
    r"(?P<suffix>s|neo|[A-Z]{1,3})?\b(?![.,]\d|-\d)"
)
_ARCH: Final[re.Pattern[str]] = re.compile(
    r"(?<![\w.-])(?P<letter>[xi])(?P<num>86|386|486|586|686)(?:[-_](?P<bits>64|32))?\b"
)
"""Processor architectures: ``x86`` "x eighty-six", ``x86-64`` and ``x86_64`` "x eighty-six
sixty-four", ``i386`` "i three eighty-six"."""


def _groups(first: str, parts: str) -> str:
    """``2024`` + ``-21626`` → "twenty twenty-four, two one six two six": a pause before digits."""
    out = code_number(first)
    for part in filter(None, parts.split("-")):
        digits, letter = part.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), part.lstrip("0123456789")
        spoken = code_number(digits) + (f" {letter}" if letter else "")
        out += (", " if len(digits) >= 5 or digits[0] == "0" else " ") + spoken
    return out


def speak_codes(text: str) -> str:
    """Codes: ``RFC 9110`` → "RFC ninety-one ten", ``CVE-2024-21626`` → "CVE twenty twenty-four,
    two one six two six", ``KEP-4020``, ``the A320`` → "the A-three twenty", ``Section 230``.

    Why: espeak reads the number of a code as a quantity ("nine thousand one hundred ten")
    and its hyphens as ranges or minus signs.  Two shapes are codes: capitals glued or
    hyphened to three or more digits (``A320``, ``F-150``, ``MH370``, ``Tu-154``), and a
    number after a word from :data:`IDENTIFIER_WORDS`.  The number is said in pairs
    (:func:`code_number`), groups of five digits or more digit by digit (``SP 800-56C``,
    ``AES-256-GCM`` too).  The letters are left to the acronym rules.  Processor names
    (``x86-64``, ``i386``) are read the same way.  Fails: a count right after such a word
    ("Section 300 pages") is read as a code; five-digit standards (``ISO 27001``) are read
    digit by digit when hyphened to their letters.
    """

    def after_word(m: re.Match[str]) -> str:
        num = m.group("num")
        if len(num) < 3 and not m.group("word").isupper():
            return m.group(0)  # "Section 3", "Route 66": plain numbers
        spoken = f"{m.group('word')} {_groups(num, m.group('parts'))}"
        if m.group("year"):
            spoken += f", {code_number(m.group('year'))}"
        return spoken

    text = _ID_AFTER_WORD.sub(after_word, text)

    def letter_code(m: re.Match[str]) -> str:
        prefix = m.group("prefix").rstrip("-")
        spoken = _groups(m.group("num"), m.group("parts"))
        return _letters(prefix) + _with_suffix(spoken, m.group("suffix") or "")

    text = _LETTER_CODE.sub(letter_code, text)

    def arch(m: re.Match[str]) -> str:
        bits = f" {number_words(int(m.group('bits')))}" if m.group("bits") else ""
        return f"{m.group('letter')} {code_number(m.group('num'))}{bits}"

    return _ARCH.sub(arch, text)


# --------------------------------------------------------------------------- docket numbers

_DOCKET_ITEM: Final[str] = r"\d{2}-\d{2,5}"
_DOCKET: Final[re.Pattern[str]] = re.compile(
    r"\b(?P<ctx>[Cc]ases?|[Dd]ockets?(?:\s+[Nn]o\.|\s+numbers?)?|[Pp]etitions?|[Nn]umbers?|Nos?\.)"
    rf"\s+(?P<list>{_DOCKET_ITEM}(?:(?:,\s*|,?\s+(?:and|or)\s+){_DOCKET_ITEM})*)\b(?![-\d])"
)


def speak_docket_numbers(text: str) -> str:
    """``Case 22-506`` → "Case twenty-two five oh six", ``No. 23-719``, ``Nos. 22-506 and 22-507``.

    Why: a court's docket number (the term's year, a hyphen, the filing's number) is not a
    range ("twenty-two to five hundred six") nor a subtraction.  It is one after "case",
    "docket", "petition", "No." or "number"; after "number" or "No." the second group needs
    three digits or more, so "number 10-15" stays a range.  Fails: a docket number without
    such a word before it is read as a range; district-court numbers (``1:21-cv-00123``)
    are not handled.
    """

    def repl(m: re.Match[str]) -> str:
        ctx = m.group("ctx")
        items = re.findall(_DOCKET_ITEM, m.group("list"))
        if ctx.lower().startswith(("number", "no")) and any(len(i) < 6 for i in items):
            return m.group(0)
        ctx = {"No.": "number", "Nos.": "numbers"}.get(ctx, ctx)

        def item(d: re.Match[str]) -> str:
            year, _, filing = d.group(0).partition("-")
            return f"{code_number(year)} {code_number(filing)}"

        return f"{ctx} {re.sub(_DOCKET_ITEM, item, m.group('list'))}"

    return _DOCKET.sub(repl, text)
