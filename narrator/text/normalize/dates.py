"""Dates, times, years and decades.

Month names come from :mod:`narrator.text.months`, the table the boilerplate
filter uses to find datelines too.
"""

from __future__ import annotations

import re

from num2words import num2words

from narrator.text.months import MONTH_ABBREVIATIONS, MONTH_NAMES, MONTHS
from narrator.text.normalize.numbers import number_words, ordinal
from narrator.text.normalize.sentence_ends import sentence_follows


def year_words(value: int) -> str:
    """A year as said: 1994 nineteen ninety-four, 2005 two thousand five, 2015 twenty fifteen."""
    if 2000 <= value <= 2009 or value < 1000:
        return number_words(value)
    return str(num2words(value, to="year")).replace(" and ", " ")


_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH_CAPS = "|".join(
    sorted((m.upper() for m in MONTH_NAMES if len(m) > 3), key=len, reverse=True)
)
"""Month names in capitals, as datelines print them ("MARCH 3, 2021"); not MAY, which is a word."""
_MONTH_ABBR = "|".join(MONTH_ABBREVIATIONS)


def expand_dates(text: str) -> str:
    """Dates: ``Aug. 16, 2020`` / ``16/08/2020`` / ``2020-08-16`` / ``August 10`` / ``16 August``.

    Why: espeak reads "16/08/2020" as numbers and slashes and "August 10" as
    "August ten".  Days become ordinals, years year words; two days of one month
    ("3 and 10 March") are both ordinals.  Fails: 08/06/2020 is
    taken as day/month (British) unless the second number is above 12; "May 5"
    in a non-date sense ("may 5 people") is left alone only because it is
    lower case.  A month in capitals ("MARCH 3, 2021", a dateline) is a date only with its
    day; MAY never is (it is also the verb).
    """

    def iso(m: re.Match[str]) -> str:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            return m.group(0)
        return f"{MONTH_NAMES[mo - 1]} {ordinal(d)}, {year_words(y)}"

    text = re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b", iso, text)

    def dmy(m: re.Match[str]) -> str:
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        d, mo = (b, a) if b > 12 >= a else (a, b)
        if not (1 <= mo <= 12 and 1 <= d <= 31):
            return m.group(0)
        return f"the {ordinal(d)} of {MONTH_NAMES[mo - 1]}, {year_words(y)}"

    text = re.sub(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b", dmy, text)

    def mdy(m: re.Match[str]) -> str:
        month = MONTHS[
            m.group("month").capitalize() if m.group("month").isupper() else m.group("month")
        ]
        day = int(m.group("day"))
        if not 1 <= day <= 31:
            return m.group(0)
        out = f"{month} {ordinal(day)}"
        if m.group("year"):
            out += f"{m.group('sep') or ' '}{year_words(int(m.group('year')))}"
        return out

    text = re.sub(
        rf"\b(?P<month>{_MONTH_ALT}|{_MONTH_CAPS})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b"
        r"(?:(?P<sep>,?\s+)(?P<year>\d{4})\b)?(?![.,]?\d)",
        mdy,
        text,
    )

    def pair(m: re.Match[str]) -> str:
        first, second = int(m.group("first")), int(m.group("day"))
        if not (1 <= first <= 31 and 1 <= second <= 31):
            return m.group(0)
        month = MONTHS[m.group("month")]
        return f"the {ordinal(first)} {m.group('conj')} {ordinal(second)} of {month}"

    # Two days of one month ("3 and 10 March"): both are days, read as ordinals.
    text = re.sub(
        rf"\b(?P<first>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<conj>and|or)\s+"
        rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_MONTH_ALT})\b(?!\.?,?\s+\d{{4}})",
        pair,
        text,
    )

    def dm(m: re.Match[str]) -> str:
        day = int(m.group("day"))
        if not 1 <= day <= 31:
            return m.group(0)
        out = f"the {ordinal(day)} of {MONTHS[m.group('month')]}"
        if m.group("year"):
            out += f" {year_words(int(m.group('year')))}"
        return out

    text = re.sub(
        rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_MONTH_ALT})\b\.?"
        r"(?:,?\s+(?P<year>\d{4})\b)?",
        dm,
        text,
    )
    # An abbreviated month with a year only ("Aug. 2020").
    text = re.sub(
        rf"\b({_MONTH_ABBR})\.?(?=\s+\d{{4}}\b)",
        lambda m: MONTHS[m.group(1)],
        text,
    )
    return text


def _hour_minute(h: int, mi: int) -> str:
    if mi == 0:
        return number_words(h)
    if mi < 10:
        return f"{number_words(h)} oh {number_words(mi)}"
    return f"{number_words(h)} {number_words(mi)}"


def expand_times(text: str) -> str:
    """Times: ``10.30am`` → "ten thirty A-M", ``18:00`` → "eighteen hundred".

    Why: espeak reads "10.30am" as "ten point three zero am".  A-M/P-M are
    hyphenated so espeak says the letters without a sentence break.  Fails:
    "5.30" without am/pm is read as a decimal; "18:00:00" seconds are dropped.
    """

    def ampm(m: re.Match[str]) -> str:
        h = int(m.group(1))
        mi = int(m.group(2)) if m.group(2) else 0
        if h > 12 or mi > 59:
            return m.group(0)
        suffix = "A-M" if m.group(3).lower().startswith("a") else "P-M"
        end = m.end()
        dot = "." if m.group(4) and sentence_follows(m.string, end) else ""
        return f"{_hour_minute(h, mi)} {suffix}{dot}"

    text = re.sub(
        r"\b(\d{1,2})(?:[.:](\d{2}))?\s*([ap])\.?m(\.)?(?![A-Za-z])", ampm, text, flags=re.I
    )

    def clock(m: re.Match[str]) -> str:
        h, mi = int(m.group(1)), int(m.group(2))
        if h > 24 or mi > 59:
            return m.group(0)
        if mi == 0:
            return (
                f"{number_words(h)} hundred" if h > 12 or h == 0 else f"{number_words(h)} o'clock"
            )
        if h == 0:
            return f"zero {number_words(mi)}" if mi >= 10 else f"zero oh {number_words(mi)}"
        return _hour_minute(h, mi)

    return re.sub(r"(?<![\d:.,])(\d{1,2}):(\d{2})(?![\d:])", clock, text)


def expand_decades(text: str) -> str:
    """``1990s`` → "nineteen nineties", ``'90s`` → "nineties", ``1600s`` → "sixteen hundreds".

    Why: espeak reads "1990s" as a number followed by "s".  Fails: "the 80s"
    meaning ages ("in her 80s") is read the same way, which is fine.
    """

    def plural_words(words: str) -> str:
        last = words.split()[-1]
        head = words[: len(words) - len(last)]
        parts = last.split("-")
        tail = parts[-1]
        tail = tail[:-1] + "ies" if tail.endswith("y") else tail + "s"
        return head + "-".join([*parts[:-1], tail])

    def century(m: re.Match[str]) -> str:
        value = int(m.group(1))
        if value % 100 == 0 and value % 1000 != 0:
            return plural_words(f"{number_words(value // 100)} hundred")
        if value % 1000 == 0:
            return plural_words(number_words(value))
        return plural_words(year_words(value))

    text = re.sub(r"\b(\d{3}0)'?s\b", century, text)
    text = re.sub(r"(?<!\w)'(\d0)s\b", lambda m: plural_words(number_words(int(m.group(1)))), text)
    return re.sub(r"\b([2-9]0)'?s\b", lambda m: plural_words(number_words(int(m.group(1)))), text)


def expand_years(text: str) -> str:
    """A lone four-digit number from 1000 to 2099 is a year: 1994 → "nineteen ninety-four".

    Why: espeak reads it as a quantity ("one thousand nine hundred ...").
    Fails: a count written without a comma ("1500 people") is read as
    "fifteen hundred", which is still correct English.
    """

    def repl(m: re.Match[str]) -> str:
        return year_words(int(m.group(1)))

    return re.sub(r"(?<![\w.,$£€])(1\d{3}|20\d{2})(?![\w.,]\d|\w)", repl, text)
