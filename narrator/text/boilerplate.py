"""Site boilerplate and metadata lines: recognise them so they are never spoken.

Every rule is a named regular expression with a word limit: a paragraph is
boilerplate only when the *whole* paragraph is short enough and matches, so a
sentence of article text that happens to mention "donate" or "subscribe" is
kept. Rules describe kinds of page furniture (appeals, comment forms, share
buttons, photo credits), never the exact strings of one site.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from narrator.text.months import MONTH_ABBREVIATIONS, MONTH_NAMES, month_number

__all__ = [
    "BOILERPLATE_RULES",
    "Byline",
    "LineRules",
    "boilerplate_rule",
    "flat_line",
    "is_section_break",
    "parse_byline",
    "parse_dateline",
]


@dataclass(frozen=True, slots=True)
class Rule:
    """One kind of page furniture."""

    name: str
    """Short name used in logs."""
    pattern: re.Pattern[str]
    """Searched in the paragraph text (case-insensitive)."""
    max_words: int
    """Longer paragraphs never match: article prose is not furniture."""


def _rule(name: str, pattern: str, max_words: int) -> Rule:
    return Rule(name, re.compile(pattern, re.IGNORECASE), max_words)


BOILERPLATE_RULES: tuple[Rule, ...] = (
    _rule(
        "donation appeal",
        r"\bconsider (making )?(a )?(contribution|donation|donating|supporting)\b"
        r"|^donate\b|\bdonate (now|today|here)\b|\bsupport (us|our (work|journalism|reporting))\b"
        r"|\bsupport (independent|quality|local|public)( \w+)? (journalism|news|reporting)\b"
        r"|\bbecome a (member|patron|subscriber|supporter)\b"
        r"|\bnot free to produce\b",
        60,
    ),
    _rule(
        "subscription appeal",
        r"^(subscribe|sign up)\b|\b(our|free|daily|weekly) (\w+ )?newsletter\b"
        r"|\bjoin [\d,.]+k? other subscribers\b|\breceive notifications of new posts\b",
        30,
    ),
    _rule(
        "comment form",
        r"^leave a (reply|comment)\b|^your email address will not be published"
        r"|^required fields are marked|^(post|submit) comment$|^cancel reply$|^reply$"
        r"|^comments?( \(\d+\))?$|^\d+ (thoughts|comments|responses|replies) on\b"
        r"|^save my name, email|^(name|email|website|comment) \*$"
        r"|^notify me of (new|follow-up)",
        30,
    ),
    _rule(
        "share and like buttons",
        r"^share (this|on|the)\b|^(like|share) this:?$|^loading\.*$"
        r"|^(share|tweet|print|email|facebook|twitter|linkedin|reddit|whatsapp|pinterest)$",
        6,
    ),
    _rule(
        "read-more link",
        r"^(read more|continue reading|read the full (story|article)"
        r"|related (articles|stories|posts)|more from\b|recommended for you|you may also like)\b",
        10,
    ),
    _rule(
        "link label",
        r"^(related|read more|read also|also read|see also|more|watch|listen|recommended)\s*:",
        15,
    ),
    _rule("advertisement", r"^(advertisement|advert|sponsored( content)?|ad)$", 2),
    _rule(
        "photo credit",
        r"^((photo|image|picture|photograph|illustration|video)s?( credit)?|credit|source)"
        r"\s*[:/|–—-]"
        r"|^(photo|image|picture)s? (credit|courtesy|by)\b"
        r"|^\(?(photo|image)s?:",
        20,
    ),
    _rule(
        "caption with credit",
        r"\((?:[^()]*[\s/])?(photo|image|picture|illustration)s?\b[^()]*\)\.?$",
        40,
    ),
    _rule(  # "Tina McKenzie. Image: Australian Paralympic Committee."
        "caption ending in a credit",
        r"[.!?]\s+(photo|image|picture|illustration)s?( credit)?\s*:\s*"
        r"(?-i:[A-Z][\w.&'/-]*(\s+([A-Z][\w.&'/-]*|of|the|and|for|via|/))*)\.?$",
        15,
    ),
    _rule(
        "accessibility link",
        r"^skip (directly )?to (main |site |page )?(content|navigation|main|footer|search)\b"
        r"|^jump to:?( navigation| search)?\b",
        40,
    ),
    _rule("cookie notice", r"\b(this site|we) uses? cookies\b", 40),
    _rule(
        "site tagline",
        r"^from [\w .'-]+, the free [\w .'-]+$|^from [\w .'-]+, the free [\w ]+ (you|that) .*!$",
        16,
    ),
    _rule(
        "archive notice",
        r"^this (page|article|story) (is|has been|was) archived\b",
        80,
    ),
    _rule(
        "republication notice",
        r"^this (article|story|post) (was )?(originally|first) (published|appeared)\b"
        r"|\bis republished here under\b",
        50,
    ),
    _rule(
        "site footer",
        r"^proudly powered by\b|^powered by \w+$|^all rights reserved\b",
        15,
    ),
    _rule("copyright notice", r"^(©|\(c\)|copyright\b)", 40),
    _rule(
        "navigation",
        r"^(post navigation|next post|previous post|recent posts|recent comments|archives"
        r"|categories|tags|tagged|posted in|menu( and widgets)?|search)\b:?$",
        4,
    ),
)


def flat_line(text: str) -> str:
    """A line or paragraph as :class:`LineRules` sees it: whitespace runs collapsed."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class LineRules:
    """What the user and the batch say about lines, applied before the built-in rules.

    ``drop`` and ``keep`` come from ``[boilerplate]`` in ``narrator.toml``: regular
    expressions matched against a *whole* line (a paragraph, a heading, one line of a
    menu) as ``narrator segments`` shows it, whitespace collapsed. ``keep`` wins over
    ``drop`` and over every built-in rule. ``recurring`` holds lines that recur across
    several articles of the same batch (site chrome: the same menu under every article);
    they are dropped unless kept.
    """

    drop: tuple[re.Pattern[str], ...] = ()
    keep: tuple[re.Pattern[str], ...] = ()
    recurring: frozenset[str] = frozenset()

    def verdict(self, text: str) -> str | None:
        """``"keep"``, ``"drop"`` (the user's rules, then the batch's) or None (no say)."""
        line = flat_line(text)
        if any(p.fullmatch(line) for p in self.keep):
            return "keep"
        if any(p.fullmatch(line) for p in self.drop) or line in self.recurring:
            return "drop"
        return None


SECTION_BREAK = re.compile(r"^\s*(?:[*#~=_\-•·]\s*){3,}$")
"""`* * *`, `*       *`, `###`, `---`: section breaks and press-release end marks."""


def boilerplate_rule(text: str) -> str | None:
    """Name of the rule that marks the whole of ``text`` as boilerplate, or None."""
    stripped = text.strip()
    if not stripped:
        return None
    words = len(stripped.split())
    for rule in BOILERPLATE_RULES:
        if words <= rule.max_words and rule.pattern.search(stripped):
            return rule.name
    return None


def is_section_break(text: str) -> bool:
    """True for a line made only of break marks (`* * *`, `###`, `---`)."""
    return bool(SECTION_BREAK.match(text))


_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_MONTH = r"(?P<month>" + "|".join(MONTH_NAMES) + r"|(?:" + "|".join(MONTH_ABBREVIATIONS) + r")\.?)"
"""A month, full or short; matched ignoring case."""
_DATE_FORMS = (
    rf"(?:{_WEEKDAY},?\s+)?{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})",
    rf"(?:{_WEEKDAY},?\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<year>\d{{4}})",
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})",
)
DATELINES = tuple(re.compile(rf"^{form}$", re.IGNORECASE) for form in _DATE_FORMS)
BYLINES = tuple(
    re.compile(rf"^(?:posted|published|updated)(?: on)?\s+{form}(?:\s+by\s+(?P<author>.+))?$", re.I)
    for form in _DATE_FORMS
)
BY_AUTHOR = re.compile(r"^by\s+(?P<author>[^\W\d][\w.'’-]*(?:\s+[^\W\d][\w.'’-]*){0,4})$", re.I)
"""A bare "By …" line of one to five words; ``is_name`` then checks that they are a name."""

NAME_PARTICLES = frozenset(
    {"al", "and", "bin", "da", "de", "del", "della", "den", "der", "di", "du", "ibn", "la", "le"}
    | {"van", "von", "y"}
)
"""Lower-case words that may stand inside a name ("Ludwig van Beethoven", "Smith and Jones")."""


def is_name(text: str) -> bool:
    """Whether ``text`` reads as a person's (or a desk's) name: capitalised words, a few
    lower-case particles between them, and no sentence end.

    Why: "By midnight the harbour was quiet." has the shape of a byline but is the
    article's last sentence; a name is capitalised and never ends in a full stop but for
    an initial ("Jane Q.") or "Jr.". Where it fails: a byline typed all in lower case
    ("by jane doe") stays in the text, and a capitalised sentence fragment of up to five
    words ("By Royal Appointment") is taken for a name.
    """
    words = text.split()
    if not words or words[0].lower() in NAME_PARTICLES:
        return False
    for word in words:
        if word.lower() in NAME_PARTICLES:
            continue
        if not word[0].isupper():
            return False
    last = words[-1]
    stem = last.rstrip(".")
    return last == stem or len(stem) == 1 or stem.lower() in {"jr", "sr"}


def _to_date(match: re.Match[str]) -> dt.date | None:
    month_text = match.group("month")
    month = int(month_text) if month_text.isdigit() else month_number(month_text)
    if month is None:
        return None
    try:
        return dt.date(int(match.group("year")), month, int(match.group("day")))
    except ValueError:
        return None


def parse_dateline(text: str) -> dt.date | None:
    """The date of a line that is only a date ("Friday, August 21, 2015"), else None."""
    for pattern in DATELINES:
        match = pattern.match(text.strip())
        if match:
            return _to_date(match)
    return None


@dataclass(frozen=True, slots=True)
class Byline:
    """What a byline or "Posted on ..." line says."""

    author: str | None
    published: dt.date | None


def parse_byline(text: str) -> Byline | None:
    """Author and date of a byline ("By Jane Doe", "Posted on May 1, 2020 by desk")."""
    stripped = text.strip()
    for pattern in BYLINES:
        match = pattern.match(stripped)
        if match:
            return Byline(match.group("author"), _to_date(match))
    match = BY_AUTHOR.match(stripped)
    if match and is_name(match.group("author")):
        return Byline(match.group("author"), None)
    return None
