"""Split an article into segments: title, headings, narration and quotations.

Quotations are found with a small state machine over the quote marks of a
paragraph. A mark's role (opener, closer, apostrophe) is decided mostly by its
*position* (what stands before and after it), and only when the position says
nothing by its *shape* (“ versus ”). That way a curly opener closed by a
straight mark, a closing mark typed as an opener (``would ”jointly respond”``)
and GUM-style spaced marks all come out right.

Rules:

* apostrophes (``don't``, ``'90s``, ``Paul's``, ``Joneses'``) are not quotes;
* nested quotes stay inside their outer quotation;
* a quotation continued over paragraphs (opening mark repeated at the start of
  the next paragraph, no closing mark) stays one quotation, each paragraph's
  part voiced as a quote; so does one whose writer does not re-open it, when
  the next paragraph's first double mark closes it;
* an unclosed quotation ends with its paragraph;
* short quotations without a sign of speech (scare quotes, titles, glosses) stay
  inline in the narration, marks and all;
* a paragraph of a block quotation (``<blockquote>``, ``>``) is a quotation as a
  whole, unless it is a quotation in marks of its own (then the marks decide, and
  an attribution after them is narration).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final, Literal

from narrator.models import Article, Segment, SegmentKind

log = logging.getLogger(__name__)

Family = Literal["double", "single", "guillemet"]
Shape = Literal["open", "close", "either"]
Role = Literal["open", "close"]
Position = Literal["open", "close", "inner", "spaced"]

# --- data -------------------------------------------------------------------

QUOTE_MARKS: Final[dict[str, tuple[Family, Shape]]] = {
    "\u201c": ("double", "open"),  # “
    "\u201d": ("double", "close"),  # ”
    '"': ("double", "either"),
    "\u201e": ("double", "open"),  # „
    "\u2018": ("single", "open"),  # ‘
    "\u2019": ("single", "close"),  # ’
    "'": ("single", "either"),
    "\u00ab": ("guillemet", "open"),  # «
    "\u00bb": ("guillemet", "close"),  # »
}
"""Every character treated as a quote mark: its family and its typographic shape."""

SINGLE_MARKS: Final[frozenset[str]] = frozenset(
    mark for mark, (family, _) in QUOTE_MARKS.items() if family == "single"
)

OPENS_AFTER: Final[frozenset[str]] = frozenset("([{\u2014\u2013-/")
"""Characters after which a mark stands in opening position (besides space)."""

CLOSES_BEFORE: Final[frozenset[str]] = frozenset(".,;:!?)]}\u2014\u2013-/\u2026")
"""Characters before which a mark stands in closing position (besides space)."""

ELISIONS: Final[frozenset[str]] = frozenset(
    {"em", "tis", "twas", "til", "till", "cause", "n", "round", "bout", "nuff", "s"}
)
"""Words that start with an apostrophe (``'em``, ``'tis``); the mark is not an opener."""

DECADE: Final[re.Pattern[str]] = re.compile(r"\d\d?s?\b")
"""``'90s``, ``'05``: an apostrophe standing for the century."""

SPEECH_VERBS: Final[frozenset[str]] = frozenset(
    {
        "said", "says", "say", "asked", "asks", "replied", "replies", "added", "adds",
        "answered", "answers", "told", "tells", "shouted", "cried", "exclaimed",
        "whispered", "explained", "noted", "continued", "insisted", "declared",
        "remarked", "returned", "responded", "stated", "tweeted", "argued", "announced",
        "commented", "laughed", "urged", "warned", "admitted", "agreed", "recalled",
        "saying",
    }
)  # fmt: skip
"""Verbs that mark a nearby quotation as speech, however short."""

SHORT_QUOTE_WORDS: Final = 4
"""Quotations of at most this many words stay inline unless something marks them as speech.

Calibrated on the corpus: every scare quote, title and gloss there has at most
four words ("not a complete solution", "Mrs. Joe Persons' Remedy,"), while the
short quotations that are speech ("No," he replied) all show a speech cue.
"""

ATTRIBUTION_WORDS: Final = 6
"""Most words between the halves of a split quotation (``"No," he said. "Go."``)."""

EXCLAIMS: Final[tuple[str, ...]] = ("!", "?")
"""A quotation ending in one of these is an utterance, however short (``"From overwork?"``)."""

ATTRIBUTION_PUNCTUATION: Final[tuple[str, ...]] = (",", ".", "!", "?", "\u2026", "-", "\u2014")
"""How a quotation followed by its attribution ends, inside the marks (``"No," he said``)."""

ATTRIBUTION_REACH: Final = 4
"""How many words next to a quotation (within its clause) are searched for a speech verb."""

STRAY_PUNCTUATION: Final[str] = ",;:."
"""Punctuation that carries nothing at the start of a narration piece (``", said KCNA."``)."""

NARRATION: Final = "narration"
QUOTE: Final = "quote"

_WORD = re.compile(r"\w")
_SPACE = re.compile(r"\s+")
_WORD_RUN = re.compile(r"\w+")
_CLAUSE_END = re.compile(r"[.!?;]")
_STRAY_START = re.compile(rf"^[{re.escape(STRAY_PUNCTUATION)}](?=\s|$)\s*")


# --- scanning ---------------------------------------------------------------


@dataclass(slots=True)
class _Span:
    """A top-level quotation inside one paragraph (character offsets)."""

    start: int
    """Offset of the opening mark (or 0 when the paragraph starts inside a quotation)."""
    inner_start: int
    """Offset just after the opening mark."""
    inner_end: int = -1
    """Offset of the closing mark (text length when unclosed)."""
    end: int = -1
    """Offset just after the closing mark."""
    continued: bool = False
    """The paragraph starts inside this quotation (carried over from the one before)."""
    closed: bool = False
    """A closing mark was found in this paragraph."""


def _neighbour(text: str, i: int, step: int) -> str:
    """The nearest character from ``i`` in direction ``step`` that is not a quote mark."""
    j = i + step
    while 0 <= j < len(text) and text[j] in QUOTE_MARKS:
        j += step
    return text[j] if 0 <= j < len(text) else ""


def _position(text: str, i: int) -> Position:
    """Where the mark at ``i`` stands: before a word, after one, inside one, or between spaces."""
    before, after = _neighbour(text, i, -1), _neighbour(text, i, 1)
    open_side = before == "" or before.isspace() or before in OPENS_AFTER
    close_side = after == "" or after.isspace() or after in CLOSES_BEFORE
    if open_side and not close_side:
        return "open"
    if close_side and not open_side:
        return "close"
    return "spaced" if open_side else "inner"


def _is_elision(text: str, i: int) -> bool:
    """The single mark at ``i`` starts an elided word (``'90s``, ``'em``), not a quotation."""
    rest = text[i + 1 :]
    if DECADE.match(rest):
        return True
    word = re.match(r"\w+", rest)
    return word is not None and word.group().lower() in ELISIONS


def _last_single_closer(text: str) -> int:
    """Offset of the last single mark in closing position, or -1 (computed once a paragraph)."""
    for j in range(len(text) - 1, -1, -1):
        if text[j] in SINGLE_MARKS and _position(text, j) == "close":
            return j
    return -1


def _at_paragraph_start(text: str, i: int) -> bool:
    """Only whitespace and quote marks stand before ``i``."""
    return all(c.isspace() or c in QUOTE_MARKS for c in text[:i])


def _spaced_position(shape: Shape, family_open: bool) -> Position:
    """A mark with space on both sides: its shape decides; a straight one closes if it can."""
    if shape == "either":
        return "close" if family_open else "open"
    return shape


def _inner_role(family: Family, shape: Shape, stack: list[Family]) -> Role | None:
    """A mark between two word characters: an apostrophe if single, else a missing space."""
    if family == "single":
        return None
    if shape == "open":
        return "open"  # said“Hello
    return "close" if family in stack else None  # "Hello"said


def _role(text: str, i: int, stack: list[Family], last_single_closer: int) -> Role | None:
    """What the mark at ``i`` does given the open quotations; None for an apostrophe or stray."""
    family, shape = QUOTE_MARKS[text[i]]
    position = _position(text, i)
    if position == "spaced":
        position = _spaced_position(shape, family in stack)
    if position == "inner":
        return _inner_role(family, shape, stack)
    closer_follows = last_single_closer > i
    if position == "open":
        if family == "single" and (
            _is_elision(text, i) or not (closer_follows or _at_paragraph_start(text, i))
        ):
            return None
        return "open"
    if family not in stack:
        return None  # apostrophe (Paul's, Joneses') or a stray closing mark
    if family == "single" and text[i - 1 : i] in ("s", "S") and closer_follows:
        return None  # plural possessive inside a single-quoted quotation
    return "close"


def _scan(text: str, open_quote: bool) -> tuple[list[_Span], bool]:
    """Find the top-level quotations of one paragraph; True when one is still open at the end.

    A straight double mark typed with the space on the wrong side (``"modify, "no matter``,
    ``"waive "particular``) first reads as a nested opener, which leaves the paragraph with
    a nested quotation still open. The paragraph is then scanned again with that mark as
    the closer it was meant to be, and the second reading is kept when it closes everything.
    Fails when a real nested quotation with straight marks is left open by its author.
    """
    stray = _stray_opener(text, open_quote)
    spans, still_open, misread = _scan_marks(text, open_quote, -1, stray)
    if misread >= 0:
        retry, retry_open, _ = _scan_marks(text, open_quote, misread, stray)
        if not retry_open:
            return retry, retry_open
    return spans, still_open


def _stray_opener(text: str, open_quote: bool) -> int:
    """Offset of an opening mark that a typo left unclosed, or -1.

    ``comet 81P/Wild (also known as "Wild 2) in deep space`` opens a quotation inside brackets that
    close before any closing mark: paired with the next mark of the paragraph, the
    "quotation" would hold a ``)`` whose ``(`` is outside it. Brackets and quotations
    nest, so such a mark opens nothing. Fails for a quotation that really contains an
    unmatched bracket (a smiley, a list item ``a)``); it is then read as narration.
    """
    spans, _, _ = _scan_marks(text, open_quote, -1, -1)
    for span in spans:
        inner = text[span.inner_start : span.inner_end]
        before = text[: span.start]
        if before.count("(") > before.count(")") and inner.count(")") > inner.count("("):
            return span.start
    return -1


def _scan_marks(
    text: str, open_quote: bool, as_closer: int, ignore: int
) -> tuple[list[_Span], bool, int]:
    """One pass of :func:`_scan`; the mark at ``as_closer`` closes whatever its position says.

    The third value is the offset of the first straight double mark that opened a nested
    quotation inside a straight double one, when the paragraph ends with that still open
    (-1 otherwise)."""
    spans: list[_Span] = []
    nested_straight: list[int] = []
    stack: list[Family] = []
    last_single_closer = _last_single_closer(text)
    i = 0
    if open_quote:
        lead = len(text) - len(text.lstrip())
        family: Family = "double"
        if lead < len(text) and text[lead] in QUOTE_MARKS:
            family = QUOTE_MARKS[text[lead]][0]
            lead += 1
        stack.append(family)
        spans.append(_Span(start=0, inner_start=lead, continued=True))
        i = lead
    while i < len(text):
        if text[i] in QUOTE_MARKS and i != ignore:
            role = _role(text, i, stack, last_single_closer)
            if i == as_closer and stack and stack[-1] == "double":
                role = "close"
            if role == "open":
                if not stack:
                    spans.append(_Span(start=i, inner_start=i + 1))
                elif text[i] == '"' and stack[-1] == "double":
                    nested_straight.append(len(stack))
                    nested_straight.append(i)
                stack.append(QUOTE_MARKS[text[i]][0])
            elif role == "close":
                family = QUOTE_MARKS[text[i]][0]
                while stack and stack.pop() != family:
                    pass  # an unclosed nested quotation ends with its outer one
                while nested_straight and nested_straight[-2] > len(stack):
                    del nested_straight[-2:]
                if not stack:
                    spans[-1].inner_end, spans[-1].end, spans[-1].closed = i, i + 1, True
        i += 1
    if stack:
        spans[-1].inner_end = spans[-1].end = len(text)
    misread = nested_straight[1] if len(stack) >= 2 and nested_straight else -1
    return spans, bool(stack), misread


# --- voicing ----------------------------------------------------------------


def _words(text: str) -> int:
    """Whitespace-separated tokens that contain a letter or digit."""
    return sum(1 for token in text.split() if _WORD.search(token))


def _clause_words(text: str) -> list[str]:
    """Lower-cased words of ``text``."""
    return [w.lower() for w in _WORD_RUN.findall(text)]


def _speech_after(quoted: str, text: str) -> bool:
    """An attribution follows the closing mark (``," he replied``, ``", said KCNA``).

    The quotation must end its clause (punctuation just inside or just after the
    closing mark), so a scare-quoted subject (``the 'experts' said``) is no speech.
    """
    if not (quoted.rstrip().endswith(ATTRIBUTION_PUNCTUATION) or text.startswith(",")):
        return False
    clause = _CLAUSE_END.split(text, maxsplit=1)[0]
    return not SPEECH_VERBS.isdisjoint(_clause_words(clause)[:ATTRIBUTION_REACH])


def _speech_before(text: str) -> bool:
    """A speech verb or a colon introduces the quotation (``he said, "``; ``tweeted: "``)."""
    text = text.rstrip()
    if text.endswith(":"):
        return True
    near = _clause_words(_CLAUSE_END.split(text)[-1])[-ATTRIBUTION_REACH:]
    if text.endswith(","):  # he said to the crowd, "..."
        return not SPEECH_VERBS.isdisjoint(near)
    return bool(near) and near[-1] in SPEECH_VERBS  # he said "..."


def _split_sentence(text: str, first: _Span, second: _Span) -> bool:
    """The two quotations are halves of one split sentence: ``"No," he said. "Go on."``."""
    if not first.closed:
        return False
    gap = text[first.end : second.start].strip()
    return 0 < _words(gap) <= ATTRIBUTION_WORDS and gap[-1] in ",:."


def _is_speech(text: str, spans: list[_Span], k: int) -> bool:
    """Whether the quotation ``spans[k]`` gets the quote voice or stays inline."""
    return not text[: spans[k].start].strip() or _speech_cue(text, spans, k)


def _speech_cue(text: str, spans: list[_Span], k: int) -> bool:
    """The quotation ``spans[k]`` is speech by itself: long, continued, exclaimed or attributed."""
    span = spans[k]
    if span.continued or _words(text[span.inner_start : span.inner_end]) > SHORT_QUOTE_WORDS:
        return True
    return (
        text[span.inner_start : span.inner_end].rstrip().endswith(EXCLAIMS)
        or _speech_after(text[span.inner_start : span.inner_end], text[span.end :])
        or _speech_before(text[: span.start])
        or (k + 1 < len(spans) and _split_sentence(text, span, spans[k + 1]))
        or (k > 0 and _split_sentence(text, spans[k - 1], span))
    )


# --- pieces -----------------------------------------------------------------


def _clean(text: str) -> str:
    """Collapse whitespace runs to one space."""
    return _SPACE.sub(" ", text).strip()


def _narration(text: str) -> str:
    """Narration text without the punctuation a removed closing mark left at its start."""
    return _STRAY_START.sub("", _clean(text))


def _pieces(text: str, spans: list[_Span]) -> list[tuple[str, str]]:
    """Alternate narration and quotation pieces; pieces without a word are dropped."""
    pieces: list[tuple[str, str]] = []
    cursor = 0
    for k, span in enumerate(spans):
        if not _is_speech(text, spans, k):
            log.debug("inline quotation %r", text[span.start : span.end])
            continue
        pieces.append((NARRATION, _narration(text[cursor : span.start])))
        pieces.append((QUOTE, _clean(text[span.inner_start : span.inner_end])))
        cursor = span.end
    pieces.append((NARRATION, _narration(text[cursor:])))
    return [(kind, piece) for kind, piece in pieces if _WORD.search(piece)]


def split_quotes(text: str, open_quote: bool = False) -> tuple[list[tuple[str, str]], bool]:
    """Split one paragraph into ``("narration" | "quote", text)`` pieces, in order.

    ``open_quote`` says the paragraph continues a quotation left open by the one
    before it (its repeated opening mark, if any, is consumed). The returned flag
    says a quotation is still open at the end, so the next paragraph may
    continue it. Quote pieces hold the text inside the marks; inline (short,
    non-speech) quotations stay in the narration with their marks.
    """
    spans, still_open = _scan(text, open_quote)
    return _pieces(text, spans), still_open


def _starts_with_mark(text: str) -> bool:
    """The paragraph opens with a quote mark (a repeated opener, for a continued quotation)."""
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in QUOTE_MARKS


def _closes_first(text: str) -> bool:
    """The paragraph's first quote mark is a closing double mark (``… the end."``).

    A writer who does not re-open a quotation in each of its paragraphs still closes it
    in the last one: a paragraph after an unclosed quotation whose first double mark
    stands in closing position continues that quotation. Fails for a closing mark left
    over from a typo in a paragraph that is narration; it is then read as a quotation.
    """
    for i, ch in enumerate(text):
        if ch in QUOTE_MARKS and QUOTE_MARKS[ch][0] == "double":
            return _position(text, i) == "close"
    return False


def _marked(text: str) -> bool:
    """A block-quote paragraph that is a quotation in marks of its own, perhaps attributed.

    It opens with a quotation that is speech by itself (``“Cool clock, Ahmed. …”``,
    ``“We will,” she said.``): it keeps the mark-based reading, so an attribution is
    narration. Any other block-quote paragraph is a quotation as a whole, marks inside it
    and all (``The mayor called it "a fine day".`` quoted from a letter). Fails for an
    excerpt that opens with dialogue (``“No,” she said, and turned away.`` quoted from a
    novel): the excerpt's words after the marks are then read in the narrator's voice.
    """
    spans, _ = _scan(text, False)
    return bool(spans) and not text[: spans[0].start].strip() and _speech_cue(text, spans, 0)


_KINDS: Final[dict[str, SegmentKind]] = {NARRATION: "narration", QUOTE: "quote"}


def segment_article(article: Article) -> list[Segment]:
    """The article as segments: its title, then each block's heading, narration and quotes.

    A paragraph or list item of a block quotation (``Block.quoted``) is one quote segment,
    unless it is in quote marks of its own (:func:`_marked`).
    """
    segments = [Segment(index=0, paragraph=None, kind="title", text=_clean(article.title))]
    open_quote = False
    for i, block in enumerate(article.blocks):
        if block.kind == "heading":
            open_quote = False
            if _WORD.search(block.text):
                segments.append(Segment(len(segments), i, "heading", _clean(block.text)))
            continue
        if block.quoted and not _marked(block.text):
            open_quote = False  # its marks are nested in it: none stays open past it
            if _WORD.search(block.text):
                segments.append(Segment(len(segments), i, "quote", _clean(block.text)))
            continue
        continues = open_quote and (_starts_with_mark(block.text) or _closes_first(block.text))
        pieces, open_quote = split_quotes(block.text, continues)
        for kind, text in pieces:
            segments.append(Segment(len(segments), i, _KINDS[kind], text))
    return segments
