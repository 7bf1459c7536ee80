"""Site chrome in copied web pages, found by position and line shape rather than by phrase.

Text copied from a web page (select all, copy) carries the site around the
article: skip links, cookie panels, menus and breadcrumbs above the headline;
share buttons, "Is this page useful?", topic lists, addresses and footers below
the last paragraph. A phrase list (:mod:`narrator.text.boilerplate`) never keeps
up with the next site's wording, so the plain-text reader mainly uses general
signals:

* **position**: chrome clusters before the headline and after the last paragraph;
* **line shape**: chrome lines are short, lack sentence punctuation, come in runs of
  separate lines (menus), look like links or breadcrumbs, or are ``Label: value`` pairs;
* **the headline**: the line shaped like a headline above the first prose paragraph
  (preferring one directly above a date or byline); everything above it is chrome;
* **repetition**: a short line that recurs across several articles of one batch
  (:func:`recurring_lines`) is the site's, not the article's.

:func:`find_chrome` applies these to the :class:`~narrator.text.layout.Unit` s of a file.
Where it fails is said at each rule.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from narrator.text.boilerplate import (
    boilerplate_rule,
    flat_line,
    is_section_break,
    parse_byline,
    parse_dateline,
)
from narrator.text.layout import Unit, ends_sentence

__all__ = ["Chrome", "find_chrome", "is_chrome_line", "is_prose", "recurring_lines"]

PROSE_WORDS = 8
"""A unit ending a sentence with at least this many words is article prose."""
LONG_WORDS = 40
"""A unit this long is prose even without final punctuation (unless it is a link list).

Headlines and standfirsts run to 30 words without a period, so this is set above them."""
SHORT_WORDS = 12
"""Lines up to this many words without sentence punctuation are chrome-shaped."""
HEADLINE_WORDS = 4
"""A headline usually has at least this many words; shorter lines above it are labels
("News story", "Printable version")."""
HEADLINE_MAX_WORDS = 30
ENDS = frozenset({"comment form"})
"""Phrase rules whose line ends the article in a page copy: the comment section starts
("3 thoughts on …", "Leave a Reply", "Comments (12)") and readers' prose follows. Fails for
an article that quotes such a line as its own paragraph (the rest of it is then dropped)."""
TRAILING_PROSE_WEIGHT = 3
"""Below the last paragraph, one prose unit outweighs this many chrome lines.

The trailing chrome is the suffix of the file where chrome lines outnumber prose by
this weighting. Fails for an article that ends in a run of short unpunctuated lines
(a list of names without bullets), which is taken for a footer."""

_URL = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|org|net|gov|edu|int|uk|io)(?:/\S*)?\b", re.I)
_SEPARATORS = re.compile(r"\s(?:\||>|»|›|/|•)\s")
_LABEL = re.compile(r"^(?P<label>[^\W\d][\w’'().&/-]*(?:\s+[\w’'().&/-]+){0,3})\s*:\s+\S")
_CHAPTER = re.compile(r"^(chapter|part|book)\s+([ivxlcdm]+|\d+|[a-z]+)\.?$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*[•◦▪‣*+-]\s+(?=\S)")


def _flat(unit: Unit) -> str:
    return " ".join(unit.text.split())


def is_prose(unit: Unit) -> bool:
    """Running text of the article: a sentence of some length, not a line of a menu."""
    text = _flat(unit)
    words = len(text.split())
    if unit.listed or boilerplate_rule(text):
        return False
    if ends_sentence(text) and words >= PROSE_WORDS:
        return True
    return words >= LONG_WORDS and len(_SEPARATORS.findall(text)) < 2


def _is_link_like(text: str) -> bool:
    """A line that is (mostly) an address, or a breadcrumb / link row (``Home > News``)."""
    if len(_SEPARATORS.findall(text)) >= 2:
        return True
    match = _URL.search(text)
    return match is not None and len(text.split()) <= SHORT_WORDS


def _is_label_line(text: str) -> bool:
    """``From: Department for Transport``, ``Tel (UK): 0370 …``: a field of page metadata."""
    match = _LABEL.match(text)
    return match is not None and len(text.split()) <= SHORT_WORDS and not ends_sentence(text)


def is_chrome_line(unit: Unit) -> bool:
    """A unit shaped like site chrome: a phrase rule, a link, a label, or a short bare line.

    Fails for short bare lines that are content (a heading, a list without bullets):
    only runs of them at the start or end of a file are dropped.
    """
    text = _flat(unit)
    if boilerplate_rule(text) or is_section_break(text) or _is_link_like(text):
        return True
    if _is_label_line(text) or parse_dateline(text) is not None:
        return True
    short = len(text.split()) <= SHORT_WORDS and not ends_sentence(text)
    # A line ending in a comma is the writer's ("Hi everyone,", "Best,"), never a menu entry.
    return short and not _BULLET.match(unit.text) and not text.endswith(",")


def _headline_shaped(unit: Unit, *, labelled: bool = False) -> bool:
    """One line, a few words, no final period or colon, not a link, date or rule, and not
    a ``Label: value`` line unless ``labelled`` (headlines may be: "Q&A: Rates rise")."""
    text = _flat(unit)
    words = len(text.split())
    return (
        unit.lines == 1
        and not unit.listed
        and 0 < words <= HEADLINE_MAX_WORDS
        and not text.endswith((".", ":", ",", ";"))
        and any(ch.isalpha() for ch in text)
        and not boilerplate_rule(text)
        and not is_section_break(text)
        and not _is_link_like(text)
        and (labelled or not _is_label_line(text))
        and not _CHAPTER.match(text)
        and parse_dateline(text) is None
        and parse_byline(text) is None
    )


def _may_be_title(text: str) -> bool:
    """Any line but a phrase-rule match, a section break or a chapter label."""
    return not (boilerplate_rule(text) or is_section_break(text) or _CHAPTER.match(text))


@dataclass(frozen=True, slots=True)
class Chrome:
    """Where the article is among a file's units."""

    title: int | None
    """Index of the headline unit; None when the file has none (the caller names it)."""
    dropped: frozenset[int]
    """Indices of chrome units (never the title)."""


def _is_metadata(text: str) -> bool:
    """A dateline, byline or ``Label: value`` line, as printed under a headline."""
    return (
        parse_dateline(text) is not None or parse_byline(text) is not None or (_is_label_line(text))
    )


@dataclass(frozen=True, slots=True)
class _Shapes:
    """Each unit's signals, with the user's and the batch's verdicts applied."""

    texts: tuple[str, ...]
    chrome: tuple[bool, ...]
    prose: tuple[bool, ...]
    headline: tuple[bool, ...]
    candidate: tuple[bool, ...]
    """Headline-shaped, ``Label: value`` lines included (they may be a title, weighed down)."""

    @classmethod
    def of(cls, units: Sequence[Unit], verdicts: Sequence[str | None]) -> _Shapes:
        def shape(i: int, unit: Unit) -> tuple[bool, bool, bool, bool]:
            if verdicts[i] == "drop":
                return True, False, False, False
            keep = verdicts[i] == "keep"
            return (
                not keep and is_chrome_line(unit),
                is_prose(unit),
                _headline_shaped(unit),
                _headline_shaped(unit, labelled=True),
            )

        shapes = [shape(i, unit) for i, unit in enumerate(units)]
        return cls(
            tuple(_flat(u) for u in units),
            *(tuple(s[k] for s in shapes) for k in range(4)),
        )


def _before_metadata(shapes: _Shapes, i: int) -> bool:
    """A date, byline or label line follows ``i`` (lines a phrase rule drops skipped), right
    after it or, for a line of headline length, after one headline-shaped line between them
    (a standfirst); a short label above the headline ("Printable version") does not count."""
    following = [
        j
        for j in range(i + 1, len(shapes.texts))
        if not (boilerplate_rule(shapes.texts[j]) or is_section_break(shapes.texts[j]))
    ][:2]
    if following and _is_metadata(shapes.texts[following[0]]):
        return True
    return (
        len(following) == 2
        and len(shapes.texts[i].split()) >= HEADLINE_WORDS
        and shapes.headline[following[0]]
        and _is_metadata(shapes.texts[following[1]])
    )


def _pick_title(shapes: _Shapes, end: int) -> int | None:
    """The headline among the headline-shaped units above ``end``.

    Three signals, the first weighing most: the line is directly followed by a date,
    byline or ``From:`` line; it has at least :data:`HEADLINE_WORDS` words; it is the
    file's first line (plain text's own convention); a ``Label: value`` line counts one
    less (more often page metadata than a headline). Ties go to the earliest. Fails for
    a short label ("Press release") printed just above the date while the headline
    stands elsewhere; the label is then the title.
    """
    candidates = [i for i in range(end) if shapes.candidate[i]]
    if not candidates:
        return None

    def weight(i: int) -> int:
        long = len(shapes.texts[i].split()) >= HEADLINE_WORDS
        label = _is_label_line(shapes.texts[i])  # "From: …" usually, "Q&A: …" sometimes
        return 2 * _before_metadata(shapes, i) + long + (i == 0) - label

    best = max(weight(i) for i in candidates)
    return next(i for i in candidates if weight(i) == best)


def _trailing_start(shapes: _Shapes, first: int, headline: str) -> int | None:
    """Start of the chrome cluster at the end of the file, or None.

    The suffix (starting at a chrome line, after unit ``first``) where chrome lines
    outweigh prose most. A line below the article that repeats its headline is a
    citation or permalink block ("Richard Nixon, Address to …, Online by …").
    """
    best, best_at, total = 0, None, 0
    for i in range(len(shapes.texts) - 1, first, -1):
        cites = len(headline.split()) >= 3 and headline in shapes.texts[i]
        if shapes.chrome[i] or cites:
            total += 1
            if total > best:
                best, best_at = total, i
        else:
            total -= TRAILING_PROSE_WEIGHT if shapes.prose[i] else 1
    return best_at if best >= 1 else None


def _body_start(shapes: _Shapes) -> int | None:
    """The first prose unit directly followed by another (or the last prose unit).

    A lone sentence between chrome lines above the headline ("This web site was copied
    prior to …", an archive notice) is not where the article starts."""
    prose = [i for i, is_prose in enumerate(shapes.prose) if is_prose]
    for i in prose:
        if i + 1 < len(shapes.prose) and shapes.prose[i + 1]:
            return i
    return prose[-1] if prose else None


def find_chrome(
    units: Sequence[Unit], verdicts: Sequence[str | None] | None = None, *, titled: bool = False
) -> Chrome:
    """The headline and the chrome units of a plain-text file (see the module docstring).

    ``verdicts`` (one per unit: ``"keep"``, ``"drop"`` or None) are the user's and the
    batch's (:class:`~narrator.text.boilerplate.LineRules`): a kept unit is never
    chrome, a dropped one always is and is never the title. Without a prose unit (a
    title-only file, a list, a note of two lines) nothing else is dropped and the first
    line that no rule drops is the title. ``titled``: the title is known already (an
    e-mail's subject), so no line is taken for it.
    """
    verdicts = list(verdicts) if verdicts is not None else [None] * len(units)
    forced = frozenset(i for i, v in enumerate(verdicts) if v == "drop")
    kept = frozenset(i for i, v in enumerate(verdicts) if v == "keep")
    shapes = _Shapes.of(units, verdicts)
    first = _body_start(shapes)
    if first is None:
        title = next(
            (i for i, t in enumerate(shapes.texts) if i not in forced and _may_be_title(t)), None
        )
        return Chrome(None if titled else title, forced)
    title = None if titled else _pick_title(shapes, first)
    dropped: set[int] = set(range(title if title is not None else 0))
    start = title + 1 if title is not None else 0
    for i in range(start, first):
        text = shapes.texts[i]
        keep_metadata = parse_dateline(text) is not None or parse_byline(text) is not None
        last_heading = i == first - 1 and shapes.headline[i]
        if shapes.chrome[i] and not keep_metadata and not last_heading:
            dropped.add(i)
    headline = shapes.texts[title] if title is not None else ""
    tail = _trailing_start(shapes, first, headline)
    comments = next(
        (i for i in range(first + 1, len(units)) if boilerplate_rule(shapes.texts[i]) in ENDS),
        None,
    )
    if comments is not None and (tail is None or comments < tail):
        tail = comments
    if tail is not None:
        dropped.update(range(tail, len(units)))
    return Chrome(title, frozenset((dropped | forced) - kept - {title}))


RECURRING_MIN_FILES = 2
"""A line found in this many articles of one batch is the site's, not an article's."""
RECURRING_MAX_WORDS = 12


def recurring_lines(texts: Iterable[str]) -> frozenset[str]:
    """Short lines without sentence punctuation that occur in two or more of ``texts``.

    Articles copied from one site carry the same menus, footers and share buttons; a
    line repeated across the batch is chrome whatever its wording. Sentences are left
    alone (two speeches may both say "Thank you."), and so is a text's first line when it
    stands alone as a paragraph: that is the article's title, and two articles may share
    one (a menu at the top runs on over several lines). Fails for a heading two articles
    share ("Background"); it is dropped from both (keep it with ``[boilerplate] keep``).
    """
    counts: Counter[str] = Counter()
    for text in texts:
        rows = text.strip().splitlines()
        if len(rows) == 1 or (len(rows) > 1 and not rows[1].strip()):
            rows = rows[1:]  # the title
        lines = {flat_line(line) for line in rows}
        counts.update(
            line
            for line in lines
            if line
            and len(line.split()) <= RECURRING_MAX_WORDS
            and not ends_sentence(line)
            and any(ch.isalpha() for ch in line)
        )
    return frozenset(line for line, n in counts.items() if n >= RECURRING_MIN_FILES)
